/// One change to a dictionary, as it travels through the update stream.
///
/// On the wire it is the three-element array `[isSet, key, value]` that Python UltraDict writes;
/// a delete carries `isSet == false` and a value that readers ignore.
public struct UltraDictUpdate: Sendable, Hashable {
    /// `true` for a set, `false` for a delete.
    public var isSet: Bool
    /// The key that changed.
    public var key: UltraValue
    /// The new value of a set; ignored for a delete.
    public var value: UltraValue

    /// Creates a set of `key` to `value`.
    public static func set(_ key: UltraValue, _ value: UltraValue) -> UltraDictUpdate {
        UltraDictUpdate(isSet: true, key: key, value: value)
    }

    /// Creates a delete of `key`.
    public static func delete(_ key: UltraValue) -> UltraDictUpdate {
        UltraDictUpdate(isSet: false, key: key, value: .null)
    }

    /// Creates an update.
    public init(isSet: Bool, key: UltraValue, value: UltraValue) {
        self.isSet = isSet
        self.key = key
        self.value = value
    }

    /// The update as the value tree that goes on the wire: `[isSet, key, value]`.
    public var record: UltraValue { .array([.bool(isSet), key, value]) }

    /// Reads an update from its wire tree, accepting what Python writes (`isSet` may be an int).
    public init(record: UltraValue) throws {
        guard case .array(let fields) = record, fields.count == 3 else {
            throw UltraDictError(.serialization, "an update record must be a 3-element array [isSet, key, value], got \(record.kindName)")
        }
        switch fields[0] {
        case .bool(let flag): isSet = flag
        case .int(let flag): isSet = flag != 0
        default:
            throw UltraDictError(.serialization, "an update record's first element must be a bool, got \(fields[0].kindName)")
        }
        key = fields[1]
        value = fields[2]
    }
}

/// Turns the value model into bytes and back: the one job of a serializer.
///
/// A serializer encodes two kinds of payload: an update record (the tree of
/// ``UltraDictUpdate/record``, `[isSet, key, value]`) and a full snapshot (a ``UltraValue/dictionary(_:)``).
/// Both go through ``encode(_:into:)`` and ``decode(_:)``; a serializer may override
/// ``encodeUpdate(_:into:)`` and ``decodeUpdate(_:)`` with a faster path.
///
/// ## Contract
/// - `decode(encode(v)) == v` for every value the format can represent; a value it cannot
///   represent throws ``UltraDictError/Code/serialization`` from `encode`, never a lossy write.
/// - `decode` treats its input as untrusted: truncated, oversized, deeply nested
///   (deeper than ``UltraValue/maximumDepth``) or malformed bytes throw ``UltraDictError``, never trap.
/// - Encoding appends to `buffer`; it must not read or change what is already there.
/// - A serializer is a value with no hidden state, so that it can be shared between threads.
public protocol UltraDictSerializer: Sendable {
    /// A short ASCII name recorded in the control block (at most 15 bytes), so that a process
    /// attaching with another serializer is refused instead of decoding garbage.
    static var identifier: String { get }

    /// Appends the encoding of `value` to `buffer`.
    func encode(_ value: UltraValue, into buffer: inout [UInt8]) throws

    /// Decodes one value that spans all of `bytes`.
    func decode(_ bytes: UnsafeRawBufferPointer) throws -> UltraValue

    /// Appends the encoding of an update record to `buffer`; by default `encode(update.record)`.
    func encodeUpdate(_ update: UltraDictUpdate, into buffer: inout [UInt8]) throws

    /// Encodes an update record in place into `destination` (the free room of the update
    /// stream) and returns its length, or `nil` when it needs more than `destination.count`
    /// bytes; the caller then encodes it with ``encodeUpdate(_:into:)``.
    /// Bytes past the returned length may be changed. By default returns `nil` at once: a
    /// serializer that can measure its output implements it, so that a write skips a copy.
    func encodeUpdate(_ update: UltraDictUpdate, inPlace destination: UnsafeMutableRawBufferPointer) throws -> Int?

