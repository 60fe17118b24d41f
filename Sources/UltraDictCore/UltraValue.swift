/// A value that every serializer can store: the value model of a shared dictionary.
///
/// `UltraValue` is the small tree that sits between Swift types and bytes. Typed keys and values
/// are bridged to it through ``UltraValueConvertible`` (fast paths for the standard scalar and
/// collection types) or through `Codable` (``UltraValueEncoder`` and ``UltraValueDecoder``), and
/// every ``UltraDictSerializer`` maps it to bytes and back.
///
/// Integers are normalized: a non-negative integer that fits `Int64` is always ``int(_:)``, so
/// ``uint(_:)`` only ever holds values above `Int64.max`.
public enum UltraValue: Sendable, Hashable {
    /// The absence of a value (`None` in Python, `nil` in MessagePack and JSON).
    case null
    /// A Boolean.
    case bool(Bool)
    /// A signed integer.
    case int(Int64)
    /// An unsigned integer above `Int64.max`; smaller ones are ``int(_:)``.
    case uint(UInt64)
    /// A double-precision floating-point number.
    case double(Double)
    /// A Unicode string.
    case string(String)
    /// Raw bytes (`bytes` in Python, `bin` in MessagePack).
    case bytes([UInt8])
    /// An ordered list of values.
    case array([UltraValue])
    /// A map from values to values.
    case dictionary([UltraValue: UltraValue])

    /// Makes an integer value from an unsigned integer, normalized as described on the type.
    @inlinable
    public static func unsigned(_ value: UInt64) -> UltraValue {
        value <= UInt64(Int64.max) ? .int(Int64(value)) : .uint(value)
    }

    /// The integer, when this is ``int(_:)``: `d[0] = .int((d[0]?.intValue ?? 0) + 1)`.
    public var intValue: Int64? {
        guard case .int(let value) = self else { return nil }
        return value
    }

    /// The name of this value's case, for error messages.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "bool"
        case .int, .uint: "int"
        case .double: "double"
        case .string: "string"
        case .bytes: "bytes"
        case .array: "array"
        case .dictionary: "dictionary"
        }
    }
}

// MARK: - Literals

extension UltraValue: ExpressibleByNilLiteral {
    /// Creates ``null``.
    public init(nilLiteral: ()) { self = .null }
}

extension UltraValue: ExpressibleByBooleanLiteral {
    /// Creates ``bool(_:)``.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension UltraValue: ExpressibleByIntegerLiteral {
    /// Creates ``int(_:)``.
    public init(integerLiteral value: Int64) { self = .int(value) }
}

extension UltraValue: ExpressibleByFloatLiteral {
    /// Creates ``double(_:)``.
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension UltraValue: ExpressibleByStringLiteral {
    /// Creates ``string(_:)``.
    public init(stringLiteral value: String) { self = .string(value) }
}

extension UltraValue: ExpressibleByArrayLiteral {
    /// Creates ``array(_:)``.
    public init(arrayLiteral elements: UltraValue...) { self = .array(elements) }
}

extension UltraValue: ExpressibleByDictionaryLiteral {
    /// Creates ``dictionary(_:)``; a repeated key keeps its last value.
    public init(dictionaryLiteral elements: (UltraValue, UltraValue)...) {
        self = .dictionary(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

// MARK: - Description

extension UltraValue: CustomStringConvertible {
    /// A Python-like rendering: `{"a": [1, 2.5, None, b'\x01']}`, keys sorted for stable output.
    public var description: String {
        switch self {
        case .null: return "None"
        case .bool(let value): return value ? "True" : "False"
        case .int(let value): return String(value)
        case .uint(let value): return String(value)
        case .double(let value): return String(value)
        case .string(let value): return "\"\(value)\""
        case .bytes(let value):
            return "b'" + value.map { "\\x" + (($0 < 16 ? "0" : "") + String($0, radix: 16)) }.joined() + "'"
        case .array(let values): return "[" + values.map(\.description).joined(separator: ", ") + "]"
        case .dictionary(let map):
            let entries = map.map { ($0.key.description, $0.value.description) }.sorted { $0.0 < $1.0 }
            return "{" + entries.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + "}"
        }
    }
}
