import UltraDictCore

/// The 6-byte header that starts every stream record and full dump: `0xFF`, a u32
/// little-endian payload length, `0xFF`.
@usableFromInline
package enum Frame {
    /// Bytes in a header.
    @usableFromInline package static let headerSize = 6
    /// The byte that opens and closes a header.
    @usableFromInline package static let marker: UInt8 = 0xFF

    /// Writes a header for a payload of `length` bytes at `address`.
    package static func writeHeader(length: UInt32, at address: UnsafeMutableRawPointer) {
        address.storeBytes(of: marker, as: UInt8.self)
        (address + 1).storeBytes(of: length.littleEndian, as: UInt32.self)
        (address + 5).storeBytes(of: marker, as: UInt8.self)
    }

    /// Bytes of a full dump of a `payloadCount`-byte payload: header, payload, trailer.
    package static func dumpSize(payloadCount: Int) -> Int { headerSize + payloadCount + DumpTrailer.size }

    /// Writes a whole full dump of `payload`, published as `counter`, at `address`, which must
    /// have room for ``dumpSize(payloadCount:)`` bytes.
    package static func writeDump(_ payload: UnsafeRawBufferPointer, counter: UInt32, at address: UnsafeMutableRawPointer) {
        writeHeader(length: UInt32(payload.count), at: address)
        (address + headerSize).copyMemory(from: payload.baseAddress!, byteCount: payload.count)
        DumpTrailer(counter: counter, payload: payload).write(at: address + headerSize + payload.count)
    }

    /// Reads and checks a header at the start of `bytes`; returns the payload length, which is
    /// known to fit in `bytes` after the header.
    package static func payloadLength(in bytes: UnsafeRawBufferPointer, what: @autoclosure () -> String) throws -> Int {
        guard let length = payloadLength(in: bytes, at: 0) else { throw headerError(in: bytes, what: what()) }
        return length
    }

    /// The payload length of the header at `offset` in `bytes`, or `nil` when there is no valid
    /// header there whose payload fits in `bytes`: the check of every header a reader meets.
    @inlinable
    package static func payloadLength(in bytes: UnsafeRawBufferPointer, at offset: Int) -> Int? {
        guard offset >= 0, bytes.count - offset >= headerSize, let base = bytes.baseAddress else { return nil }
        let header = base + offset
        guard header.load(as: UInt8.self) == marker, header.load(fromByteOffset: 5, as: UInt8.self) == marker else { return nil }
        let length = Int(UInt32(littleEndian: header.loadUnaligned(fromByteOffset: 1, as: UInt32.self)))
        guard length > 0, length <= bytes.count - offset - headerSize else { return nil }
        return length
    }

    /// Why there is no valid header at the start of `bytes`, for the error message.
    @usableFromInline
    static func headerError(in bytes: UnsafeRawBufferPointer, what: String) -> UltraDictError {
        guard bytes.count >= headerSize else {
            return UltraDictError(.corruptSharedMemory, "\(what): \(bytes.count) bytes cannot hold a 6-byte header")
        }
        guard bytes[0] == marker, bytes[5] == marker else {
            return UltraDictError(.corruptSharedMemory, "\(what): header markers are \(bytes[0]), \(bytes[5]) instead of 0xFF")
        }
        let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 1, as: UInt32.self)))
        return UltraDictError(.corruptSharedMemory, "\(what): payload length \(length) does not fit the \(bytes.count - headerSize) bytes after the header")
    }

    /// Whether the records in a run of stream bytes tile it exactly.
    package static func recordsTile(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            guard let length = payloadLength(in: bytes, at: offset) else { return false }
            offset += headerSize + length
        }
        return true
    }

    /// Calls `body` with each record's payload in a run of stream bytes, after checking that the
    /// records tile `bytes` exactly.
    @inlinable
    package static func forEachPayload(
        in bytes: UnsafeRawBufferPointer,
        streamOffset: Int,
        _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        var offset = 0
        while offset < bytes.count {
            guard let length = payloadLength(in: bytes, at: offset), let base = bytes.baseAddress else {
                throw headerError(
                    in: UnsafeRawBufferPointer(rebasing: bytes[offset...]), what: "update stream record at byte \(streamOffset + offset)"
                )
            }
            try body(UnsafeRawBufferPointer(start: base + offset + headerSize, count: length))
            offset += headerSize + length
        }
    }
}

