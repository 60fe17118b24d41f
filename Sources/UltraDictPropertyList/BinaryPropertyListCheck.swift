import UltraDictCore

/// The bounds-checked walk over a binary property list (`bplist00`) that runs before Foundation
/// parses it, so that hostile bytes cannot make the parser read out of bounds, recurse without end,
/// or expand a few shared objects into gigabytes.
///
/// The layout (Apple's `CFBinaryPList.c`): the header `bplist00`; the objects; an offset table of
/// `objectCount` big-endian offsets of `offsetSize` bytes; a 32-byte trailer (6 unused bytes,
/// `offsetSize`, `referenceSize`, then big-endian u64 `objectCount`, `topObject` and
/// `offsetTableOffset`). A container lists its members as `referenceSize`-byte object numbers.
///
/// The walk, without recursion, checks that: the offset table ends where the trailer starts (no
/// trailing bytes); references and offsets are wide enough to number every object and to reach the
/// offset table, and every offset in the table, reachable or not, points into the objects (as
/// CoreFoundation requires; each input it refuses costs a `CFError` that Foundation on Linux
/// leaks, so none must reach it); every offset, length and reference stays inside the objects;
/// only the types ``PropertyListSerializer`` reads occur (bool, int, real, data, ASCII and UTF-16
/// strings, array, dictionary with string keys, each key once: CoreFoundation leaks the objects
/// of a repeated key); strings are well-formed (and a UTF-16 one not empty); an int fits `Int64` or `UInt64`; no container is
/// reached twice (Foundation, CF and Python's `plistlib` never share containers, so
/// a second path is a cycle or an amplification); containers nest at most ``maximumDepth`` deep;
/// and the strings and data reached, counted once per reference, total at most ``maximumExpandedSize``.
enum BinaryPropertyListCheck {
    /// The deepest container nesting accepted: 512, the limit of CoreFoundation's parser
    /// (`_CFPropertyListMaxRecursionDepth` on macOS and Linux), which fails beyond it.
    static let maximumDepth = 512

    /// The most string and data bytes a decoded value may hold, counting a shared object once per
    /// reference: 1 GiB.
    static let maximumExpandedSize = 1 << 30

    private static let headerCount = 8
    private static let trailerCount = 32

    /// Throws ``UltraDictError/Code/serialization`` unless `bytes` is a binary property list that
    /// passes every check in the type's description.
    static func check(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count >= headerCount + 2 + trailerCount else {
            throw failure("\(bytes.count) bytes are too short for a binary property list")
        }
        guard bytes.prefix(headerCount).elementsEqual("bplist00".utf8) else { throw failure("no bplist00 header") }
        let trailer = bytes.count - trailerCount
        let offsetSize = Int(bytes[trailer + 6])
        let referenceSize = Int(bytes[trailer + 7])
        let objectCount = integer(bytes, at: trailer + 8, width: 8)
        let topObject = integer(bytes, at: trailer + 16, width: 8)
        let tableOffset = integer(bytes, at: trailer + 24, width: 8)
        guard (1 ... 8).contains(offsetSize), (1 ... 8).contains(referenceSize), objectCount >= 1,
            objectCount <= UInt64(trailer), topObject < objectCount,
            tableOffset > UInt64(headerCount), tableOffset < UInt64(trailer),
            UInt64(trailer) - tableOffset == objectCount * UInt64(offsetSize) else {
            throw failure("the trailer does not describe this input (offset table, object count or sizes out of range)")
        }
        guard referenceSize == 8 || objectCount >> (8 * referenceSize) == 0, offsetSize == 8 || tableOffset >> (8 * offsetSize) == 0 else {
            throw failure("\(referenceSize)-byte references cannot number \(objectCount) objects, or \(offsetSize)-byte offsets cannot reach \(tableOffset)")
        }
        let objects = Objects(
            bytes: bytes, end: Int(tableOffset), count: Int(objectCount), offsetSize: offsetSize, referenceSize: referenceSize
        )
        for index in 0 ..< objects.count { _ = try objects.offset(of: index) }
        try objects.walk(from: Int(topObject))
    }

