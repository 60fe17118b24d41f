import UltraDictCore

#if canImport(Testing)
import Testing
#endif

/// The conformance check of `UltraDictSerializer`: run it from your serializer's tests.
///
/// ```swift
/// import Testing
/// import UltraDictTesting
///
/// @Test func conforms() {
///     UltraDictSerializerConformance.check(MySerializer())
/// }
/// ```
///
/// It checks the protocol's contract, as far as a test can see it:
/// - **Round trips**, compared bit for bit (the sign of a zero, the UTF-8 bytes of a string): every
///   scalar case with the boundaries of its encodings (Int64 and UInt64 extremes, ±0, ±infinity,
///   NaN, control characters, NUL, unicode beyond the BMP, combining marks), empty and nested
///   containers, dictionaries with keys of every kind (see ``UltraDictSerializerCapabilities``),
///   70,000-element values, 1 MB strings and bytes, and 10,000-entry snapshots.
/// - **Nesting**: ``UltraDictSerializerCapabilities/maximumDepth`` levels round-trip; one more makes
///   `encode` throw `UltraDictError.Code.serialization`, in a record too.
/// - **Encoding appends**: bytes already in the buffer stay as they were, also when `encode`
///   throws; decoding works at an odd address.
/// - **Update records**: `encodeUpdate` and `decodeUpdate` agree with `encode` and `decode` of
///   `UltraDictUpdate.record`, for sets and deletes; `isSet` may be an int, as Python writes;
///   trees that are not records are refused; `encodeUpdate(_:inPlace:)`, when it writes, writes
///   the same bytes, and returns `nil` when they do not fit.
/// - **Snapshots**: `decodeSnapshot` hands over the entries that `decode` finds, with or without
///   an announcement; the announced count, if any, comes once, before the entries, and is theirs.
/// - **Refusals are honest**: a value the serializer may not represent (tag-like dictionaries, a
///   key containing NUL) either throws `UltraDictError.Code.serialization` or round-trips.
/// - **Malformed input** throws `UltraDictError.Code.serialization`, never another error: the
///   empty input, every truncation of a container's or record's encoding, trailing bytes, and
///   random and mutated inputs. A crash stops the test process, which fails the test too.
/// - The `UltraDictSerializer.identifier` is 1 to 15 printable ASCII bytes.
public enum UltraDictSerializerConformance {
    /// One way in which a serializer breaks the contract.
    public struct Failure: Sendable, Hashable, CustomStringConvertible {
        /// The part of the check that found it, such as `"round trip"` or `"malformed input"`.
        public let check: String
        /// What happened, naming the value or showing the input.
        public let message: String

        /// `check: message`.
        public var description: String { "\(check): \(message)" }
    }

    /// Runs every check on `serializer` and returns what fails, empty when it conforms.
    ///
    /// Costs a few seconds in a debug build, most of it in the 1 MB values and in the
    /// `malformedInputs` random and mutated inputs (each goes to `decode` and `decodeUpdate`).
    /// The same `seed` gives the same inputs.
    public static func failures<Serializer: UltraDictSerializer>(
        of serializer: Serializer,
        capabilities: UltraDictSerializerCapabilities = .init(),
        malformedInputs: Int = 2_000,
        seed: UInt64 = 0x5EED
    ) -> [Failure] {
        var checker = Checker(serializer: serializer, capabilities: capabilities)
        checker.checkIdentifier()
        checker.checkRoundTrips()
        checker.checkNesting()
        checker.checkUpdates()
        checker.checkSnapshots()
        checker.checkTruncationsAndTrailingBytes()
        checker.fuzz(inputs: malformedInputs, seed: seed)
        return checker.failures
    }

    /// Feeds `count` random and mutated inputs to `decode` and `decodeUpdate` and returns every one
    /// that threw anything but `UltraDictError.Code.serialization`; an input may also decode.
    ///
    /// Mutations start from the serializer's own encodings of small values: flipped bits, bytes set
    /// to boundary values, inserted, deleted and duplicated ranges, truncations, splices of two
    /// encodings, and wide integers overwritten with extremes. One input in eight is random bytes.
    public static func fuzz<Serializer: UltraDictSerializer>(
        _ serializer: Serializer,
        inputs count: Int,
        capabilities: UltraDictSerializerCapabilities = .init(),
        seed: UInt64 = 0xF022
    ) -> [Failure] {
        var checker = Checker(serializer: serializer, capabilities: capabilities)
        checker.fuzz(inputs: count, seed: seed)
        return checker.failures
    }

