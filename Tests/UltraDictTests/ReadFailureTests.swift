import Foundation
import Logging
import Testing
import UltraDict
import UltraDictTransport
import _UltraDictTestSupport

/// The messages a logger sent, in order.
final class CapturedLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(level: Logger.Level, message: String)] = []

    /// A logger that sends everything here.
    var logger: Logger { Logger(label: "UltraDictTests") { _ in CapturingLogHandler(log: self) } }

    /// The messages at `level`.
    func messages(at level: Logger.Level) -> [String] { lock.withLock { entries.filter { $0.level == level }.map(\.message) } }

    fileprivate func append(_ level: Logger.Level, _ message: String) { lock.withLock { entries.append((level, message)) } }
}

/// A log handler that keeps every message in a ``CapturedLog``.
struct CapturingLogHandler: LogHandler {
    let log: CapturedLog
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .trace

    func log(event: LogEvent) { log.append(event.level, event.message.description) }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
}

/// A record that MessagePack cannot decode, written over a real one in the stream.
struct BadRecord {
    /// The stream segment and where the record's payload starts in it.
    let segment: String
    let offset: Int
    /// The payload's first byte as the writer wrote it.
    let original: UInt8

    /// Makes `d` write `key: value` as a record, then turns the record's first byte into 0xC1,
    /// which MessagePack never uses.
    static func written(by d: UltraDict<String, Int>, key: String, value: Int) throws -> BadRecord {
        var payload: [UInt8] = []
        try MessagePackSerializer().encodeUpdate(.set(.string(key), .int(Int64(value))), into: &payload)
        d[key] = value
        let record = BadRecord(segment: d.name + "_memory", offset: try d.status().streamPosition - payload.count, original: payload[0])
        try overwrite([0xC1], at: record.offset, ofSegment: record.segment)
        return record
    }

    /// Puts the writer's byte back, as if the record had never been bad.
    func repair() throws { try overwrite([original], at: offset, ofSegment: segment) }
}

/// A handle that cannot read what was published keeps serving its last validated state, cheaply,
/// and says so once; errors name the dictionary and the key.
@Suite("Read failures")
struct ReadFailureTests {
    @Test func aBadRecordIsReadOnceAndLoggedOnceUntilAWriterPublishesMore() throws {
        let writer = try UltraDict<String, Int>(name: uniqueName())
        defer { writer.unlink() }
        let reader = try UltraDict<String, Int>(name: writer.name, create: false)
        let log = CapturedLog()
        reader.logger = log.logger
        writer["good"] = 1
        #expect(reader["good"] == 1)

        writer["before"] = 0  // read in the same refresh as the bad record, and applied
        let bad = try BadRecord.written(by: writer, key: "bad", value: 2)
        for _ in 0..<1000 {
            #expect(reader["good"] == 1 && reader["before"] == 0 && reader["bad"] == nil && reader.count == 2)
        }
        #expect(reader.lastReadError?.code == .serialization && reader.lastReadError?.message.hasPrefix("'\(writer.name)': ") == true)
        expectError(.serialization) { try reader.value(forKey: "good") }
        expectError(.serialization) { try reader.applyUpdates() }
        expectError(.serialization) { try reader.updateValue(5, forKey: "write") }
        // Repaired in place, the record would now decode: a handle that copied the stream again
        // would see it. This one waits for a writer to publish.
        try bad.repair()
        #expect(reader["bad"] == nil && reader.lastReadError != nil)
        expectError(.serialization) { try reader.value(forKey: "bad") }
        #expect(log.messages(at: .error).count == 1)

        writer["more"] = 3
        #expect(reader["bad"] == 2 && reader["more"] == 3 && reader.lastReadError == nil)
    }

    @Test func aBadRecordStaysUntilTheNextFullDumpThatRecovers() throws {
        let writer = try UltraDict<String, Int>(name: uniqueName())
        defer { writer.unlink() }
        let reader = try UltraDict<String, Int>(name: writer.name, create: false)
        let log = CapturedLog()
        reader.logger = log.logger
        _ = try BadRecord.written(by: writer, key: "bad", value: 2)
        #expect(reader["bad"] == nil && reader.lastReadError != nil)

        writer["more"] = 3  // read again, and still behind the bad record: the same failure, not logged again
        #expect(reader["more"] == nil && reader.lastReadError?.code == .serialization)
        #expect(log.messages(at: .error).count == 1)

        try writer.dump()
        #expect(reader.snapshot == ["bad": 2, "more": 3] && reader.lastReadError == nil)
    }

