/// The check of a JSON text before json-c parses it: one pass over the input for what json-c
/// would accept silently: malformed UTF-8 (json-c's check lets surrogates and overlong forms
/// through), NUL bytes, integers outside `Int64.min ... UInt64.max` (json-c's `strtoll` would
/// saturate them), and object keys containing `\u0000` (json-c would cut them). Grammar errors
/// are json-c's to find.
enum JSONTextCheck {
    /// Checks `bytes` in one pass; throws a `serialization` error at the first problem.
    static func check(_ bytes: UnsafeRawBufferPointer) throws {
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""): index = try skipString(bytes, at: index)
            case UInt8(ascii: "-"), UInt8(ascii: "0") ... UInt8(ascii: "9"): index = try skipNumber(bytes, at: index)
            case 0: throw failure("a NUL byte at offset \(index)")
            case 0x80...: throw failure("a non-ASCII byte outside a string at offset \(index)")
            default: index += 1
            }
        }
    }

    /// The offset after the string that starts with the quote at `start`; checks its UTF-8 and that
    /// it is not an object key containing `\u0000`.
    private static func skipString(_ bytes: UnsafeRawBufferPointer, at start: Int) throws -> Int {
        var index = start + 1
        var containsNUL = false
        while true {
            guard index < bytes.count else { throw failure("unterminated string at offset \(start)") }
            switch bytes[index] {
            case UInt8(ascii: "\""):
                index += 1
                if containsNUL {
                    var next = index
                    while next < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[next]) { next += 1 }
                    if next < bytes.count, bytes[next] == UInt8(ascii: ":") {
                        throw failure("the object key at offset \(start) contains \\u0000, which json-c cannot keep")
                    }
                }
                return index
            case UInt8(ascii: "\\"):
                containsNUL = containsNUL || (index + 5 < bytes.count && bytes[index + 1 ... index + 5].elementsEqual("u0000".utf8))
                index += 2
            case 0: throw failure("a NUL byte at offset \(index)")
            case 0 ..< 0x80: index += 1
            default: index = try skipUTF8Sequence(bytes, at: index)
            }
        }
    }

    /// The offset after the well-formed UTF-8 sequence of two to four bytes starting at `start`.
    private static func skipUTF8Sequence(_ bytes: UnsafeRawBufferPointer, at start: Int) throws -> Int {
        let (length, second): (Int, ClosedRange<UInt8>) = switch bytes[start] {
        case 0xC2 ... 0xDF: (2, 0x80 ... 0xBF)
        case 0xE0: (3, 0xA0 ... 0xBF)                       // no overlong forms
        case 0xE1 ... 0xEC, 0xEE ... 0xEF: (3, 0x80 ... 0xBF)
        case 0xED: (3, 0x80 ... 0x9F)                       // no surrogates
        case 0xF0: (4, 0x90 ... 0xBF)
        case 0xF1 ... 0xF3: (4, 0x80 ... 0xBF)
        case 0xF4: (4, 0x80 ... 0x8F)                       // nothing above U+10FFFF
        default: throw failure("malformed UTF-8 at offset \(start)")
        }
        guard start + length <= bytes.count, second.contains(bytes[start + 1]),
            bytes[start + 2 ..< start + length].allSatisfy({ $0 & 0xC0 == 0x80 }) else {
            throw failure("malformed UTF-8 at offset \(start)")
        }
        return start + length
    }

    /// The offset after the number that starts at `start`; an integer (no `.`, no exponent) must
    /// fit `Int64` when negative and `UInt64` otherwise.
    private static func skipNumber(_ bytes: UnsafeRawBufferPointer, at start: Int) throws -> Int {
        let digit = UInt8(ascii: "0") ... UInt8(ascii: "9")
        var end = start
        var isInteger = true
        scan: while end < bytes.count {
            switch bytes[end] {
            case digit, UInt8(ascii: "-"), UInt8(ascii: "+"): break
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): isInteger = false
            default: break scan
            }
            end += 1
        }
        let isNegative = bytes[start] == UInt8(ascii: "-")
        let digits = bytes[(isNegative ? start + 1 : start) ..< end].drop { $0 == UInt8(ascii: "0") }
        guard isInteger, digits.allSatisfy(digit.contains) else { return end }  // json-c judges the rest
        let limit = (isNegative ? "9223372036854775808" : "18446744073709551615").utf8
        guard digits.count < limit.count || (digits.count == limit.count && !limit.lexicographicallyPrecedes(digits)) else {
            throw failure("the integer at offset \(start) does not fit 64 bits")
        }
        return end
    }
}
