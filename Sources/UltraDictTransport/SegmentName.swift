import UltraDictCore

/// The rules for a dictionary's name, checked before any segment is touched.
package enum SegmentName {
    /// The longest dictionary name in UTF-8 bytes: the longest suffix (`_register`) must still
    /// fit the 255-byte name limits of `/dev/shm` and of the control block's dump-name field.
    package static let maximumLength = 240

    /// Throws `invalidArgument` unless `name` is 1 to ``maximumLength`` bytes with no `/` or NUL.
    package static func validate(_ name: String) throws {
        let bytes = name.utf8
        guard !bytes.isEmpty, bytes.count <= maximumLength else {
            throw UltraDictError(.invalidArgument, "a dictionary name must be 1 to \(maximumLength) UTF-8 bytes, got \(bytes.count)")
        }
        guard !bytes.contains(UInt8(ascii: "/")), !bytes.contains(0), name != ".", name != ".." else {
            throw UltraDictError(.invalidArgument, "a dictionary name must not contain '/' or NUL, or be '.' or '..': \(name.debugDescription)")
        }
    }

    /// Whether `name` has the shape of a dynamic full dump's segment, `psm_` and 8 lowercase hex
    /// digits, as Python's `SharedMemory` and this package name them.
    package static func isDumpName(_ name: String) -> Bool {
        isRandomName(name, prefix: "psm_", digits: 8)
    }

    /// Whether `name` is `prefix` followed by exactly `digits` lowercase hex digits, the shape of
    /// ``random(prefix:digits:)``'s names.
    package static func isRandomName(_ name: String, prefix: String, digits: Int) -> Bool {
        guard name.hasPrefix(prefix) else { return false }
        let suffix = name.utf8.dropFirst(prefix.utf8.count)
        return suffix.count == digits && suffix.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }

    /// A fresh random name: `prefix` and `digits` (at most 16) lowercase hex digits, such as
    /// `psm_1a2b3c4d` (as Python's `SharedMemory` makes).
    package static func random(prefix: String = "psm_", digits: Int = 8) -> String {
        var generator = SystemRandomNumberGenerator()
        let value = UInt64.random(in: .min ... .max, using: &generator) >> (64 - 4 * digits)
        let hex = String(value, radix: 16)
        return prefix + String(repeating: "0", count: digits - hex.count) + hex
    }
}