/// The 16 bytes this package writes after a full dump's payload (Python never reads past the
/// length): `"UDTR"`, the u32 full-dump counter the dump publishes, and a 64-bit checksum of the
/// payload (``checksum(of:)``). A reader uses it to tell a complete dump from a torn or
/// mismatched one; it is not meant to resist forgery.
package struct DumpTrailer: Equatable {
    /// Bytes in a trailer.
    package static let size = 16
    static let magic: UInt32 = 0x5254_4455

    /// The counter value this dump was published with.
    package var counter: UInt32
    /// ``checksum(of:)`` of the payload.
    package var checksum: UInt64

    /// Computes the trailer of `payload` for `counter`.
    package init(counter: UInt32, payload: UnsafeRawBufferPointer) {
        self.counter = counter
        self.checksum = Self.checksum(of: payload)
    }

    /// Reads a trailer at the start of `bytes`, or `nil` when there is none.
    package init?(reading bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Self.size, UInt32(littleEndian: bytes.loadUnaligned(as: UInt32.self)) == Self.magic else { return nil }
        counter = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        checksum = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    }

    /// Writes the trailer at `address`.
    package func write(at address: UnsafeMutableRawPointer) {
        address.storeBytes(of: Self.magic.littleEndian, as: UInt32.self)
        (address + 4).storeBytes(of: counter.littleEndian, as: UInt32.self)
        (address + 8).storeBytes(of: checksum.littleEndian, as: UInt64.self)
    }

    /// Whether `payload` is the one this trailer was computed for.
    package func matches(_ payload: UnsafeRawBufferPointer) -> Bool { Self.checksum(of: payload) == checksum }

    /// The checksum of `bytes`, eight bytes at a time (a dump of a million keys is checked in a
    /// few milliseconds): starting from `0xcbf29ce484222325 ^ count`, for each little-endian u64
    /// word (the last one zero-padded), `h = (h ^ word) &* 0x9e3779b97f4a7c15; h ^= h >> 32`.
    package static func checksum(of bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(bytes.count)
        func mix(_ word: UInt64) {
            hash = (hash ^ word) &* 0x9e37_79b9_7f4a_7c15
            hash ^= hash >> 32
        }
        let whole = bytes.count & ~7
        var offset = 0
        while offset < whole {
            mix(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            offset += 8
        }
        if offset < bytes.count {
            var tail: UInt64 = 0
            withUnsafeMutableBytes(of: &tail) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset...])) }
            mix(UInt64(littleEndian: tail))
        }
        return hash
    }
}

/// A full-dump segment's framing, read without trusting it: a header whose length fits the
/// segment, the payload, and the trailer after it if there is one. Keeps the segment mapped.
struct DumpContents {
    /// The segment the payload lies in.
    let segment: MappedSegment
    /// The payload, inside the segment.
    let payload: UnsafeRawBufferPointer
    /// The checksum trailer after the payload, if there is one.
    let trailer: DumpTrailer?

    /// Reads `segment`'s header and trailer; throws `corruptSharedMemory` for an invalid header.
    init(_ segment: MappedSegment) throws {
        let bytes = UnsafeRawBufferPointer(start: segment.base, count: segment.size)
        let length = try Frame.payloadLength(in: bytes, what: "full dump '\(segment.name)'")
        self.segment = segment
        payload = UnsafeRawBufferPointer(rebasing: bytes[Frame.headerSize..<(Frame.headerSize + length)])
        trailer = DumpTrailer(reading: UnsafeRawBufferPointer(rebasing: bytes[(Frame.headerSize + length)...]))
    }

    /// The trailer, if there is one and it matches the payload.
    var intactTrailer: DumpTrailer? { trailer.flatMap { $0.matches(payload) ? $0 : nil } }
}
