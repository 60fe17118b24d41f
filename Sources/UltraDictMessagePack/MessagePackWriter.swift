import UltraDictCore

/// Appends MessagePack to a byte array, in Swift: each value in the smallest format, as
/// msgpack-python 1.x (`use_bin_type=True`) and msgpack-c's `msgpack_pack_*` choose it.
///
/// MessagePack is a marker byte followed by big-endian fixed-width fields and raw bytes, so
/// writing it needs no library. A write first measures the encoding (checking nesting and
/// lengths, so that a value that throws writes nothing), grows the array once and then stores
/// the bytes through a pointer: no C callback and no array append per field.
struct MessagePackWriter {
    /// The bytes written so far after whatever the array held before, then unused room
    /// (``finish()`` cuts it off).
    private var bytes: [UInt8]
    /// How many bytes of `bytes` are written.
    private var count: Int
    /// How many bytes the array held before.
    private let start: Int

    /// A writer that appends to `bytes`.
    init(appendingTo bytes: [UInt8]) {
        self.bytes = bytes
        count = bytes.count
        start = bytes.count
    }

    /// The bytes: the array it was created with, and what was written after it.
    consuming func finish() -> [UInt8] {
        bytes.removeSubrange(count...)
        return bytes
    }

    /// Forgets what was written after the first `offset` bytes of the array.
    mutating func rewind(to offset: Int) { count = offset }

    /// Appends `value`, nested `depth` containers deep.
    mutating func write(_ value: UltraValue, depth: Int) throws {
        try grow(by: Self.size(of: value, depth: depth)) { Self.store(value, at: &$0) }
    }

    /// Appends a map entry at nesting depth 1: the entries of a snapshot.
    mutating func writeEntry(_ key: UltraValue, _ value: UltraValue) throws {
        let size = try Self.size(of: key, depth: 1) + Self.size(of: value, depth: 1)
        grow(by: size) { cursor in
            Self.store(key, at: &cursor)
            Self.store(value, at: &cursor)
        }
    }

    /// Appends the update record `[isSet, key, value]`.
    mutating func writeRecord(isSet: Bool, key: UltraValue, value: UltraValue) throws {
        let size = try Self.recordSize(key: key, value: value)
        grow(by: size) { Self.storeRecord(isSet: isSet, key: key, value: value, at: &$0) }
    }

    /// Writes the update record `[isSet, key, value]` at the start of `destination`; returns its
    /// length, or `nil` (writing nothing) when it does not fit.
    /// A record of scalars, strings or bytes that surely fits is stored in one pass, unmeasured.
    static func writeRecord(isSet: Bool, key: UltraValue, value: UltraValue, into destination: UnsafeMutableRawBufferPointer) throws -> Int? {
        guard let base = destination.baseAddress else { return nil }
        var cursor = base
        if let keyBound = sizeBound(of: key), let valueBound = sizeBound(of: value),
           2 + keyBound + valueBound <= min(destination.count, Int(UInt32.max)) {
            storeRecord(isSet: isSet, key: key, value: value, at: &cursor)
            return cursor - base
        }
        let size = try recordSize(key: key, value: value)
        guard size <= destination.count else { return nil }
        storeRecord(isSet: isSet, key: key, value: value, at: &cursor)
        return size
    }

    /// At most how many bytes `value` takes, when that is known without measuring: a scalar,
    /// or a string or bytes (header and body); `nil` for a container. A bound under 4 GiB also
    /// proves the length fits the 32-bit formats.
    @inline(__always)
    private static func sizeBound(of value: UltraValue) -> Int? {
        switch value {
        case .null, .bool, .int, .uint, .double: 9
        case .string(let text): 5 + text.utf8.count
        case .bytes(let data): 5 + data.count
        case .array, .dictionary: nil
        }
    }

    private static func recordSize(key: UltraValue, value: UltraValue) throws -> Int {
        2 + (try size(of: key, depth: 1)) + (try size(of: value, depth: 1))
    }

    private static func storeRecord(isSet: Bool, key: UltraValue, value: UltraValue, at cursor: inout UnsafeMutableRawPointer) {
        Header.array(3).store(at: &cursor)
        storeByte(isSet ? 0xc3 : 0xc2, at: &cursor)
        store(key, at: &cursor)
        store(value, at: &cursor)
    }

    /// Appends the header of a top-level container.
    mutating func write(_ header: Header) throws {
        try header.check(depth: 0)
        grow(by: header.size) { header.store(at: &$0) }
    }

    /// Makes the array's spare capacity room to write into, in one growth: for a snapshot, whose
    /// buffer the caller reserved for the size of the last one.
    mutating func useSpareCapacity() {
        bytes.append(contentsOf: repeatElement(0, count: bytes.capacity - bytes.count))
    }