    /// The big-endian unsigned integer of `width` (at most 8) bytes at `offset`, in bounds.
    fileprivate static func integer(_ bytes: UnsafeRawBufferPointer, at offset: Int, width: Int) -> UInt64 {
        bytes[offset ..< offset + width].reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// The object area of a binary property list whose trailer has been checked.
private struct Objects {
    let bytes: UnsafeRawBufferPointer
    /// Where the objects end: the offset table's start.
    let end: Int
    let count: Int
    let offsetSize: Int
    let referenceSize: Int

    /// The offset of object `index`, checked to lie in the object area.
    func offset(of index: Int) throws -> Int {
        let offset = BinaryPropertyListCheck.integer(bytes, at: end + index * offsetSize, width: offsetSize)
        guard offset >= 8, offset < UInt64(end) else { throw failure("object \(index) has offset \(offset), outside the objects") }
        return Int(offset)
    }

    /// Checks that `length` bytes from `start` lie in the object area.
    func take(_ length: Int, at start: Int) throws {
        guard length <= end - start else {
            throw failure("an object at offset \(start) needs \(length) bytes, only \(end - start) left")
        }
    }

    /// The element count of the object at `offset` (low nibble, or a following int object when it
    /// is 0xF) and where its content starts.
    func countAndStart(at offset: Int) throws -> (count: Int, start: Int) {
        let nibble = Int(bytes[offset] & 0x0F)
        guard nibble == 0x0F else { return (nibble, offset + 1) }
        try take(1, at: offset + 1)
        let marker = bytes[offset + 1]
        guard marker & 0xF0 == 0x10, marker & 0x0F <= 3 else { throw failure("a malformed length at offset \(offset)") }
        let width = 1 << Int(marker & 0x0F)
        try take(width, at: offset + 2)
        let count = BinaryPropertyListCheck.integer(bytes, at: offset + 2, width: width)
        guard count <= UInt64(end) else { throw failure("a length of \(count) at offset \(offset) exceeds the input") }
        return (Int(count), offset + 2 + width)
    }

    /// The object numbers listed from `start`, each checked to name an object.
    func references(_ count: Int, at start: Int) throws -> [Int] {
        try take(count * referenceSize, at: start)  // count <= end, so no overflow
        return try (0 ..< count).map { position in
            let reference = BinaryPropertyListCheck.integer(bytes, at: start + position * referenceSize, width: referenceSize)
            guard reference < UInt64(self.count) else { throw failure("a reference to object \(reference) of \(self.count)") }
            return Int(reference)
        }
    }

    /// Walks every object reachable from `top`, depth first, without recursion.
    func walk(from top: Int) throws {
        var containerSeen = [Bool](repeating: false, count: count)
        var stringChecked = [Bool](repeating: false, count: count)
        var expanded = 0
        var pending = [(index: top, depth: 1)]
        while let (index, depth) = pending.popLast() {
            let offset = try offset(of: index)
            let marker = bytes[offset]
            switch marker >> 4 {
            case 0x0:
                guard marker == 0x08 || marker == 0x09 else { throw unsupported(marker, offset) }
            case 0x1:
                guard marker & 0x0F <= 4 else { throw unsupported(marker, offset) }
                let width = 1 << Int(marker & 0x0F)
                try take(width, at: offset + 1)
                guard width < 16 || BinaryPropertyListCheck.integer(bytes, at: offset + 1, width: 8) == 0 else {
                    throw failure("the 128-bit integer at offset \(offset) does not fit 64 bits")
                }
            case 0x2:
                guard marker == 0x22 || marker == 0x23 else { throw unsupported(marker, offset) }
                try take(marker == 0x22 ? 4 : 8, at: offset + 1)
            case 0x4, 0x5, 0x6:
                let (length, start) = try countAndStart(at: offset)
                // CoreFoundation fails on an empty UTF-16 string (it allocates 0 bytes and gets
                // NULL); writers use the ASCII form for "".
                guard marker >> 4 != 0x6 || length > 0 else { throw failure("an empty UTF-16 string at offset \(offset)") }
                let size = marker >> 4 == 0x6 ? 2 * length : length
                try take(size, at: start)
                if !stringChecked[index] {
                    stringChecked[index] = true
                    if marker >> 4 == 0x5 { try checkASCII(size, at: start) }
                    if marker >> 4 == 0x6 { try checkUTF16(length, at: start) }
                }
                expanded += size
                guard expanded <= BinaryPropertyListCheck.maximumExpandedSize else {
                    throw failure("strings and data expand to more than \(BinaryPropertyListCheck.maximumExpandedSize) bytes")
                }
            case 0xA, 0xD:
                guard depth <= BinaryPropertyListCheck.maximumDepth else {
                    throw failure("nesting deeper than \(BinaryPropertyListCheck.maximumDepth) containers")
                }
                guard !containerSeen[index] else { throw failure("the container at offset \(offset) is reached twice (shared or cyclic)") }
                containerSeen[index] = true
                let (length, start) = try countAndStart(at: offset)
                let isDictionary = marker >> 4 == 0xD
                let members = try references(isDictionary ? 2 * length : length, at: start)
                var keys = Set<[UInt16]>(minimumCapacity: isDictionary ? length : 0)
                for key in members.prefix(isDictionary ? length : 0) {
                    let keyOffset = try self.offset(of: key)
                    guard bytes[keyOffset] >> 4 == 0x5 || bytes[keyOffset] >> 4 == 0x6 else {
                        throw failure("the dictionary at offset \(offset) has a key that is not a string")
                    }
                    guard keys.insert(try codeUnits(ofStringAt: keyOffset)).inserted else {
                        throw failure("the dictionary at offset \(offset) has a key twice")
                    }
                }
                pending.append(contentsOf: members.reversed().lazy.map { (index: $0, depth: depth + 1) })
            default:
                throw unsupported(marker, offset)
            }
        }
    }

    /// The UTF-16 code units of the ASCII or UTF-16 string object at `offset`, which CoreFoundation
    /// compares to tell dictionary keys apart.
    func codeUnits(ofStringAt offset: Int) throws -> [UInt16] {
        let (length, start) = try countAndStart(at: offset)
        if bytes[offset] >> 4 == 0x5 {
            try take(length, at: start)
            return bytes[start ..< start + length].map(UInt16.init)
        }
        try take(2 * length, at: start)
        return (0 ..< length).map { UInt16(BinaryPropertyListCheck.integer(bytes, at: start + 2 * $0, width: 2)) }
    }

    /// Checks that an ASCII string object (marker 0x5) holds only 7-bit bytes.
    func checkASCII(_ length: Int, at start: Int) throws {
        guard bytes[start ..< start + length].allSatisfy({ $0 < 0x80 }) else {
            throw failure("the ASCII string at offset \(start) holds a byte above 0x7F")
        }
    }

    /// Checks that a UTF-16 string object (marker 0x6, big-endian) pairs its surrogates.
    func checkUTF16(_ length: Int, at start: Int) throws {
        var position = 0
        while position < length {
            let unit = BinaryPropertyListCheck.integer(bytes, at: start + 2 * position, width: 2)
            switch unit {
            case 0xD800 ... 0xDBFF:
                guard position + 1 < length,
                    (0xDC00 ... 0xDFFF).contains(BinaryPropertyListCheck.integer(bytes, at: start + 2 * position + 2, width: 2)) else {
                    throw failure("the UTF-16 string at offset \(start) has an unpaired surrogate")
                }
                position += 2
            case 0xDC00 ... 0xDFFF:
                throw failure("the UTF-16 string at offset \(start) has an unpaired surrogate")
            default:
                position += 1
            }
        }
    }

    func unsupported(_ marker: UInt8, _ offset: Int) -> UltraDictError {
        failure("unsupported object marker 0x\(String(marker, radix: 16)) at offset \(offset) (dates, UIDs, sets and fill bytes are not read)")
    }
}

func failure(_ what: String) -> UltraDictError {
    UltraDictError(.serialization, "plist: \(what)")
}
