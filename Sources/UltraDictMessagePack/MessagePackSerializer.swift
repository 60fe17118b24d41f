import CMsgPack
import UltraDictCore

/// The MessagePack serializer on msgpack-c, byte-compatible with Python's `msgpack.dumps`
/// (msgpack-python 1.x defaults, `use_bin_type=True`) and `msgpack.loads`.
///
/// Encoding is Swift (`MessagePackWriter`) writing straight into the caller's buffer, in the
/// formats msgpack-c's packer picks; decoding uses msgpack-c's zone-based unpacker (`msgpack_unpack_next`).
///
/// | UltraValue | MessagePack |
/// | --- | --- |
/// | null, bool | nil, true / false |
/// | int | the smallest int format (as `msgpack_pack_int64`); a positive one decodes as int if it fits `Int64` |
/// | uint | uint 64 |
/// | double | float 64 (float 32 decodes to double too) |
/// | string, bytes | str (UTF-8, validated on decode), bin |
/// | array, dictionary | array, map (any key type; a repeated key keeps its last value) |
///
/// Ext types are refused, and so is anything but exactly one object spanning the input.
///
/// ## Nesting limit: 32
/// msgpack-c's unpacker keeps open containers on a fixed stack of `MSGPACK_EMBED_STACK_SIZE` (32)
/// entries and returns `MSGPACK_UNPACK_NOMEM_ERROR` for a 33rd level, so this serializer handles
/// at most ``maximumDepth`` (32) nested arrays and dictionaries, fewer than `UltraValue.maximumDepth`.
/// `encode` throws for a deeper tree, so that nothing is written that cannot be read back.
///
/// ## Untrusted input
/// msgpack-c allocates room for all of an array's or map's declared entries before reading them, so
/// a 5-byte header claiming 2^32-1 entries would ask for hundreds of gigabytes. Before msgpack-c
/// sees the input, a bounds-checked walk (no allocation, no recursion) checks that every length fits
/// in the remaining bytes, that nesting stays within the limit and that no bytes trail the value.
public struct MessagePackSerializer: UltraDictSerializer {
    /// `"msgpack"`, the name recorded in the control block.
    public static let identifier = "msgpack"

    /// The deepest nesting of arrays and dictionaries this serializer writes or reads:
    /// 32, the size of msgpack-c's fixed unpacker stack (`MSGPACK_EMBED_STACK_SIZE`).
    public static let maximumDepth = min(32, UltraValue.maximumDepth)

    /// Creates the serializer; it has no state.
    public init() {}

    // MARK: Encoding

    /// Appends `value` to `buffer` (`MessagePackWriter`, in Swift); throws for a tree nested
    /// deeper than ``maximumDepth`` or a string, bytes or container over 2^32-1 long, leaving
    /// `buffer` as it was.
    public func encode(_ value: UltraValue, into buffer: inout [UInt8]) throws {
        try Self.withWriter(&buffer) { try $0.write(value, depth: 0) }
    }

    /// Appends the record `[isSet, key, value]` without building an `UltraValue.array(_:)`.
    public func encodeUpdate(_ update: UltraDictUpdate, into buffer: inout [UInt8]) throws {
        try Self.withWriter(&buffer) { try $0.writeRecord(isSet: update.isSet, key: update.key, value: update.value) }
    }

    /// Writes the record `[isSet, key, value]` at the start of `destination` when it fits there;
    /// returns its length, or `nil` (writing nothing) when it does not.
    public func encodeUpdate(_ update: UltraDictUpdate, inPlace destination: UnsafeMutableRawBufferPointer) throws -> Int? {
        try MessagePackWriter.writeRecord(isSet: update.isSet, key: update.key, value: update.value, into: destination)
    }

    /// Appends a snapshot map entry by entry, building no tree; throws if `entries` produces
    /// another number of entries than `count`.
    public func encodeSnapshot(
        count: Int,
        into buffer: inout [UInt8],
        entries: ((UltraValue, UltraValue) throws -> Void) throws -> Void
    ) throws {
        try Self.withWriter(&buffer) { writer in
            writer.useSpareCapacity()
            try writer.write(.map(count))
            var written = 0
            try entries { key, value in
                try writer.writeEntry(key, value)
                written += 1
            }
            guard written == count else { throw failure("a snapshot announced \(count) entries but produced \(written)") }
        }
    }

    /// Runs `body` with a writer that appends to `buffer`; on a throw, cuts `buffer` back.
    private static func withWriter(_ buffer: inout [UInt8], _ body: (inout MessagePackWriter) throws -> Void) throws {
        let start = buffer.count
        // The writer takes the array over (no copy: `buffer` is left empty meanwhile) and gives it back.
        var writer = MessagePackWriter(appendingTo: buffer)
        buffer = []
        do {
            try body(&writer)
        } catch {
            writer.rewind(to: start)
            buffer = writer.finish()
            throw error
        }
        buffer = writer.finish()
    }

    // MARK: Decoding

