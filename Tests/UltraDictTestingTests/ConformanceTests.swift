import Testing
import UltraDictCore
import UltraDictJSON
import UltraDictMessagePack
import UltraDictPropertyList
import UltraDictTesting
@testable import CustomSerializer

/// Every serializer of the package, and the example's, passes the conformance check.
@Suite("Serializer conformance")
struct ConformanceTests {
    @Test func messagePack() {
        UltraDictSerializerConformance.check(MessagePackSerializer(), capabilities: .init(maximumDepth: MessagePackSerializer.maximumDepth))
    }

    @Test func json() {
        UltraDictSerializerConformance.check(JSONSerializer(), capabilities: .init(keys: .strings))
    }

    @Test func jsonWithIntegerTopLevelKeys() {
        UltraDictSerializerConformance.check(JSONSerializer(topLevelKeys: .integers), capabilities: .init(keys: .strings))
    }

    @Test func propertyList() {
        UltraDictSerializerConformance.check(PropertyListSerializer())
    }

    @Test func exampleCompactSerializer() {
        UltraDictSerializerConformance.check(CompactSerializer())
    }
}

/// Each decoder gets 100,000 random and mutated inputs (each through `decode` and `decodeUpdate`)
/// and must decode them or throw a serialization error; a crash fails the whole run.
@Suite("Decoders under random and mutated input")
struct FuzzTests {
    @Test func messagePack() {
        let failures = UltraDictSerializerConformance.fuzz(
            MessagePackSerializer(), inputs: 100_000, capabilities: .init(maximumDepth: MessagePackSerializer.maximumDepth)
        )
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test func json() {
        let failures = UltraDictSerializerConformance.fuzz(JSONSerializer(topLevelKeys: .integers), inputs: 100_000, capabilities: .init(keys: .strings))
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test func propertyList() {
        let failures = UltraDictSerializerConformance.fuzz(PropertyListSerializer(), inputs: 100_000)
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test func exampleCompactSerializer() {
        let failures = UltraDictSerializerConformance.fuzz(CompactSerializer(), inputs: 100_000)
        #expect(failures.isEmpty, "\(failures)")
    }
}

// MARK: - The check finds broken serializers

/// The example serializer with one defect chosen by `defect`.
private struct Broken: UltraDictSerializer {
    enum Defect: Sendable {
        /// Writes -0.0 as 0.0.
        case dropsSignOfZero
        /// Replaces the buffer instead of appending to it.
        case clobbersBuffer
        /// Throws a Swift error, not an `UltraDictError`, for input it cannot read.
        case throwsForeignErrors
        /// Decodes only the first value and ignores the bytes after it.
        case ignoresTrailingBytes
    }

    static let identifier = "broken"
    let defect: Defect
    private let base = CompactSerializer()

    struct ForeignError: Error {}

    func encode(_ value: UltraValue, into buffer: inout [UInt8]) throws {
        switch defect {
        case .dropsSignOfZero: try base.encode(value == .double(-0.0) ? .double(0) : value, into: &buffer)
        case .clobbersBuffer: buffer = []; try base.encode(value, into: &buffer)
        case .throwsForeignErrors, .ignoresTrailingBytes: try base.encode(value, into: &buffer)
        }
    }

    func decode(_ bytes: UnsafeRawBufferPointer) throws -> UltraValue {
        switch defect {
        case .dropsSignOfZero, .clobbersBuffer: return try base.decode(bytes)
        case .throwsForeignErrors:
            do { return try base.decode(bytes) } catch { throw ForeignError() }
        case .ignoresTrailingBytes:
            // Retries shorter and shorter prefixes: accepts any valid value followed by junk.
            for end in stride(from: bytes.count, through: 1, by: -1) {
                if let value = try? base.decode(UnsafeRawBufferPointer(rebasing: bytes[..<end])) { return value }
            }
            return try base.decode(bytes)
        }
    }
}

@Suite("The conformance check catches defects")
struct ConformanceCheckTests {
    private func failures(_ defect: Broken.Defect, _ capabilities: UltraDictSerializerCapabilities = .init()) -> [UltraDictSerializerConformance.Failure] {
        UltraDictSerializerConformance.failures(of: Broken(defect: defect), capabilities: capabilities, malformedInputs: 200)
    }

    @Test func aSerializerThatLosesTheSignOfZero() {
        let found = failures(.dropsSignOfZero)
        #expect(found.contains { $0.check == "round trip" && $0.message.contains("double -0.0") }, "\(found)")
    }

    @Test func aSerializerThatClobbersTheBuffer() {
        #expect(failures(.clobbersBuffer).contains { $0.check == "encoding appends" })
    }

    @Test func aSerializerThatThrowsOtherErrors() {
        let found = failures(.throwsForeignErrors)
        #expect(found.contains { $0.check == "truncation" && $0.message.contains("not a serialization error") }, "\(found)")
        #expect(found.contains { $0.check == "malformed input" }, "\(found)")
    }

    @Test func aSerializerThatIgnoresTrailingBytes() {
        #expect(failures(.ignoresTrailingBytes).contains { $0.check == "malformed input" && $0.message.contains("twice") })
    }

    @Test func aSerializerThatDeclaresLessNestingThanItWrites() {
        let found = failures(.dropsSignOfZero, .init(maximumDepth: 10))
        #expect(found.contains { $0.check == "nesting" && $0.message.contains("11 nested arrays") }, "\(found)")
    }

    @Test func aSerializerThatKeepsOnlyStringKeysIsNotAskedForOthers() {
        let honest = UltraDictSerializerConformance.failures(of: JSONSerializer(), capabilities: .init(keys: .strings), malformedInputs: 0)
        #expect(honest.isEmpty, "\(honest)")
        let overclaimed = UltraDictSerializerConformance.failures(of: JSONSerializer(), malformedInputs: 0)
        #expect(overclaimed.contains { $0.check == "round trip" && $0.message.contains("int keys") }, "\(overclaimed)")
    }

    @Test func failuresAreCappedPerCheck() {
        let found = failures(.throwsForeignErrors).filter { $0.check == "truncation" }
        #expect(found.count == 11)
        #expect(found.last?.message == "more failures left out")
    }
}
