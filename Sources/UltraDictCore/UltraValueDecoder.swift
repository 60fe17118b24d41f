/// Decodes `Decodable` values from ``UltraValue`` trees: the `Codable` half of ``UltraValueBridge``.
///
/// Every failure throws ``UltraDictError/Code/typeMismatch`` with a message that names the coding
/// path, such as `at address.zip: expected Int, found string "x"`.
public struct UltraValueDecoder: Sendable {
    /// Context passed to every `init(from:)` as `decoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable]

    /// Creates a decoder.
    public init(userInfo: [CodingUserInfoKey: any Sendable] = [:]) {
        self.userInfo = userInfo
    }

    /// A `T` read from `value`; throws ``UltraDictError/Code/typeMismatch`` when it does not fit.
    public func decode<T: Decodable>(_ type: T.Type, from value: UltraValue) throws -> T {
        do {
            return try ValueDecoder(value: value, codingPath: [], userInfo: userInfo).decode(type)
        } catch let error as DecodingError {
            // Thrown by `init(from:)` implementations, such as an enum's for an unknown raw value.
            var message = "\(error)"
            switch error {
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context), .dataCorrupted(let context):
                message = "at \(context.codingPath.pathDescription): \(context.debugDescription)"
            @unknown default: break
            }
            throw UltraDictError(.typeMismatch, message, underlying: error)
        }
    }
}

// MARK: - Decoder and single-value container

/// The `Decoder` handed to `init(from:)` for one value; it is also its own single-value container.
fileprivate struct ValueDecoder: Decoder, SingleValueDecodingContainer {
    let value: UltraValue
    let codingPath: [any CodingKey]
    let userInfo: [CodingUserInfoKey: Any]

    /// A decoder for `value`, one level below this one.
    func child(_ value: UltraValue, _ key: any CodingKey) -> ValueDecoder {
        ValueDecoder(value: value, codingPath: codingPath + [key], userInfo: userInfo)
    }

    /// `error` with this decoder's coding path in front of its message.
    func located(_ error: UltraDictError) -> UltraDictError {
        UltraDictError(error.code, "at \(codingPath.pathDescription): \(error.message)", underlying: error.underlying)
    }

    /// The error for a value that is not of the `expected` type.
    func mismatch(_ expected: String) -> UltraDictError {
        located(.typeMismatch(expected: expected, found: value))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .dictionary(let map) = value else { throw mismatch("dictionary") }
        return KeyedDecodingContainer(KeyedValueDecoder(decoder: self, map: map))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else { throw mismatch("array") }
        return UnkeyedValueDecoder(decoder: self, elements: elements)
    }

    func singleValueContainer() -> any SingleValueDecodingContainer { self }

    /// Reads a ``UltraValueConvertible`` type through its own initializer.
    private func convert<T: UltraValueConvertible>(_ type: T.Type) throws -> T {
        do { return try T(ultraValue: value) } catch let error as UltraDictError { throw located(error) }
    }

    /// Reads an integer that fits `T` exactly.
    private func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        let exact: T? = switch value {
        case .int(let value): T(exactly: value)
        case .uint(let value): T(exactly: value)
        default: nil
        }
        guard let exact else { throw mismatch(String(describing: type)) }
        return exact
    }

    func decodeNil() -> Bool { value == .null }
    func decode(_ type: Bool.Type) throws -> Bool { try convert(type) }
    func decode(_ type: String.Type) throws -> String { try convert(type) }
    func decode(_ type: Double.Type) throws -> Double { try convert(type) }
    func decode(_ type: Int.Type) throws -> Int { try convert(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try convert(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try convert(type) }

    /// Reads a double that does not overflow `Float`.
    func decode(_ type: Float.Type) throws -> Float {
        let double = try convert(Double.self)
        guard Float(double).isFinite || !double.isFinite else { throw mismatch("Float") }
        return Float(double)
    }

    /// The entry point of every container: ``UltraValueConvertible`` types directly, others through `Codable`.
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if let convertible = type as? any UltraValueConvertible.Type, let result = try convert(convertible) as? T {
            return result
        }
        return try T(from: self)
    }
}

