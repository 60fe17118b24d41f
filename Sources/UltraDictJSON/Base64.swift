/// Standard base64 (RFC 4648 §4, with `=` padding) for the `{"$bytes": …}` form of bytes in JSON.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The value of each alphabet character, 0xFF for any other byte.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = UInt8(index) }
        return table
    }()

    /// The padded base64 text of `bytes`.
    static func encode(_ bytes: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: (bytes.count + 2) / 3 * 4) { output in
            var written = 0
            func put(_ byte: UInt8) { output[written] = byte; written += 1 }
            var index = 0
            while index < bytes.count {
                let count = min(3, bytes.count - index)
                var group = UInt32(bytes[index]) << 16
                if count > 1 { group |= UInt32(bytes[index + 1]) << 8 }
                if count > 2 { group |= UInt32(bytes[index + 2]) }
                for position in 0 ..< 4 {
                    put(position <= count ? alphabet[Int(group >> (18 - 6 * position)) & 0x3F] : UInt8(ascii: "="))
                }
                index += 3
            }
            return written
        }
    }

    /// The bytes of `text` if it is canonical padded base64 (what ``encode(_:)`` writes: no
    /// whitespace, padding only at the end, unused bits zero); `nil` otherwise.
    static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { $0.count % 4 == 0 ? decode($0) : nil }
    }

    private static func decode(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let padding = text.last == UInt8(ascii: "=") ? (text.dropLast().last == UInt8(ascii: "=") ? 2 : 1) : 0
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count / 4 * 3)
        var index = 0
        while index < text.count {
            let isLast = index + 4 == text.count
            let digits = isLast ? 4 - padding : 4
            var group: UInt32 = 0
            for position in 0 ..< 4 {
                var value: UInt8 = 0
                if position < digits {
                    value = values[Int(text[index + position])]
                    guard value != 0xFF else { return nil }
                }
                group = group << 6 | UInt32(value)
            }
            let kept = digits - 1  // 4 digits carry 3 bytes, 3 digits 2, 2 digits 1
            guard group & ((1 << (8 * (3 - kept))) - 1) == 0 else { return nil }  // unused bits must be zero
            for position in 0 ..< kept { bytes.append(UInt8(truncatingIfNeeded: group >> (16 - 8 * position))) }
            index += 4
        }
        return bytes
    }
}
