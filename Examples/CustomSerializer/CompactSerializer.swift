import UltraDict

/// A compact binary serializer: what it takes to write your own, in one file.
///
/// Each value is a tag byte followed by its content; numbers and lengths are little-endian.
///
/// | tag | value | content |
/// | --- | --- | --- |
/// | 0 | null | none |
/// | 1, 2 | false, true | none |
/// | 3 | int | 8 bytes, two's complement |
/// | 4 | uint | 8 bytes |
/// | 5 | double | 8 bytes, IEEE 754 bits |
/// | 6 | string | u32 byte count, UTF-8 |
/// | 7 | bytes | u32 byte count, the bytes |
/// | 8 | array | u32 element count, the elements |
/// | 9 | dictionary | u32 entry count, key and value of each entry |
///
/// Decoding treats its input as untrusted, as the protocol requires: every length is checked against
/// the bytes left before anything is read or allocated, nesting stops at `UltraValue.maximumDepth`,
/// text must be UTF-8, and the value must span the input exactly. Every failure is an
/// `UltraDictError` with the code `serialization`.
struct CompactSerializer: UltraDictSerializer {
    /// The name recorded in the shared dictionary, so that a process using another serializer is refused.
    static let identifier = "compact"

    private enum Tag: UInt8 {
        case null, `false`, `true`, int, uint, double, string, bytes, array, dictionary
    }

    /// Appends the encoding of `value`; throws for nesting deeper than `UltraValue.maximumDepth` or
    /// a length over 2^32-1, leaving `buffer` as it was.
    func encode(_ value: UltraValue, into buffer: inout [UInt8]) throws {
        let start = buffer.count
        do {
            try write(value, into: &buffer, depth: 0)
        } catch {
            buffer.removeSubrange(start...)
            throw error
        }
    }

    /// Decodes the value that spans `bytes`.
    func decode(_ bytes: UnsafeRawBufferPointer) throws -> UltraValue {
        var reader = Reader(bytes: bytes)
        let value = try reader.value(depth: 0)
        guard reader.position == bytes.count else { throw failure("\(bytes.count - reader.position) bytes after the value") }
        return value
    }

    private func write(_ value: UltraValue, into buffer: inout [UInt8], depth: Int) throws {
        func put(_ tag: Tag) { buffer.append(tag.rawValue) }
        func put(_ word: UInt64) { withUnsafeBytes(of: word.littleEndian) { buffer.append(contentsOf: $0) } }
        func put(count: Int) throws {
            guard let count = UInt32(exactly: count) else { throw failure("a length of \(count) does not fit 32 bits") }
            withUnsafeBytes(of: count.littleEndian) { buffer.append(contentsOf: $0) }
        }
        func nest() throws {
            guard depth < UltraValue.maximumDepth else { throw failure("nesting deeper than \(UltraValue.maximumDepth) levels") }
        }
        switch value {
        case .null: put(.null)
        case .bool(let flag): put(flag ? .true : .false)
        case .int(let number): put(.int); put(UInt64(bitPattern: number))
        case .uint(let number): put(.uint); put(number)
        case .double(let number): put(.double); put(number.bitPattern)
        case .string(let text): put(.string); try put(count: text.utf8.count); buffer.append(contentsOf: text.utf8)
        case .bytes(let bytes): put(.bytes); try put(count: bytes.count); buffer.append(contentsOf: bytes)
        case .array(let items):
            try nest()
            put(.array)
            try put(count: items.count)
            for item in items { try write(item, into: &buffer, depth: depth + 1) }
        case .dictionary(let map):
            try nest()
            put(.dictionary)
            try put(count: map.count)
            for (key, item) in map {
                try write(key, into: &buffer, depth: depth + 1)
                try write(item, into: &buffer, depth: depth + 1)
            }
        }
    }

    /// Reads values from untrusted bytes, checking every length before it is used.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var position = 0

        /// The next `count` bytes; throws if fewer are left.
        mutating func take(_ count: Int) throws -> Slice<UnsafeRawBufferPointer> {
            guard count <= bytes.count - position else {
                throw failure("truncated: \(count) bytes needed at offset \(position), \(bytes.count - position) left")
            }
            defer { position += count }
            return bytes[position ..< position + count]
        }

        mutating func word() throws -> UInt64 {
            try take(8).reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }

        /// A u32 count of things that each take at least `size` bytes, checked against the bytes left.
        mutating func count(ofItemsAtLeast size: Int) throws -> Int {
            let count = Int(try take(4).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            guard count <= (bytes.count - position) / size else { throw failure("a count of \(count) at offset \(position - 4) exceeds the input") }
            return count
        }

        mutating func value(depth: Int) throws -> UltraValue {
            guard let tag = Tag(rawValue: try take(1).first!) else { throw failure("unknown tag at offset \(position - 1)") }
            switch tag {
            case .null: return .null
            case .false: return false
            case .true: return true
            case .int: return .int(Int64(bitPattern: try word()))
            case .uint: return .unsigned(try word())
            case .double: return .double(Double(bitPattern: try word()))
            case .string:
                let utf8 = try take(count(ofItemsAtLeast: 1))
                let text = String(decoding: utf8, as: UTF8.self)  // repairs bad UTF-8, so compare
                guard text.utf8.elementsEqual(utf8) else { throw failure("a string that is not UTF-8 before offset \(position)") }
                return .string(text)
            case .bytes: return .bytes(Array(try take(count(ofItemsAtLeast: 1))))
            case .array, .dictionary:
                guard depth < UltraValue.maximumDepth else { throw failure("nesting deeper than \(UltraValue.maximumDepth) levels") }
                if tag == .array {
                    return .array(try (0 ..< count(ofItemsAtLeast: 1)).map { _ in try value(depth: depth + 1) })
                }
                var map: [UltraValue: UltraValue] = [:]
                for _ in 0 ..< (try count(ofItemsAtLeast: 2)) {
                    let key = try value(depth: depth + 1)
                    map[key] = try value(depth: depth + 1)
                }
                return .dictionary(map)
            }
        }
    }
}

private func failure(_ message: String) -> UltraDictError {
    UltraDictError(.serialization, "compact: \(message)")
}