    /// Decodes an update record; by default `UltraDictUpdate(record: decode(bytes))`.
    func decodeUpdate(_ bytes: UnsafeRawBufferPointer) throws -> UltraDictUpdate

    /// Appends the encoding of a full snapshot: a map of `count` entries, which `entries`
    /// produces by calling the function it is given once per entry. By default the entries are
    /// collected into a ``UltraValue/dictionary(_:)`` and encoded; a serializer that can write a
    /// map entry by entry overrides it, so that a dump of a large dictionary builds no tree.
    func encodeSnapshot(
        count: Int,
        into buffer: inout [UInt8],
        entries: ((UltraValue, UltraValue) throws -> Void) throws -> Void
    ) throws

    /// Decodes a full snapshot, calling `body` once per entry; by default decodes a value and
    /// requires a ``UltraValue/dictionary(_:)``.
    func decodeSnapshot(_ bytes: UnsafeRawBufferPointer, _ body: (UltraValue, UltraValue) throws -> Void) throws

    /// Decodes a full snapshot as ``decodeSnapshot(_:_:)`` does, first calling `announce` once,
    /// before any entry, with the number of entries the snapshot declares, so that the caller
    /// makes room for them all at once instead of growing as they come. A serializer that learns
    /// the number only after the entries announces nothing. The number is untrusted: a caller
    /// never reserves room for more entries than `bytes` could hold. By default announces nothing
    /// and calls ``decodeSnapshot(_:_:)``.
    func decodeSnapshot(
        _ bytes: UnsafeRawBufferPointer,
        announcing announce: (Int) throws -> Void,
        _ body: (UltraValue, UltraValue) throws -> Void
    ) throws
}

extension UltraDictSerializer {
    /// Encodes `update.record`.
    @inlinable
    public func encodeUpdate(_ update: UltraDictUpdate, into buffer: inout [UInt8]) throws {
        try encode(update.record, into: &buffer)
    }

    /// Returns `nil`: the record is encoded with ``encodeUpdate(_:into:)`` instead.
    @inlinable
    public func encodeUpdate(_ update: UltraDictUpdate, inPlace destination: UnsafeMutableRawBufferPointer) throws -> Int? {
        nil
    }

    /// Decodes a value and reads it as an update record.
    @inlinable
    public func decodeUpdate(_ bytes: UnsafeRawBufferPointer) throws -> UltraDictUpdate {
        try UltraDictUpdate(record: decode(bytes))
    }

    /// Collects the entries into a dictionary and encodes it.
    public func encodeSnapshot(
        count: Int,
        into buffer: inout [UInt8],
        entries: ((UltraValue, UltraValue) throws -> Void) throws -> Void
    ) throws {
        var map = [UltraValue: UltraValue](minimumCapacity: count)
        try entries { key, value in map[key] = value }
        try encode(.dictionary(map), into: &buffer)
    }

    /// Decodes a dictionary and hands over its entries.
    public func decodeSnapshot(_ bytes: UnsafeRawBufferPointer, _ body: (UltraValue, UltraValue) throws -> Void) throws {
        let tree = try decode(bytes)
        guard case .dictionary(let map) = tree else {
            throw UltraDictError(.serialization, "a full snapshot must be a dictionary, got \(tree.kindName)")
        }
        for (key, value) in map { try body(key, value) }
    }

    /// Announces nothing and decodes with ``decodeSnapshot(_:_:)``.
    public func decodeSnapshot(
        _ bytes: UnsafeRawBufferPointer,
        announcing announce: (Int) throws -> Void,
        _ body: (UltraValue, UltraValue) throws -> Void
    ) throws {
        try decodeSnapshot(bytes, body)
    }
}

extension UltraValue {
    /// The deepest nesting of arrays and dictionaries a decoder accepts; deeper input is refused
    /// with ``UltraDictError/Code/serialization`` so that hostile bytes cannot exhaust the stack.
    public static let maximumDepth = 256
}