    #if canImport(Testing)
    /// Runs ``failures(of:capabilities:malformedInputs:seed:)`` and records each failure as a Swift
    /// Testing issue at the caller's source location.
    public static func check<Serializer: UltraDictSerializer>(
        _ serializer: Serializer,
        capabilities: UltraDictSerializerCapabilities = .init(),
        malformedInputs: Int = 2_000,
        seed: UInt64 = 0x5EED,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for failure in failures(of: serializer, capabilities: capabilities, malformedInputs: malformedInputs, seed: seed) {
            Issue.record(Comment(rawValue: "\(Serializer.self) \(failure)"), sourceLocation: sourceLocation)
        }
    }
    #endif
}

extension Checker {
    mutating func checkIdentifier() {
        let utf8 = Array(Serializer.identifier.utf8)
        if !(1 ... 15).contains(utf8.count) || !utf8.allSatisfy({ (0x21 ... 0x7E).contains($0) }) {
            fail("identifier", "\"\(Serializer.identifier)\" is not 1 to 15 printable ASCII bytes")
        }
    }

    mutating func checkRoundTrips() {
        for (name, value) in Corpus.scalars + Corpus.containers + Corpus.large(capabilities) {
            if case .dictionary = value, capabilities.keys == .mayChange { checkKeysMayChange(name, value) } else { roundTrip(name, value) }
        }
        for (name, value) in Corpus.refusable { roundTrip(name, value, refusalAllowed: true) }
        for (name, value) in Corpus.otherKeys {
            if capabilities.keys == .any { roundTrip(name, value) } else { checkKeysMayChange(name, value) }
        }
    }

    /// For a serializer that does not keep every key: `encode` may refuse `value`, or it must come
    /// back with as many entries and the same values.
    mutating func checkKeysMayChange(_ name: String, _ value: UltraValue) {
        guard case .dictionary(let map) = value, let bytes = encode(.value(value), name, refusalAllowed: true) else { return }
        do {
            guard case .dictionary(let decoded) = try decode(bytes), decoded.count == map.count,
                Set(decoded.values.map(\.description)) == Set(map.values.map(\.description)) else {
                fail("keys", "\(name) came back with other entries: \(brief(try decode(bytes)))")
                return
            }
        } catch {
            fail("keys", "decoding the encoding of \(name) threw \(error)")
        }
    }

    mutating func checkNesting() {
        let limit = capabilities.maximumDepth
        for dictionaries in [false, true] {
            let kind = dictionaries ? "dictionaries" : "arrays"
            roundTrip("\(limit) nested \(kind)", Corpus.nested(limit, dictionaries: dictionaries))
            refuse(.value(Corpus.nested(limit + 1, dictionaries: dictionaries)), "\(limit + 1) nested \(kind)")
            refuse(.update(.set("k", Corpus.nested(limit, dictionaries: dictionaries))), "a record holding \(limit) nested \(kind)")
        }
        let record = UltraDictUpdate.set("k", Corpus.nested(limit - 1))
        let name = "a record holding \(limit - 1) nested arrays"
        if let bytes = encode(.update(record), name) { expectUpdate(bytes, record, name) }
    }

    /// Checks that encoding `payload` throws a serialization error and leaves the buffer's bytes alone.
    mutating func refuse(_ payload: Payload, _ name: String) {
        var buffer = Self.prefix
        do {
            try write(payload, into: &buffer)
            fail("nesting", "encode accepted \(name), deeper than the declared limit of \(capabilities.maximumDepth)")
        } catch let error as UltraDictError where error.code == .serialization {
            if !buffer.starts(with: Self.prefix) { fail("encoding appends", "encode changed the buffer's bytes while refusing \(name)") }
        } catch {
            fail("nesting", "encoding \(name) threw \(error), not a serialization error")
        }
    }

    mutating func checkUpdates() {
        for update in Corpus.updates(capabilities) {
            let name = "\(update.isSet ? "set" : "delete") of \(brief(update.key))\(update.isSet ? " to \(brief(update.value))" : "")"
            if let bytes = encode(.update(update), name) {
                expectUpdate(bytes, update, name)
                expectInPlace(update, bytes, name)
                do {
                    let tree = try decode(bytes)
                    if !identical(tree, update.record) { fail("update", "encodeUpdate of the \(name) decodes to \(brief(tree)), not its record") }
                } catch {
                    fail("update", "decode of encodeUpdate's \(name) threw \(error)")
                }
            }
            if let bytes = encode(.value(update.record), "the record of the \(name)") { expectUpdate(bytes, update, "encoded record of the \(name)") }
        }
        for (flag, isSet) in [(1, true), (0, false)] {
            let record: UltraValue = [.int(Int64(flag)), "key", "value"]
            guard let bytes = encode(.value(record), brief(record)) else { continue }
            do {
                if try decodeUpdate(bytes).isSet != isSet { fail("update", "decodeUpdate of \(brief(record)) does not read isSet as \(isSet)") }
            } catch {
                fail("update", "decodeUpdate of \(brief(record)) threw \(error); Python may write isSet as an int")
            }
        }
        for tree in Corpus.notRecords {
            guard let bytes = encode(.value(tree), brief(tree), refusalAllowed: true) else { continue }
            expectRefusal("update", bytes, .decodeUpdate, "the non-record \(brief(tree))")
        }
    }