    /// Has `body` store exactly `size` bytes at a cursor after the written ones, growing the array
    /// first when it has less room: by at least as much as this writer wrote, so that the many
    /// small writes of a snapshot grow it a logarithmic number of times.
    @inline(__always)
    private mutating func grow(by size: Int, _ body: (inout UnsafeMutableRawPointer) -> Void) {
        if bytes.count - count < size { bytes.append(contentsOf: repeatElement(0, count: max(size, count - start))) }
        bytes.withUnsafeMutableBytes { raw in
            // The room checked above holds the `size` bytes after `count` that `body` stores.
            var cursor = raw.baseAddress! + count
            body(&cursor)
        }
        count += size
    }

    /// The header of an array or a map, sized as the container itself would be.
    enum Header {
        /// An array of that many items.
        case array(Int)
        /// A map of that many entries.
        case map(Int)

        /// Checks that a container of this many elements, opened `depth` levels deep, can be written.
        func check(depth: Int) throws {
            guard depth < MessagePackSerializer.maximumDepth else {
                throw failure("nesting deeper than \(MessagePackSerializer.maximumDepth) levels cannot be decoded")
            }
            switch self {
            case .array(let count): try MessagePackWriter.checkLength(count, "array")
            case .map(let count): try MessagePackWriter.checkLength(count, "dictionary")
            }
        }

        var size: Int {
            switch self {
            case .array(let count), .map(let count): count < 16 ? 1 : count <= Int(UInt16.max) ? 3 : 5
            }
        }

        func store(at cursor: inout UnsafeMutableRawPointer) {
            switch self {
            case .array(let count): MessagePackWriter.storeLength(count, fix: 0x90, fixLimit: 15, nil, 0xdc, 0xdd, at: &cursor)
            case .map(let count): MessagePackWriter.storeLength(count, fix: 0x80, fixLimit: 15, nil, 0xde, 0xdf, at: &cursor)
            }
        }
    }

    // MARK: Measuring

    /// The encoded size of `value`; throws for nesting deeper than the limit or a length over
    /// 2^32-1. Scalars are measured inline; bytes and containers by ``containerSize(of:depth:)``.
    @inline(__always)
    static func size(of value: UltraValue, depth: Int) throws -> Int {
        switch value {
        case .null, .bool: return 1
        case .int(let number): return number >= 0 ? size(of: UInt64(number)) : size(ofNegative: number)
        case .uint(let number): return size(of: number)
        case .double: return 9
        case .string(let text):
            let count = text.utf8.count
            try checkLength(count, "string")
            return (count < 32 ? 1 : count <= Int(UInt8.max) ? 2 : count <= Int(UInt16.max) ? 3 : 5) + count
        case .bytes, .array, .dictionary: return try containerSize(of: value, depth: depth)
        }
    }

    /// The encoded size of bytes, an array or a dictionary (anything else: 0).
    private static func containerSize(of value: UltraValue, depth: Int) throws -> Int {
        switch value {
        case .bytes(let data):
            try checkLength(data.count, "bytes value")
            return (data.count <= Int(UInt8.max) ? 2 : data.count <= Int(UInt16.max) ? 3 : 5) + data.count
        case .array(let items):
            let header = Header.array(items.count)
            try header.check(depth: depth)
            return try items.reduce(header.size) { $0 + (try size(of: $1, depth: depth + 1)) }
        case .dictionary(let map):
            let header = Header.map(map.count)
            try header.check(depth: depth)
            return try map.reduce(header.size) { $0 + (try size(of: $1.key, depth: depth + 1)) + (try size(of: $1.value, depth: depth + 1)) }
        case .null, .bool, .int, .uint, .double, .string: return 0
        }
    }

    private static func size(of number: UInt64) -> Int {
        number <= 0x7f ? 1 : number <= UInt64(UInt8.max) ? 2 : number <= UInt64(UInt16.max) ? 3 : number <= UInt64(UInt32.max) ? 5 : 9
    }

    private static func size(ofNegative number: Int64) -> Int {
        number >= -32 ? 1 : number >= Int64(Int8.min) ? 2 : number >= Int64(Int16.min) ? 3 : number >= Int64(Int32.min) ? 5 : 9
    }

    static func checkLength(_ count: Int, _ what: String) throws {
        guard count <= Int(UInt32.max) else { throw failure("a \(what) of \(count) elements exceeds 2^32-1") }
    }

    // MARK: Storing (into room that `size(of:depth:)` measured)

