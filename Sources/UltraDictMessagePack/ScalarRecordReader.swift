import UltraDictCore

/// Reads the common update record, `[isSet, key, value]` with a scalar key and value (nil, bool,
/// int, float, str, bin), straight from its bytes, in Swift: no msgpack-c zone to allocate and
/// free, and no separate bounds walk, since every read here is checked against the bytes left.
///
/// It accepts only a record that is valid and complete; for anything else (a container, an ext,
/// a reserved byte, malformed or trailing bytes, invalid UTF-8) ``record(in:)`` returns `nil` and
/// the full decoder reads the record or refuses it, so errors always come from one place.
struct ScalarRecordReader {
    private let base: UnsafeRawPointer
    private let count: Int
    private var position: Int

    /// The record in `bytes` when it is a valid scalar record spanning all of them, else `nil`.
    static func record(in bytes: UnsafeRawBufferPointer) -> UltraDictUpdate? {
        // The smallest record is four bytes: the array header and three one-byte scalars.
        guard bytes.count >= 4, let base = bytes.baseAddress, base.load(as: UInt8.self) == 0x93 else { return nil }
        var reader = ScalarRecordReader(base: base, count: bytes.count, position: 1)
        guard let isSet = reader.flag(), let key = reader.scalar(), let value = reader.scalar(), reader.position == bytes.count else {
            return nil
        }
        return UltraDictUpdate(isSet: isSet, key: key, value: value)
    }

    /// The first field: a bool, or an int as Python may write (one above Int64.max is left to
    /// the full decoder, which refuses it).
    @inline(__always)
    private mutating func flag() -> Bool? {
        // A bool, as this package writes it, without building a value.
        switch base.load(fromByteOffset: position, as: UInt8.self) {
        case 0xc3: position += 1; return true
        case 0xc2: position += 1; return false
        default: break
        }
        switch scalar() {
        case .bool(let isSet): return isSet
        case .int(let number): return number != 0
        default: return nil
        }
    }

    /// The next `Field`, big-endian, or `nil` when fewer bytes are left.
    @inline(__always)
    private mutating func field<Field: FixedWidthInteger>(_: Field.Type) -> Field? {
        let size = MemoryLayout<Field>.size
        guard count - position >= size else { return nil }
        defer { position += size }
        return Field(bigEndian: base.loadUnaligned(fromByteOffset: position, as: Field.self))
    }

    /// The next `length` bytes, or `nil` when fewer are left.
    @inline(__always)
    private mutating func take(_ length: Int) -> UnsafeRawBufferPointer? {
        guard length <= count - position else { return nil }
        defer { position += length }
        return UnsafeRawBufferPointer(start: base + position, count: length)
    }

    /// The next value when it is a scalar, read as msgpack-c's objects are by the full decoder:
    /// every int normalized (``UltraValue/unsigned(_:)``), float 32 widened to double.
    @inline(__always)
    private mutating func scalar() -> UltraValue? {
        guard let marker = field(UInt8.self) else { return nil }
        switch marker {
        case 0x00...0x7f: return .int(Int64(marker))
        case 0xe0...0xff: return .int(Int64(Int8(bitPattern: marker)))
        case 0xc0: return .null
        case 0xc2: return .bool(false)
        case 0xc3: return .bool(true)
        case 0xcc: return field(UInt8.self).map { .int(Int64($0)) }
        case 0xcd: return field(UInt16.self).map { .int(Int64($0)) }
        case 0xce: return field(UInt32.self).map { .int(Int64($0)) }
        case 0xcf: return field(UInt64.self).map(UltraValue.unsigned)
        case 0xd0: return field(Int8.self).map { .int(Int64($0)) }
        case 0xd1: return field(Int16.self).map { .int(Int64($0)) }
        case 0xd2: return field(Int32.self).map { .int(Int64($0)) }
        case 0xd3: return field(Int64.self).map { .int($0) }
        case 0xca: return field(UInt32.self).map { .double(Double(Float(bitPattern: $0))) }
        case 0xcb: return field(UInt64.self).map { .double(Double(bitPattern: $0)) }
        case 0xa0...0xbf: return string(count: Int(marker & 0x1f))
        case 0xd9: return field(UInt8.self).flatMap { string(count: Int($0)) }
        case 0xda: return field(UInt16.self).flatMap { string(count: Int($0)) }
        case 0xdb: return field(UInt32.self).flatMap { string(count: Int($0)) }
        case 0xc4: return field(UInt8.self).flatMap { binary(count: Int($0)) }
        case 0xc5: return field(UInt16.self).flatMap { binary(count: Int($0)) }
        case 0xc6: return field(UInt32.self).flatMap { binary(count: Int($0)) }
        default: return nil
        }
    }

    private mutating func string(count: Int) -> UltraValue? {
        take(count).flatMap { MessagePackSerializer.text(fromUTF8: $0.assumingMemoryBound(to: UInt8.self)) }.map(UltraValue.string)
    }

    private mutating func binary(count: Int) -> UltraValue? {
        take(count).map { .bytes(Array($0)) }
    }
}