    /// Checks that `encodeUpdate(_:inPlace:)` writes `bytes` (or declines) when they fit with room
    /// to spare, and declines when one byte is missing.
    mutating func expectInPlace(_ update: UltraDictUpdate, _ bytes: [UInt8], _ name: String) {
        do {
            var room = [UInt8](repeating: 0, count: bytes.count + 8)
            guard let written = try room.withUnsafeMutableBytes({ try serializer.encodeUpdate(update, inPlace: $0) }) else { return }
            if written > room.count || room[..<written] != bytes[...] {
                fail("update", "encodeUpdate(_:inPlace:) of the \(name) wrote other bytes than encodeUpdate(_:into:)")
            }
            var tight = [UInt8](repeating: 0, count: max(0, bytes.count - 1))
            if try tight.withUnsafeMutableBytes({ try serializer.encodeUpdate(update, inPlace: $0) }) != nil {
                fail("update", "encodeUpdate(_:inPlace:) of the \(name) claims to fit in \(bytes.count - 1) bytes")
            }
        } catch {
            fail("update", "encodeUpdate(_:inPlace:) of the \(name) threw \(error), encodeUpdate(_:into:) did not")
        }
    }

    /// Checks that `decodeUpdate(bytes)` gives `update` (its value only for a set).
    mutating func expectUpdate(_ bytes: [UInt8], _ update: UltraDictUpdate, _ name: String) {
        do {
            let decoded = try decodeUpdate(bytes)
            if decoded.isSet != update.isSet || !identical(decoded.key, update.key) || (update.isSet && !identical(decoded.value, update.value)) {
                fail("update", "decodeUpdate of the \(name) gave \(decoded.isSet ? "set" : "delete") of \(brief(decoded.key)) to \(brief(decoded.value))")
            }
        } catch {
            fail("update", "decodeUpdate of the \(name) threw \(error)")
        }
    }

    /// Checks that the decoding `entry` refuses `bytes` with a serialization error.
    mutating func expectRefusal(_ check: String, _ bytes: [UInt8], _ entry: Entry, _ name: String) {
        do {
            try run(entry, bytes)
            fail(check, "\(entry) accepted \(name): \(hex(bytes))")
        } catch let error as UltraDictError where error.code == .serialization {
        } catch {
            fail(check, "\(entry) of \(name) threw \(error), not a serialization error: \(hex(bytes))")
        }
    }

    mutating func checkTruncationsAndTrailingBytes() {
        for entry in Entry.allCases { expectRefusal("malformed input", [], entry, "the empty input") }
        var encodings: [(String, [UInt8])] = []
        for (name, value) in Corpus.containers {
            if let bytes = encode(.value(value), name), bytes.count <= 4096 { encodings.append((name, bytes)) }
        }
        for update in [UltraDictUpdate.set("key", ["a": [1, 2.5, "x"]]), .delete("key")] {
            if let bytes = encode(.update(update), "an update record") { encodings.append(("an update record", bytes)) }
        }
        for (name, bytes) in encodings {
            // Every strict prefix of a small encoding; 256 spread over a larger one.
            let ends = bytes.count <= 256 ? Array(0 ..< bytes.count) : (0 ..< 256).map { $0 * bytes.count / 256 }
            for end in ends {
                for entry in Entry.allCases {
                    expectRefusal("truncation", Array(bytes[..<end]), entry, "\(end) of the \(bytes.count) bytes of \(name)")
                }
            }
            for entry in Entry.allCases {
                expectRefusal("malformed input", bytes + [0], entry, "\(name) followed by a NUL byte")
                expectRefusal("malformed input", bytes + bytes, entry, "\(name) twice")
            }
        }
    }
}

/// The first bytes of `bytes` in hex, for messages.
func hex(_ bytes: [UInt8]) -> String {
    let shown = bytes.prefix(48).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
    return bytes.count > 48 ? "\(shown) … (\(bytes.count) bytes)" : "[\(shown)]"
}
