/// A type that converts to and from ``UltraValue`` directly, without going through `Codable`.
///
/// The standard scalars, strings, arrays, dictionaries and optionals conform, which is the fast
/// path of the bridge: a dictionary of `Int` or `String` values never builds a `Codable`
/// container. Any other `Codable` type goes through ``UltraValueEncoder`` and ``UltraValueDecoder``.
public protocol UltraValueConvertible {
    /// Reads a value of this type, throwing ``UltraDictError/Code/typeMismatch`` for another kind.
    init(ultraValue: UltraValue) throws
    /// This value as a tree.
    var ultraValue: UltraValue { get }
}

extension UltraDictError {
    /// The error thrown when a stored value is not of the requested type.
    public static func typeMismatch(expected: String, found value: UltraValue) -> UltraDictError {
        UltraDictError(.typeMismatch, "expected \(expected), found \(value.kindName) \(value)")
    }
}

extension UltraValue: UltraValueConvertible {
    /// Returns `ultraValue` unchanged.
    @inlinable public init(ultraValue: UltraValue) { self = ultraValue }
    /// Returns `self`.
    @inlinable public var ultraValue: UltraValue { self }
}

/// `Bool` as ``UltraValue/bool(_:)``, without `Codable`.
extension Bool: UltraValueConvertible {
    /// Reads ``UltraValue/bool(_:)``.
    @inlinable public init(ultraValue: UltraValue) throws {
        guard case .bool(let value) = ultraValue else { throw UltraDictError.typeMismatch(expected: "bool", found: ultraValue) }
        self = value
    }
    /// ``UltraValue/bool(_:)``.
    @inlinable public var ultraValue: UltraValue { .bool(self) }
}

/// `Int` as ``UltraValue/int(_:)``, without `Codable`.
extension Int: UltraValueConvertible {
    /// Reads an integer that fits `Int`.
    @inlinable public init(ultraValue: UltraValue) throws {
        guard case .int(let value) = ultraValue, let exact = Int(exactly: value) else {
            throw UltraDictError.typeMismatch(expected: "Int", found: ultraValue)
        }
        self = exact
    }
    /// ``UltraValue/int(_:)``.
    @inlinable public var ultraValue: UltraValue { .int(Int64(self)) }
}

/// `Int64` as ``UltraValue/int(_:)``, without `Codable`.
extension Int64: UltraValueConvertible {
    /// Reads ``UltraValue/int(_:)``.
    @inlinable public init(ultraValue: UltraValue) throws {
        guard case .int(let value) = ultraValue else { throw UltraDictError.typeMismatch(expected: "Int64", found: ultraValue) }
        self = value
    }
    /// ``UltraValue/int(_:)``.
    @inlinable public var ultraValue: UltraValue { .int(self) }
}

/// `UInt64` as ``UltraValue/int(_:)`` or ``UltraValue/uint(_:)``, without `Codable`.
extension UInt64: UltraValueConvertible {
    /// Reads a non-negative integer.
    @inlinable public init(ultraValue: UltraValue) throws {
        switch ultraValue {
        case .int(let value) where value >= 0: self = UInt64(value)
        case .uint(let value): self = value
        default: throw UltraDictError.typeMismatch(expected: "UInt64", found: ultraValue)
        }
    }
    /// ``UltraValue/int(_:)`` or, above `Int64.max`, ``UltraValue/uint(_:)``.
    @inlinable public var ultraValue: UltraValue { .unsigned(self) }
}

/// `Double` as ``UltraValue/double(_:)``, without `Codable`.
extension Double: UltraValueConvertible {
    /// Reads a double, or an integer as a double (JSON and Python blur the two).
    @inlinable public init(ultraValue: UltraValue) throws {
        switch ultraValue {
        case .double(let value): self = value
        case .int(let value): self = Double(value)
        default: throw UltraDictError.typeMismatch(expected: "Double", found: ultraValue)
        }
    }
    /// ``UltraValue/double(_:)``.
    @inlinable public var ultraValue: UltraValue { .double(self) }
}

/// `String` as ``UltraValue/string(_:)``, without `Codable`.
extension String: UltraValueConvertible {
    /// Reads ``UltraValue/string(_:)``.
    @inlinable public init(ultraValue: UltraValue) throws {
        guard case .string(let value) = ultraValue else { throw UltraDictError.typeMismatch(expected: "String", found: ultraValue) }
        self = value
    }
    /// ``UltraValue/string(_:)``.
    @inlinable public var ultraValue: UltraValue { .string(self) }
}

/// An array of convertible elements as ``UltraValue/array(_:)``, element by element, without `Codable`.
extension Array: UltraValueConvertible where Element: UltraValueConvertible {
    /// Reads ``UltraValue/array(_:)`` element by element.
    @inlinable public init(ultraValue: UltraValue) throws {
        guard case .array(let values) = ultraValue else { throw UltraDictError.typeMismatch(expected: "array", found: ultraValue) }
        self = try values.map(Element.init(ultraValue:))
    }
    /// ``UltraValue/array(_:)``.
    @inlinable public var ultraValue: UltraValue { .array(map(\.ultraValue)) }
}

