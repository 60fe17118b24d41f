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
        UltraDictSerializerConformance.check(JSONSerializer(topLevelKeys: .integers), capabilities: .init(keys: .mayChange))
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
        let failures = UltraDictSerializerConformance.fuzz(JSONSerializer(topLevelKeys: .integers), inputs: 100_000, capabilities: .init(keys: .mayChange))
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
        /// Accepts a NUL byte after the value.
        case acceptsTrailingNUL
    }

    static let identifier = "broken"
    let defect: Defect
    private let base = CompactSerializer()

    struct ForeignError: Error {}

    func encode(_ value: UltraValue, into buffer: inout [UInt8]) throws {
        switch defect {
        case .dropsSignOfZero: try base.encode(value == .double(-0.0) ? .double(0) : value, into: &buffer)
        case .clobbersBuffer: buffer = []; try base.encode(value, into: &buffer)
        case .throwsForeignErrors, .acceptsTrailingNUL: try base.encode(value, into: &buffer)
        }
    }

    func decode(_ bytes: UnsafeRawBufferPointer) throws -> UltraValue {
        switch defect {
        case .dropsSignOfZero, .clobbersBuffer: return try base.decode(bytes)
        case .throwsForeignErrors:
            do { return try base.decode(bytes) } catch { throw ForeignError() }
        case .acceptsTrailingNUL:
            if bytes.last == 0, let value = try? base.decode(UnsafeRawBufferPointer(rebasing: bytes.dropLast())) { return value }
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

    @Test func aSerializerThatAcceptsTrailingBytes() {
        #expect(failures(.acceptsTrailingNUL).contains { $0.check == "malformed input" && $0.message.contains("followed by a NUL byte") })
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
        // Reading "1" as 1 at the top level breaks the promise that string keys come back unchanged.
        let integerKeys = UltraDictSerializerConformance.failures(
            of: JSONSerializer(topLevelKeys: .integers), capabilities: .init(keys: .strings), malformedInputs: 0
        )
        #expect(integerKeys.contains { $0.check == "round trip" && $0.message.contains("keys that look like other types") }, "\(integerKeys)")
    }

    @Test func failuresAreCappedPerCheck() {
        let found = failures(.throwsForeignErrors).filter { $0.check == "truncation" }
        #expect(found.count == 11)
        #expect(found.last?.message == "more failures left out")
    }
}
