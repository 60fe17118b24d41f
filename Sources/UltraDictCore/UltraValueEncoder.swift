/// Encodes `Encodable` values as ``UltraValue`` trees: the `Codable` half of ``UltraValueBridge``.
///
/// Keyed containers become dictionaries with string keys, unkeyed containers arrays; values that
/// are ``UltraValueConvertible`` (such as `[Int: String]`) skip `Codable` at every level.
public struct UltraValueEncoder: Sendable {
    /// Context passed to every `encode(to:)` as `encoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable]

    /// Creates an encoder.
    public init(userInfo: [CodingUserInfoKey: any Sendable] = [:]) {
        self.userInfo = userInfo
    }

    /// The tree for `value`; throws ``UltraDictError/Code/serialization`` for a value the model cannot hold.
    public func encode<T: Encodable>(_ value: T) throws -> UltraValue {
        let root = EncodingNode()
        do {
            try NodeEncoder(node: root, codingPath: [], userInfo: userInfo).encode(value)
        } catch let error as EncodingError {
            var message = "\(error)"
            if case .invalidValue(_, let context) = error {
                message = "at \(context.codingPath.pathDescription): \(context.debugDescription)"
            }
            throw UltraDictError(.serialization, message, underlying: error)
        }
        return root.value
    }
}

// MARK: - Shared with the decoder

/// A coding key the containers make themselves: an array index, or `super` for `superEncoder()`.
struct UltraCodingKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        self.intValue = nil
    }

    init(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }

    /// The key of `superEncoder()` and `superDecoder()`.
    static let superKey = UltraCodingKey(stringValue: "super")
}

extension Array where Element == any CodingKey {
    /// Where a value sits, for error messages: `address.zip`, `items[2].name`, or `top level`.
    var pathDescription: String {
        guard !isEmpty else { return "top level" }
        return reduce(into: "") { path, key in
            if key is UltraCodingKey, let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += (path.isEmpty ? "" : ".") + key.stringValue
            }
        }
    }
}

// MARK: - The tree under construction

/// One value of the tree being built. Containers hold on to the nodes they hand out, so a nested
/// container can still be filled after its parent has moved on; ``value`` reads the finished tree.
fileprivate final class EncodingNode {
    private enum Shape { case single(UltraValue), keyed, unkeyed }

    private var shape = Shape.single(.null)
    private var fields: [String: EncodingNode] = [:]
    private var elements: [EncodingNode] = []

    /// The number of elements appended so far.
    var count: Int { elements.count }

    /// Makes this node a single value; the last write wins.
    func set(_ value: UltraValue) { shape = .single(value) }

    /// Makes this node a dictionary, keeping the fields of an earlier keyed container.
    func makeKeyed() {
        if case .keyed = shape { return }
        shape = .keyed
        fields = [:]
    }

    /// Makes this node an array, keeping the elements of an earlier unkeyed container.
    func makeUnkeyed() {
        if case .unkeyed = shape { return }
        shape = .unkeyed
        elements = []
    }

    /// A new node stored under `key`, replacing any earlier one.
    func child(forKey key: String) -> EncodingNode {
        let node = EncodingNode()
        fields[key] = node
        return node
    }

    /// A new node appended to the elements.
    func appendChild() -> EncodingNode {
        let node = EncodingNode()
        elements.append(node)
        return node
    }

    /// The finished tree below this node.
    var value: UltraValue {
        switch shape {
        case .single(let value): value
        case .keyed: .dictionary(fields.reduce(into: [:]) { $0[.string($1.key)] = $1.value.value })
        case .unkeyed: .array(elements.map(\.value))
        }
    }
}

// MARK: - Encoder and single-value container

