import Testing
import UltraDict
import _UltraDictTestSupport

/// A value whose decoding reads, once, the dictionary it is being decoded from.
struct SelfReadingValue: Codable, Equatable {
    /// The handle to read while decoding; cleared by the read.
    nonisolated(unsafe) static var handleToRead: UltraDict<String, SelfReadingValue>?
    /// What that read threw.
    nonisolated(unsafe) static var errorSeen: UltraDictError?

    var number: Int

    init(number: Int) { self.number = number }

    init(from decoder: any Decoder) throws {
        number = try decoder.singleValueContainer().decode(Int.self)
        guard let handle = Self.handleToRead else { return }
        Self.handleToRead = nil
        do {
            _ = try handle.value(forKey: "k0")
        } catch let error as UltraDictError {
            Self.errorSeen = error
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(number)
    }
}

/// A handle applying records does not read into the buffer it applies them from.
@Suite("Reentrant reads")
struct ReentrantReadTests {
    @Test func aReadFromInsideDecodingIsRefusedAndTheOuterReadCompletes() throws {
        let writer = try UltraDict<String, SelfReadingValue>(name: uniqueName())
        defer { writer.unlink() }
        let reader = try UltraDict<String, SelfReadingValue>(name: writer.name, create: false)
        for i in 0..<100 { writer["k\(i)"] = SelfReadingValue(number: i) }

        SelfReadingValue.handleToRead = reader
        #expect(reader["k99"] == SelfReadingValue(number: 99))
        #expect(SelfReadingValue.errorSeen?.code == .invalidArgument)
        #expect(reader.count == 100 && reader.lastReadError == nil)
    }
}