// MARK: - Keyed container

fileprivate struct KeyedValueDecoder<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: ValueDecoder
    let map: [UltraValue: UltraValue]
    var codingPath: [any CodingKey] { decoder.codingPath }

    var allKeys: [Key] {
        map.keys.compactMap { key in
            switch key {
            case .string(let name): Key(stringValue: name)
            case .int(let number): Key(stringValue: String(number)) ?? Int(exactly: number).flatMap(Key.init(intValue:))
            default: nil
            }
        }
    }

    /// The value under `key`'s string, or under the integer it spells exactly (`"7"`, not `"07"`).
    private func lookUp(_ key: any CodingKey) -> UltraValue? {
        if let value = map[.string(key.stringValue)] { return value }
        guard let number = Int64(key.stringValue), String(number) == key.stringValue else { return nil }
        return map[.int(number)]
    }

    private func child(_ key: Key) throws -> ValueDecoder {
        guard let value = lookUp(key) else {
            throw UltraDictError(.typeMismatch, "at \(codingPath.pathDescription): missing key '\(key.stringValue)'")
        }
        return decoder.child(value, key)
    }

    func contains(_ key: Key) -> Bool { lookUp(key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool { try child(key).decodeNil() }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try child(key).decode(type) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try child(key).decode(type) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try child(key).decode(type) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try child(key).decode(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try child(key).decode(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try child(key).decode(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try child(key).decode(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try child(key).decode(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try child(key).decode(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try child(key).decode(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try child(key).decode(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try child(key).decode(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try child(key).decode(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try child(key).decode(type) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try child(key).decode(type) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try child(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try child(key).unkeyedContainer()
    }

    /// A decoder for the `super` key, reading null when the encoder wrote none.
    func superDecoder() -> any Decoder {
        decoder.child(lookUp(UltraCodingKey.superKey) ?? .null, UltraCodingKey.superKey)
    }

    /// A decoder for `key`, reading null when the key is missing.
    func superDecoder(forKey key: Key) -> any Decoder { decoder.child(lookUp(key) ?? .null, key) }
}

// MARK: - Unkeyed container

fileprivate struct UnkeyedValueDecoder: UnkeyedDecodingContainer {
    let decoder: ValueDecoder
    let elements: [UltraValue]
    var currentIndex = 0
    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    /// A decoder for the current element, without moving on.
    private func current() throws -> ValueDecoder {
        guard !isAtEnd else {
            throw UltraDictError(.typeMismatch, "at \(codingPath.pathDescription): no element at index \(currentIndex), the array has \(elements.count)")
        }
        return decoder.child(elements[currentIndex], UltraCodingKey(intValue: currentIndex))
    }

    /// Reads the current element with `body`, moving on only when it succeeds.
    private mutating func next<T>(_ body: (ValueDecoder) throws -> T) throws -> T {
        let result = try body(current())
        currentIndex += 1
        return result
    }

    mutating func decodeNil() throws -> Bool {
        let isNil = try current().decodeNil()
        if isNil { currentIndex += 1 }
        return isNil
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try next { try $0.decode(type) } }
    mutating func decode(_ type: String.Type) throws -> String { try next { try $0.decode(type) } }
    mutating func decode(_ type: Double.Type) throws -> Double { try next { try $0.decode(type) } }
    mutating func decode(_ type: Float.Type) throws -> Float { try next { try $0.decode(type) } }
    mutating func decode(_ type: Int.Type) throws -> Int { try next { try $0.decode(type) } }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try next { try $0.decode(type) } }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try next { try $0.decode(type) } }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next { try $0.decode(type) } }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next { try $0.decode(type) } }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try next { try $0.decode(type) } }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next { try $0.decode(type) } }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next { try $0.decode(type) } }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next { try $0.decode(type) } }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next { try $0.decode(type) } }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next { try $0.decode(type) } }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next { try $0.container(keyedBy: type) }
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next { try $0.unkeyedContainer() } }
    mutating func superDecoder() throws -> any Decoder { try next { $0 } }
}