    /// Decodes the one value spanning `bytes` with msgpack-c's `msgpack_unpack_next`, after a
    /// bounds check of the framing; throws `UltraDictError.Code.serialization` for bad input.
    public func decode(_ bytes: UnsafeRawBufferPointer) throws -> UltraValue {
        try Self.unpack(bytes) { try Self.value(of: $0) }
    }

    /// Decodes an update record `[isSet, key, value]`; `isSet` may be a bool or an int, as Python
    /// writes. A record of scalars is read in Swift (`ScalarRecordReader`); any other goes
    /// through `msgpack_unpack_next`, reading the three fields straight from msgpack-c's objects.
    public func decodeUpdate(_ bytes: UnsafeRawBufferPointer) throws -> UltraDictUpdate {
        if let record = ScalarRecordReader.record(in: bytes) { return record }
        return try Self.unpack(bytes) { root in
            guard root.type == MSGPACK_OBJECT_ARRAY, root.via.array.size == 3, let fields = root.via.array.ptr else {
                throw failure("an update record must be a 3-element array [isSet, key, value]")
            }
            let isSet: Bool
            switch fields[0].type {
            case MSGPACK_OBJECT_BOOLEAN: isSet = fields[0].via.boolean
            case MSGPACK_OBJECT_NEGATIVE_INTEGER: isSet = true
            case MSGPACK_OBJECT_POSITIVE_INTEGER where fields[0].via.u64 <= UInt64(Int64.max): isSet = fields[0].via.u64 != 0
            default: throw failure("an update record's first element must be a bool")
            }
            return UltraDictUpdate(isSet: isSet, key: try Self.value(of: fields[1]), value: try Self.value(of: fields[2]))
        }
    }

    /// Decodes a snapshot map with `msgpack_unpack_next`, handing over its entries one by one
    /// without building a dictionary.
    public func decodeSnapshot(_ bytes: UnsafeRawBufferPointer, _ body: (UltraValue, UltraValue) throws -> Void) throws {
        try decodeSnapshot(bytes, announcing: { _ in }, body)
    }

    /// Decodes a snapshot map as ``decodeSnapshot(_:_:)`` does, announcing its number of entries
    /// first: the map header's, which the bounds check has already held to the bytes left.
    public func decodeSnapshot(
        _ bytes: UnsafeRawBufferPointer,
        announcing announce: (Int) throws -> Void,
        _ body: (UltraValue, UltraValue) throws -> Void
    ) throws {
        try Self.unpack(bytes) { root in
            guard root.type == MSGPACK_OBJECT_MAP else { throw failure("a full snapshot must be a map") }
            try announce(Int(root.via.map.size))
            for entry in try Self.span(root.via.map.ptr, root.via.map.size) {
                try body(Self.value(of: entry.key), Self.value(of: entry.val))
            }
        }
    }

    /// Checks the framing, runs `msgpack_unpack_next` and hands its root object to `body`, then
    /// frees msgpack-c's zone with `msgpack_unpacked_destroy`.
    private static func unpack<Result>(
        _ bytes: UnsafeRawBufferPointer, _ body: (msgpack_object) throws -> Result
    ) throws -> Result {
        try checkFraming(bytes)
        guard let base = bytes.baseAddress else { throw failure("empty input") }
        var unpacked = msgpack_unpacked()
        msgpack_unpacked_init(&unpacked)
        defer { msgpack_unpacked_destroy(&unpacked) }
        var offset = 0
        switch msgpack_unpack_next(&unpacked, base.assumingMemoryBound(to: CChar.self), bytes.count, &offset) {
        case MSGPACK_UNPACK_SUCCESS:
            guard offset == bytes.count else { throw failure("\(bytes.count - offset) trailing bytes after the value") }
        case MSGPACK_UNPACK_CONTINUE: throw failure("truncated input")
        case MSGPACK_UNPACK_PARSE_ERROR: throw failure("malformed input")
        case MSGPACK_UNPACK_NOMEM_ERROR: throw failure("out of memory, or nesting deeper than \(maximumDepth) levels")
        case let other: throw failure("msgpack_unpack_next returned \(other.rawValue)")
        }
        return try body(unpacked.data)
    }

    /// Converts msgpack-c's object tree (at most ``maximumDepth`` deep) to an ``UltraValue``.
    private static func value(of object: msgpack_object) throws -> UltraValue {
        switch object.type {
        case MSGPACK_OBJECT_NIL: return .null
        case MSGPACK_OBJECT_BOOLEAN: return .bool(object.via.boolean)
        case MSGPACK_OBJECT_POSITIVE_INTEGER: return .unsigned(object.via.u64)
        case MSGPACK_OBJECT_NEGATIVE_INTEGER: return .int(object.via.i64)
        case MSGPACK_OBJECT_FLOAT64, MSGPACK_OBJECT_FLOAT32: return .double(object.via.f64)
        case MSGPACK_OBJECT_STR:
            guard let text = text(fromUTF8: try bytes(object.via.str.ptr, object.via.str.size)) else {
                throw failure("a str is not valid UTF-8")
            }
            return .string(text)
        case MSGPACK_OBJECT_BIN:
            return .bytes(Array(try bytes(object.via.bin.ptr, object.via.bin.size)))
        case MSGPACK_OBJECT_ARRAY:
            return .array(try span(object.via.array.ptr, object.via.array.size).map(value(of:)))
        case MSGPACK_OBJECT_MAP:
            let entries = try span(object.via.map.ptr, object.via.map.size)
            var map = [UltraValue: UltraValue](minimumCapacity: entries.count)
            for entry in entries {
                let key = try value(of: entry.key)
                map[key] = try value(of: entry.val)
            }
            return .dictionary(map)
        case MSGPACK_OBJECT_EXT: throw failure("ext types are not supported")
        default: throw failure("unknown object type \(object.type.rawValue)")
        }
    }

