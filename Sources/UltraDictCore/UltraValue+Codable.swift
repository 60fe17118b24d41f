/// `UltraValue` is `Codable` so that it can be a dictionary's `Key` or `Value` and a property of
/// `Codable` types. Through ``UltraValueEncoder`` and ``UltraValueDecoder`` it passes unchanged;
/// through another coder (such as Foundation's `JSONEncoder`) it takes the nearest shape:
/// bytes become an array of integers, and a dictionary with a non-string key becomes an array of
/// `[key, value]` pairs.
extension UltraValue: Codable {
    /// Encodes the value in the shape described on the extension.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .dictionary(let map):
            if map.keys.allSatisfy({ if case .string = $0 { true } else { false } }) {
                var container = encoder.container(keyedBy: AnyKey.self)
                for (key, value) in map {
                    guard case .string(let name) = key else { continue }
                    try container.encode(value, forKey: AnyKey(name))
                }
            } else {
                var container = encoder.unkeyedContainer()
                for (key, value) in map { try container.encode([key, value]) }
            }
        case .array(let values):
            var container = encoder.unkeyedContainer()
            for value in values { try container.encode(value) }
        default:
            var container = encoder.singleValueContainer()
            switch self {
            case .null: try container.encodeNil()
            case .bool(let value): try container.encode(value)
            case .int(let value): try container.encode(value)
            case .uint(let value): try container.encode(value)
            case .double(let value): try container.encode(value)
            case .string(let value): try container.encode(value)
            case .bytes(let value): try container.encode(value)
            case .array, .dictionary: break
            }
        }
    }

    /// Decodes whatever shape the decoder holds, trying scalars first, then arrays, then objects.
    public init(from decoder: any Decoder) throws {
        if let container = try? decoder.singleValueContainer() {
            if container.decodeNil() { self = .null; return }
            if let value = try? container.decode(Bool.self) { self = .bool(value); return }
            if let value = try? container.decode(Int64.self) { self = .int(value); return }
            if let value = try? container.decode(UInt64.self) { self = .uint(value); return }
            if let value = try? container.decode(Double.self) { self = .double(value); return }
            if let value = try? container.decode(String.self) { self = .string(value); return }
        }
        if var container = try? decoder.unkeyedContainer() {
            var values: [UltraValue] = []
            while !container.isAtEnd { values.append(try container.decode(UltraValue.self)) }
            self = .array(values)
            return
        }
        let container = try decoder.container(keyedBy: AnyKey.self)
        var map: [UltraValue: UltraValue] = [:]
        for key in container.allKeys { map[.string(key.stringValue)] = try container.decode(UltraValue.self, forKey: key) }
        self = .dictionary(map)
    }
}

/// A coding key for any string.
private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ stringValue: String) { self.stringValue = stringValue }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}