/// The `Encoder` handed to `encode(to:)`; it is also its own single-value container.
fileprivate struct NodeEncoder: Encoder, SingleValueEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    let userInfo: [CodingUserInfoKey: Any]

    /// An encoder for `node`, one level below this one.
    func child(_ node: EncodingNode, _ key: any CodingKey) -> NodeEncoder {
        NodeEncoder(node: node, codingPath: codingPath + [key], userInfo: userInfo)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.makeKeyed()
        return KeyedEncodingContainer(KeyedNodeEncoder(encoder: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.makeUnkeyed()
        return UnkeyedNodeEncoder(encoder: self)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { self }

    func encodeNil() { node.set(.null) }
    func encode(_ value: Bool) { node.set(.bool(value)) }
    func encode(_ value: String) { node.set(.string(value)) }
    func encode(_ value: Double) { node.set(.double(value)) }
    func encode(_ value: Float) { node.set(.double(Double(value))) }
    func encode(_ value: Int) { node.set(.int(Int64(value))) }
    func encode(_ value: Int8) { node.set(.int(Int64(value))) }
    func encode(_ value: Int16) { node.set(.int(Int64(value))) }
    func encode(_ value: Int32) { node.set(.int(Int64(value))) }
    func encode(_ value: Int64) { node.set(.int(value)) }
    func encode(_ value: UInt) { node.set(.unsigned(UInt64(value))) }
    func encode(_ value: UInt8) { node.set(.int(Int64(value))) }
    func encode(_ value: UInt16) { node.set(.int(Int64(value))) }
    func encode(_ value: UInt32) { node.set(.int(Int64(value))) }
    func encode(_ value: UInt64) { node.set(.unsigned(value)) }

    /// The entry point of every container: ``UltraValueConvertible`` values directly, others through `Codable`.
    func encode<T: Encodable>(_ value: T) throws {
        if let convertible = value as? any UltraValueConvertible {
            node.set(convertible.ultraValue)
        } else {
            try value.encode(to: self)
        }
    }
}

// MARK: - Keyed container

fileprivate struct KeyedNodeEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: NodeEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    private func child(_ key: any CodingKey) -> NodeEncoder {
        encoder.child(encoder.node.child(forKey: key.stringValue), key)
    }

    func encodeNil(forKey key: Key) { child(key).encodeNil() }
    func encode(_ value: Bool, forKey key: Key) { child(key).encode(value) }
    func encode(_ value: String, forKey key: Key) { child(key).encode(value) }
    func encode(_ value: Double, forKey key: Key) { child(key).encode(value) }
    func encode(_ value: Float, forKey key: Key) { child(key).encode(value) }
    func encode(_ value: Int, forKey key: Key) { child(key).encode(value) }
    func encode(_ value: Int8, forKey key: Key) { child(key).encode(value) }
    func encode(_ value: Int16, forKey key: Key) { child(key).encode(value) }
    func encode(_ value: Int32, forKey key: Key) { child(key).encode(value) }
    func encode(_ value: Int64, forKey key: Key) { child(key).encode(value) }
    func encode(_ value: UInt, forKey key: Key) { child(key).encode(value) }
    func encode(_ value: UInt8, forKey key: Key) { child(key).encode(value) }
    func encode(_ value: UInt16, forKey key: Key) { child(key).encode(value) }
    func encode(_ value: UInt32, forKey key: Key) { child(key).encode(value) }
    func encode(_ value: UInt64, forKey key: Key) { child(key).encode(value) }
    func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try child(key).encode(value) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        child(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        child(key).unkeyedContainer()
    }

    func superEncoder() -> any Encoder { child(UltraCodingKey.superKey) }
    func superEncoder(forKey key: Key) -> any Encoder { child(key) }
}

// MARK: - Unkeyed container

fileprivate struct UnkeyedNodeEncoder: UnkeyedEncodingContainer {
    let encoder: NodeEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }
    var count: Int { encoder.node.count }

    private func next() -> NodeEncoder {
        let key = UltraCodingKey(intValue: count)
        return encoder.child(encoder.node.appendChild(), key)
    }

    func encodeNil() { next().encodeNil() }
    func encode(_ value: Bool) { next().encode(value) }
    func encode(_ value: String) { next().encode(value) }
    func encode(_ value: Double) { next().encode(value) }
    func encode(_ value: Float) { next().encode(value) }
    func encode(_ value: Int) { next().encode(value) }
    func encode(_ value: Int8) { next().encode(value) }
    func encode(_ value: Int16) { next().encode(value) }
    func encode(_ value: Int32) { next().encode(value) }
    func encode(_ value: Int64) { next().encode(value) }
    func encode(_ value: UInt) { next().encode(value) }
    func encode(_ value: UInt8) { next().encode(value) }
    func encode(_ value: UInt16) { next().encode(value) }
    func encode(_ value: UInt32) { next().encode(value) }
    func encode(_ value: UInt64) { next().encode(value) }
    func encode<T: Encodable>(_ value: T) throws { try next().encode(value) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        next().container(keyedBy: type)
    }

    func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { next().unkeyedContainer() }
    func superEncoder() -> any Encoder { next() }
}
