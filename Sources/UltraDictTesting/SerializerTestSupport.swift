import UltraDictCore

#if canImport(Testing)
import Testing
#endif

// Small tools for a serializer's own tests, beside the conformance check.

/// Shortcuts for a serializer's tests: encode to and decode from plain byte arrays.
extension UltraDictSerializer {
    /// `value` encoded into a fresh buffer.
    public func encoded(_ value: UltraValue) throws -> [UInt8] {
        var buffer: [UInt8] = []
        try encode(value, into: &buffer)
        return buffer
    }

    /// The one value that `bytes` encode.
    public func decoded(_ bytes: [UInt8]) throws -> UltraValue {
        try bytes.withUnsafeBytes { try decode($0) }
    }

    /// The update record that `bytes` encode.
    public func decodedUpdate(_ bytes: [UInt8]) throws -> UltraDictUpdate {
        try bytes.withUnsafeBytes { try decodeUpdate($0) }
    }
}

#if canImport(Testing)
/// Expects `body` to throw an `UltraDictError` with code `.serialization` whose message starts
/// with `messagePrefix` (a serializer's errors start with its name, such as `"msgpack: "`).
@discardableResult
public func expectSerializationError(
    messagePrefix: String,
    _ comment: Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) -> UltraDictError? {
    let error = #expect(throws: UltraDictError.self, comment, sourceLocation: sourceLocation) { try body() }
    #expect(error?.code == .serialization, comment, sourceLocation: sourceLocation)
    #expect(error?.message.hasPrefix(messagePrefix) == true, comment, sourceLocation: sourceLocation)
    return error
}
#endif

/// A small reproducible random number generator (SplitMix64), so that a failing random input can
/// be replayed from its seed.
public struct SplitMix64: RandomNumberGenerator {
    /// The generator's state; the seed.
    public var state: UInt64

    /// Creates a generator from a seed.
    public init(state: UInt64) { self.state = state }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
