import UltraDictCore

/// The 6-byte header that starts every stream record and full dump: `0xFF`, a u32
/// little-endian payload length, `0xFF`.
package enum Frame {
    /// Bytes in a header.
    package static let headerSize = 6
    /// The byte that opens and closes a header.
    package static let marker: UInt8 = 0xFF

    /// Writes a header for a payload of `length` bytes at `address`.
    package static func writeHeader(length: UInt32, at address: UnsafeMutableRawPointer) {
        address.storeBytes(of: marker, as: UInt8.self)
        (address + 1).storeBytes(of: length.littleEndian, as: UInt32.self)
        (address + 5).storeBytes(of: marker, as: UInt8.self)
    }

    /// Reads and checks a header at the start of `bytes`; returns the payload length, which is
    /// known to fit in `bytes` after the header.
    package static func payloadLength(in bytes: UnsafeRawBufferPointer, what: @autoclosure () -> String) throws -> Int {
        guard bytes.count >= headerSize else {
            throw UltraDictError(.corruptSharedMemory, "\(what()): \(bytes.count) bytes cannot hold a 6-byte header")
        }
        guard bytes[0] == marker, bytes[5] == marker else {
            throw UltraDictError(.corruptSharedMemory, "\(what()): header markers are \(bytes[0]), \(bytes[5]) instead of 0xFF")
        }
        let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 1, as: UInt32.self)))
        guard length > 0, length <= bytes.count - headerSize else {
            throw UltraDictError(.corruptSharedMemory, "\(what()): payload length \(length) does not fit the \(bytes.count - headerSize) bytes after the header")
        }
        return length
    }

    /// Calls `body` with each record's payload in a run of stream bytes, after checking that the
    /// records tile `bytes` exactly.
    package static func forEachPayload(
        in bytes: UnsafeRawBufferPointer,
        streamOffset: Int,
        _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        var offset = 0
        while offset < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            let length = try payloadLength(in: rest, what: "update stream record at byte \(streamOffset + offset)")
            try body(UnsafeRawBufferPointer(rebasing: rest[headerSize..<(headerSize + length)]))
            offset += headerSize + length
        }
    }
}

/// The 16 bytes this package writes after a full dump's payload (Python never reads past the
/// length): `"UDTR"`, the u32 full-dump counter the dump publishes, and the FNV-1a 64 checksum of
/// the payload. A reader uses it to tell a complete dump from a torn or mismatched one.
package struct DumpTrailer: Equatable {
    /// Bytes in a trailer.
    package static let size = 16
    static let magic: UInt32 = 0x5254_4455

    /// The counter value this dump was published with.
    package var counter: UInt32
    /// FNV-1a 64 of the payload.
    package var checksum: UInt64

    /// Computes the trailer of `payload` for `counter`.
    package init(counter: UInt32, payload: UnsafeRawBufferPointer) {
        self.counter = counter
        self.checksum = Self.fnv1a(payload)
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
    package func matches(_ payload: UnsafeRawBufferPointer) -> Bool { Self.fnv1a(payload) == checksum }

    private static func fnv1a(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash
    }
}
