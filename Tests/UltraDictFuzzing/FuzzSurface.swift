import UltraDictCore

/// A part of UltraDict that reads untrusted bytes, and the fuzz target that feeds it.
///
/// Each case hands its input to the library code the way a reader of shared memory does, and
/// checks the few invariants that must hold whatever the bytes: the library returns, or throws
/// ``UltraDictError``; it never traps and never returns something that breaks its own rules.
/// `Tests/Fuzz` builds one libFuzzer executable per case (`Fuzz` + ``name``) and keeps each
/// case's seed corpus in `Tests/Fuzz/Corpus/<name>/`; `Docs/FUZZING.md` explains how to run them.
///
/// Not API: the module's leading underscore says so. Not thread-safe: the transport cases write
/// each input into one set of scratch segments per process, so feed one input at a time.
public enum FuzzSurface: CaseIterable, Sendable {
    /// The stream and full-dump framing: `Frame.forEachPayload`, `Frame.payloadLength` and `DumpTrailer`.
    case framing
    /// The control-block reader: the dump name, the serializer identifier and every other field,
    /// the diagnostics included, over 1000 bytes of input.
    case controlBlock
    /// The whole lock-free read path, `UpdateLog.readChanges`, over an input that supplies the
    /// reader's cursor, the control block, the update stream and a static full dump.
    case updateLog
    /// `MessagePackSerializer`'s `decode`, `decodeUpdate` and `decodeSnapshot`.
    case messagePack
    /// `JSONSerializer`'s decoders, with string and with integer top-level keys.
    case json
    /// `PropertyListSerializer`'s decoders.
    case propertyList
    /// `PickleSerializer`'s decoders.
    case pickle
    /// What a Redis server answers: `RedisReply.parse` and `RedisReplyReader` over the input as
    /// the server's bytes, then every decoder of the Redis module's answers on each reply.
    case redis

    /// The case's name in file names: `Fuzz<name>` is its executable, `Corpus/<name>` its corpus.
    public var name: String {
        switch self {
        case .framing: "Framing"
        case .controlBlock: "ControlBlock"
        case .updateLog: "UpdateLog"
        case .messagePack: "MessagePack"
        case .json: "JSON"
        case .propertyList: "PropertyList"
        case .pickle: "Pickle"
        case .redis: "Redis"
        }
    }

    /// Feeds `bytes` to every entry point of this surface. Each entry point may accept the input
    /// or refuse it with an ``UltraDictError``; both are fine.
    ///
    /// - Throws: a ``FuzzFinding`` when the library broke an invariant or threw another error
    ///   than ``UltraDictError``: a bug. A trap inside the library is a bug as well, and ends the process.
    public func run(_ bytes: UnsafeRawBufferPointer) throws {
        switch self {
        case .framing: try TransportSurfaces.framing(bytes)
        case .controlBlock: try TransportSurfaces.controlBlock(bytes)
        case .updateLog: try TransportSurfaces.updateLog(bytes)
        case .messagePack: try SerializerSurfaces.messagePack(bytes)
        case .json: try SerializerSurfaces.json(bytes)
        case .propertyList: try SerializerSurfaces.propertyList(bytes)
        case .pickle: try SerializerSurfaces.pickle(bytes)
        case .redis: try RedisSurfaces.redis(bytes)
        }
    }

    /// libFuzzer's `LLVMFuzzerTestOneInput` for this surface: runs the `size` bytes at `data`
    /// and returns 0; traps with the finding's description on a ``FuzzFinding``, so that libFuzzer
    /// records the input as a crash.
    public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        do {
            try run(UnsafeRawBufferPointer(start: data, count: size))
        } catch {
            fatalError("\(name): \(error)")
        }
        return 0
    }
}

/// A bug found by a fuzz target: a broken invariant, or an error other than ``UltraDictError``.
public struct FuzzFinding: Error, CustomStringConvertible {
    /// What went wrong, with the values involved.
    public let description: String

    init(_ description: String) { self.description = description }
}

/// Runs one entry point of a surface: an ``UltraDictError`` is an accepted outcome; any other
/// error is a ``FuzzFinding``.
func attempt(_ entryPoint: String, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch is UltraDictError {
        return
    } catch let finding as FuzzFinding {
        throw finding
    } catch {
        throw FuzzFinding("\(entryPoint) threw \(type(of: error)) instead of UltraDictError: \(error)")
    }
}

/// Throws a ``FuzzFinding`` saying `message` unless `condition` holds.
func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw FuzzFinding(message()) }
}
