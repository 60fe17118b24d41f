import UltraDictCore

/// What a serializer declares it cannot represent, so that the conformance check asks it only for
/// what it promises, and still checks that it refuses or degrades the rest honestly.
///
/// The default promises everything the value model holds, to `UltraValue.maximumDepth` levels.
public struct UltraDictSerializerCapabilities: Sendable, Hashable {
    /// Which dictionary keys come back unchanged.
    public enum Keys: Sendable, Hashable {
        /// Every value may be a key and comes back unchanged (MessagePack, property lists).
        case any
        /// String keys come back unchanged. A dictionary with another key may make `encode` throw
        /// `UltraDictError.Code.serialization`, or come back with other keys but the same number
        /// of entries and the same values (JSON writes the key `1` as `"1"`).
        case strings
        /// Like ``strings``, but a top-level dictionary's string keys may change too (JSON with
        /// `topLevelKeys: .integers` reads the key `"1"` of a full dump as the int `1`).
        case mayChange
    }

    /// Which dictionary keys come back unchanged.
    public var keys: Keys

    /// The deepest nesting of arrays and dictionaries the serializer writes and reads, at most
    /// `UltraValue.maximumDepth`; one level more must make `encode` throw.
    public var maximumDepth: Int

    /// Creates a declaration; the defaults promise everything.
    public init(keys: Keys = .any, maximumDepth: Int = UltraValue.maximumDepth) {
        self.keys = keys
        self.maximumDepth = maximumDepth
    }
}