/// A dictionary of convertible keys and values as ``UltraValue/dictionary(_:)``, without `Codable`.
extension Dictionary: UltraValueConvertible where Key: UltraValueConvertible, Value: UltraValueConvertible {
    /// Reads ``UltraValue/dictionary(_:)`` entry by entry.
    @inlinable public init(ultraValue: UltraValue) throws {
        guard case .dictionary(let map) = ultraValue else { throw UltraDictError.typeMismatch(expected: "dictionary", found: ultraValue) }
        self.init(minimumCapacity: map.count)
        for (key, value) in map { self[try Key(ultraValue: key)] = try Value(ultraValue: value) }
    }
    /// ``UltraValue/dictionary(_:)``.
    @inlinable public var ultraValue: UltraValue {
        .dictionary([UltraValue: UltraValue](map { ($0.key.ultraValue, $0.value.ultraValue) }, uniquingKeysWith: { _, last in last }))
    }
}

/// An optional of a convertible type: `nil` as ``UltraValue/null``, otherwise the wrapped value's tree.
extension Optional: UltraValueConvertible where Wrapped: UltraValueConvertible {
    /// Reads ``UltraValue/null`` as `nil`, anything else as the wrapped type.
    @inlinable public init(ultraValue: UltraValue) throws {
        self = ultraValue == .null ? nil : try Wrapped(ultraValue: ultraValue)
    }
    /// ``UltraValue/null`` for `nil`.
    @inlinable public var ultraValue: UltraValue { self?.ultraValue ?? .null }
}

/// Converts typed keys and values to ``UltraValue`` and back: the fast path for
/// ``UltraValueConvertible`` types, `Codable` for everything else.
public enum UltraValueBridge {
    /// The tree for `value`.
    public static func encode<T: Encodable>(_ value: T) throws -> UltraValue {
        if let convertible = value as? any UltraValueConvertible { return convertible.ultraValue }
        return try UltraValueEncoder().encode(value)
    }

    /// A `T` read from `value`; throws ``UltraDictError/Code/typeMismatch`` when it does not fit.
    public static func decode<T: Decodable>(_ type: T.Type, from value: UltraValue) throws -> T {
        if let convertible = T.self as? any UltraValueConvertible.Type {
            return try convertible.init(ultraValue: value) as! T
        }
        return try UltraValueDecoder().decode(T.self, from: value)
    }
}

/// The conversions of one type to and from ``UltraValue``, chosen once: a dictionary keeps one
/// for its keys and one for its values, so that a write does not pay for a dynamic cast.
public struct UltraValueConverter<T: Codable> {
    /// Converts a value to its tree.
    public let encode: (T) throws -> UltraValue
    /// Reads a value from a tree; throws ``UltraDictError/Code/typeMismatch`` when it does not fit.
    public let decode: (UltraValue) throws -> T

    /// Converts a value to its tree, as ``encode`` does. Inlinable: where `T` is a standard
    /// scalar (`Int`, `Double`, `Bool`, `String`) or ``UltraValue`` and the caller is specialized,
    /// this is the conformance's own conversion inlined, with no closure call.
    @inlinable
    public func tree(for value: T) throws -> UltraValue {
        if let tree = Self.directTree(value, as: Int.self) ?? Self.directTree(value, as: String.self)
            ?? Self.directTree(value, as: Double.self) ?? Self.directTree(value, as: Bool.self)
            ?? Self.directTree(value, as: UltraValue.self) {
            return tree
        }
        return try encode(value)
    }

    /// Reads a value from a tree, as ``decode`` does, with the fast path of ``tree(for:)``.
    @inlinable
    public func value(from tree: UltraValue) throws -> T {
        if let value = try Self.directValue(tree, as: Int.self) ?? Self.directValue(tree, as: String.self)
            ?? Self.directValue(tree, as: Double.self) ?? Self.directValue(tree, as: Bool.self)
            ?? Self.directValue(tree, as: UltraValue.self) {
            return value
        }
        return try decode(tree)
    }

    /// `value`'s tree when `T` is `C`: a comparison of metatypes, folded away where `T` is known.
    @inlinable @inline(__always)
    static func directTree<C: UltraValueConvertible>(_ value: T, as _: C.Type) -> UltraValue? {
        // Safe: the cast happens only when T and C are the same type. (`.none`, not `nil`: a
        // `nil` literal here would be the tree `UltraValue.null`.)
        T.self == C.self ? unsafeBitCast(value, to: C.self).ultraValue : .none
    }

    /// A `T` read from `tree` when `T` is `C`; `nil` when it is not.
    @inlinable @inline(__always)
    static func directValue<C: UltraValueConvertible>(_ tree: UltraValue, as _: C.Type) throws -> T? {
        // Safe: the cast happens only when T and C are the same type.
        T.self == C.self ? unsafeBitCast(try C(ultraValue: tree), to: T.self) : .none
    }

    /// Chooses the fast path when `T` is ``UltraValueConvertible``, else `Codable`.
    public init() {
        if let convertible = T.self as? any UltraValueConvertible.Type {
            (encode, decode) = Self.direct(convertible)
        } else {
            encode = { try UltraValueEncoder().encode($0) }
            decode = { try UltraValueDecoder().decode(T.self, from: $0) }
        }
    }

    /// The conversions of `C`, which is `T` at run time, retyped as conversions of `T`.
    private static func direct<C: UltraValueConvertible>(
        _: C.Type
    ) -> ((T) throws -> UltraValue, (UltraValue) throws -> T) {
        let encode: (C) throws -> UltraValue = { $0.ultraValue }
        let decode: (UltraValue) throws -> C = { try C(ultraValue: $0) }
        // Safe: C and T are the same type, so the function types have the same representation.
        return (
            unsafeBitCast(encode, to: ((T) throws -> UltraValue).self),
            unsafeBitCast(decode, to: ((UltraValue) throws -> T).self)
        )
    }
}