    @Test func aFailedForcedLoadKeepsTheLastValidatedState() throws {
        let writer = try UltraDict<String, Int>(name: uniqueName())
        defer { writer.unlink() }
        try writer.update(with: ["a": 1, "b": 2])
        let reader = try UltraDict<String, Int>(name: writer.name, create: false)
        #expect(reader.snapshot == ["a": 1, "b": 2])

        // A bad record in the stream.
        let bad = try BadRecord.written(by: writer, key: "c", value: 3)
        expectError(.serialization) { try reader.load(force: true) }
        #expect(reader.snapshot == ["a": 1, "b": 2])
        try bad.repair()
        try reader.load(force: true)
        #expect(reader.snapshot == ["a": 1, "b": 2, "c": 3] && reader.lastReadError == nil)

        // A full dump that does not decode as `Int` values.
        let any = try UltraDict<String, UltraValue>(name: writer.name, create: false)
        any["d"] = "four"
        try any.dump()
        expectError(.typeMismatch) { try reader.load(force: true) }
        #expect(reader.snapshot == ["a": 1, "b": 2, "c": 3])
    }

    @Test func applyingErrorsNameTheDictionaryAndTheKey() throws {
        let scores = try UltraDict<String, Int>(name: uniqueName())
        defer { scores.unlink() }
        let strings = try UltraDict<String, String>(name: scores.name, create: false)
        strings["bob"] = "one"
        let message = "'\(scores.name)', key \"bob\": expected Int, found string \"one\""
        #expect { try scores.value(forKey: "bob") } throws: { error in
            (error as? UltraDictError)?.code == .typeMismatch && (error as? UltraDictError)?.message == message
        }
        #expect(scores["bob"] == nil && scores.lastReadError?.message == message)

        try strings.dump()  // the same entry read from a full dump, when attaching
        #expect { try UltraDict<String, Int>(name: scores.name, create: false) } throws: { error in
            (error as? UltraDictError)?.code == .typeMismatch && (error as? UltraDictError)?.message == message
        }
    }
}

/// A read that fails for a reason of the machine, not of the bytes, is tried again at once.
@Suite("Transient read failures")
struct TransientReadFailureTests {
    @Test func aFailureOfTheMachineIsNotRemembered() throws {
        let writer = try UltraDict<String, Int>(name: uniqueName())
        defer { writer.unlink() }
        let reader = try UltraDict<String, Int>(name: writer.name, create: false)
        writer["a"] = 1
        try writer.dump()  // the reader must open the new dump: a shm_open
        let fault = SystemCallFault("shm_open", errno: EMFILE)
        SystemCallFault.inject(fault) { expectError(.tooManyOpenFiles) { try reader.value(forKey: "a") } }
        #expect(fault.hitCount >= 1)
        #expect(try reader.value(forKey: "a") == 1)  // nothing new was published, and the read is tried again
    }

    /// A change feed (what `changes()` and `ultradict watch` read) applies all of what was
    /// published, or, when a record cannot be decoded, none of it: the records before the bad one
    /// wait with it, and come, in order, once it can be read.
    @Test func aChangeFeedAppliesAllOrNothing() throws {
        let writer = try UltraDict<String, Int>(name: uniqueName())
        defer { writer.unlink() }
        writer["kept"] = 0
        var feed = ChangeFeed(log: try UpdateLog.attach(name: writer.name), serializer: MessagePackSerializer(), keyOrder: { $0.description < $1.description })
        _ = try feed.changes()
        writer["before"] = 1
        let bad = try BadRecord.written(by: writer, key: "bad", value: 2)
        expectError(.serialization) { _ = try feed.changes() }
        #expect(feed.entries == [.string("kept"): .int(0)])
        try bad.repair()
        let changes = try feed.changes().map { change -> String in
            guard case .set(let key, let value) = change else { return "removed" }
            return "\(key)=\(value)"
        }
        #expect(changes == ["\(UltraValue.string("before"))=\(UltraValue.int(1))", "\(UltraValue.string("bad"))=\(UltraValue.int(2))"])
        #expect(feed.entries == [.string("kept"): .int(0), .string("before"): .int(1), .string("bad"): .int(2)])
    }
}