    /// Stores `value`: scalars inline, bytes and containers by ``storeContainer(_:at:)``.
    @inline(__always)
    private static func store(_ value: UltraValue, at cursor: inout UnsafeMutableRawPointer) {
        switch value {
        case .null: storeByte(0xc0, at: &cursor)
        case .bool(let flag): storeByte(flag ? 0xc3 : 0xc2, at: &cursor)
        case .int(let number) where number >= 0: storeUnsigned(UInt64(number), at: &cursor)
        case .int(let number):
            // Negative: a fixint for -32...-1, else the narrowest int format, as `msgpack_pack_int64`.
            switch number {
            case (-32)...: storeByte(UInt8(truncatingIfNeeded: number), at: &cursor)
            case Int64(Int8.min)...: store(0xd0, Int8(truncatingIfNeeded: number), at: &cursor)
            case Int64(Int16.min)...: store(0xd1, Int16(truncatingIfNeeded: number), at: &cursor)
            case Int64(Int32.min)...: store(0xd2, Int32(truncatingIfNeeded: number), at: &cursor)
            default: store(0xd3, number, at: &cursor)
            }
        case .uint(let number): storeUnsigned(number, at: &cursor)
        case .double(let number): store(0xcb, number.bitPattern, at: &cursor)
        case .string(var text):
            text.withUTF8 { utf8 in
                storeLength(utf8.count, fix: 0xa0, fixLimit: 31, 0xd9, 0xda, 0xdb, at: &cursor)
                storeBody(UnsafeRawBufferPointer(utf8), at: &cursor)
            }
        case .bytes, .array, .dictionary: storeContainer(value, at: &cursor)
        }
    }

    /// Stores bytes, an array or a dictionary (anything else: nothing).
    private static func storeContainer(_ value: UltraValue, at cursor: inout UnsafeMutableRawPointer) {
        switch value {
        case .bytes(let data):
            storeLength(data.count, fix: nil, fixLimit: 0, 0xc4, 0xc5, 0xc6, at: &cursor)
            data.withUnsafeBytes { storeBody($0, at: &cursor) }
        case .array(let items):
            Header.array(items.count).store(at: &cursor)
            for item in items { store(item, at: &cursor) }
        case .dictionary(let map):
            Header.map(map.count).store(at: &cursor)
            for (key, item) in map {
                store(key, at: &cursor)
                store(item, at: &cursor)
            }
        case .null, .bool, .int, .uint, .double, .string: break
        }
    }

    /// A non-negative integer: a fixint up to 127, else the narrowest uint format.
    private static func storeUnsigned(_ number: UInt64, at cursor: inout UnsafeMutableRawPointer) {
        switch number {
        case ...0x7f: storeByte(UInt8(truncatingIfNeeded: number), at: &cursor)
        case ...UInt64(UInt8.max): store(0xcc, UInt8(truncatingIfNeeded: number), at: &cursor)
        case ...UInt64(UInt16.max): store(0xcd, UInt16(truncatingIfNeeded: number), at: &cursor)
        case ...UInt64(UInt32.max): store(0xce, UInt32(truncatingIfNeeded: number), at: &cursor)
        default: store(0xcf, number, at: &cursor)
        }
    }

    /// The length of a str, bin, array or map: in the marker `fix` when it is at most
    /// `fixLimit`, else after the 8-, 16- or 32-bit marker that fits (`nil`: no such format).
    fileprivate static func storeLength(
        _ count: Int, fix: UInt8?, fixLimit: Int, _ marker8: UInt8?, _ marker16: UInt8, _ marker32: UInt8,
        at cursor: inout UnsafeMutableRawPointer
    ) {
        if let fix, count <= fixLimit {
            storeByte(fix | UInt8(count), at: &cursor)
        } else if let marker8, count <= Int(UInt8.max) {
            store(marker8, UInt8(count), at: &cursor)
        } else if count <= Int(UInt16.max) {
            store(marker16, UInt16(count), at: &cursor)
        } else {
            store(marker32, UInt32(truncatingIfNeeded: count), at: &cursor)
        }
    }

    @inline(__always)
    private static func storeByte(_ byte: UInt8, at cursor: inout UnsafeMutableRawPointer) {
        cursor.storeBytes(of: byte, as: UInt8.self)
        cursor += 1
    }

    /// `marker`, then `field` big-endian.
    @inline(__always)
    private static func store<Field: FixedWidthInteger>(_ marker: UInt8, _ field: Field, at cursor: inout UnsafeMutableRawPointer) {
        storeByte(marker, at: &cursor)
        cursor.storeBytes(of: field.bigEndian, as: Field.self)
        cursor += MemoryLayout<Field>.size
    }

    private static func storeBody(_ body: UnsafeRawBufferPointer, at cursor: inout UnsafeMutableRawPointer) {
        if let base = body.baseAddress { cursor.copyMemory(from: base, byteCount: body.count) }
        cursor += body.count
    }
}

/// An error of this serializer: `serialization`, with a message starting `msgpack: `.
func failure(_ what: String) -> UltraDictError {
    UltraDictError(.serialization, "msgpack: \(what)")
}