    /// The string of the UTF-8 bytes `utf8`, or `nil` when they are not valid UTF-8.
    static func text(fromUTF8 utf8: UnsafeBufferPointer<UInt8>) -> String? {
        // ASCII is valid UTF-8: this common case skips the generic validating initializer,
        // which costs a metadata lookup per call.
        if utf8.allSatisfy({ $0 < 0x80 }) { return String(decoding: utf8, as: UTF8.self) }
        if #available(macOS 15, *) { return String(validating: utf8, as: UTF8.self) }
        let text = String(decoding: utf8, as: UTF8.self)  // repairs; equal bytes mean it was valid
        return text.utf8.elementsEqual(utf8) ? text : nil
    }

    /// msgpack-c's `(pointer, size)` pair as a buffer, refusing a null pointer with a nonzero size.
    private static func span<Element>(_ start: UnsafePointer<Element>?, _ size: UInt32) throws -> UnsafeBufferPointer<Element> {
        guard start != nil || size == 0 else { throw failure("msgpack-c returned a null pointer") }
        return UnsafeBufferPointer(start: start, count: Int(size))
    }

    /// The bytes of a str or bin object.
    private static func bytes(_ start: UnsafePointer<CChar>?, _ size: UInt32) throws -> UnsafeBufferPointer<UInt8> {
        let chars = try span(start, size)
        return UnsafeBufferPointer(start: UnsafeRawPointer(chars.baseAddress)?.assumingMemoryBound(to: UInt8.self), count: chars.count)
    }

    /// Walks the encoding in `bytes` without allocating or recursing: every length must fit in
    /// the bytes left, nesting must stay within ``maximumDepth``, and exactly one value must span
    /// the input. Ext types and the reserved byte 0xc1 are refused here.
    private static func checkFraming(_ bytes: UnsafeRawBufferPointer) throws {
        try withUnsafeTemporaryAllocation(of: Int.self, capacity: maximumDepth + 1) { pending in
            // pending[level]: items still due in the container open at `level`; level 0 is the root.
            var level = 0
            var position = 0
            pending[0] = 1
            func take(_ count: Int) throws {
                guard count <= bytes.count - position else {
                    throw failure("truncated input: \(count) bytes needed at offset \(position), \(bytes.count - position) left")
                }
                position += count
            }
            func length(_ width: Int) throws -> Int {
                try take(width)
                var result = 0
                for index in position - width ..< position { result = result << 8 | Int(bytes[index]) }
                return result
            }
            func open(_ items: Int) throws {
                guard level < maximumDepth else { throw failure("nesting deeper than \(maximumDepth) levels") }
                guard items <= bytes.count - position else {
                    throw failure("a container declares \(items) items at offset \(position), only \(bytes.count - position) bytes left")
                }
                if items > 0 { level += 1; pending[level] = items }
            }
            while true {
                while pending[level] == 0 {
                    guard level > 0 else {
                        guard position == bytes.count else { throw failure("\(bytes.count - position) trailing bytes after the value") }
                        return
                    }
                    level -= 1
                }
                pending[level] -= 1
                try take(1)
                let marker = bytes[position - 1]
                switch marker {
                case 0x00...0x7f, 0xe0...0xff, 0xc0, 0xc2, 0xc3: break
                case 0xcc, 0xd0: try take(1)
                case 0xcd, 0xd1: try take(2)
                case 0xca, 0xce, 0xd2: try take(4)
                case 0xcb, 0xcf, 0xd3: try take(8)
                case 0xa0...0xbf: try take(Int(marker & 0x1f))
                case 0xc4, 0xd9: try take(length(1))
                case 0xc5, 0xda: try take(length(2))
                case 0xc6, 0xdb: try take(length(4))
                case 0x90...0x9f: try open(Int(marker & 0x0f))
                case 0xdc: try open(length(2))
                case 0xdd: try open(length(4))
                case 0x80...0x8f: try open(2 * Int(marker & 0x0f))
                case 0xde: try open(2 * length(2))
                case 0xdf: try open(2 * length(4))
                case 0xc7...0xc9, 0xd4...0xd8: throw failure("ext types are not supported")
                default: throw failure("reserved byte 0x\(String(marker, radix: 16)) at offset \(position - 1)")
                }
            }
        }
    }
}
