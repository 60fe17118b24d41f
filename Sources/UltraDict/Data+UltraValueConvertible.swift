import Foundation
import UltraDictCore

/// `Data` as `UltraValue.bytes(_:)`, without `Codable`: `Data` keys and values take the fast path.
extension Data: UltraValueConvertible {
    /// Reads `UltraValue.bytes(_:)`.
    public init(ultraValue: UltraValue) throws {
        guard case .bytes(let bytes) = ultraValue else { throw UltraDictError.typeMismatch(expected: "bytes", found: ultraValue) }
        self.init(bytes)
    }

    /// `UltraValue.bytes(_:)`.
    public var ultraValue: UltraValue { .bytes(Array(self)) }
}
