import UltraDictCore

/// The scalar arguments of pickle opcodes, from their bytes: Python's arbitrary-size integers in
/// the value model's range, text integers and floats of protocol 0, and strings.
enum PickleScalars {
    /// A `LONG1`/`LONG4` integer: little-endian two's complement of any length, as `.int`, or as
    /// `.uint` above `Int64.max`; throws when it is outside `Int64.min...UInt64.max`.
    static func long(_ digits: UnsafeRawBufferPointer) throws -> UltraValue {
        guard let last = digits.last else { return .int(0) }
        let negative = last & 0x80 != 0
        // Past 8 bytes only the sign may extend (a 9th byte holds a UInt64's zero sign).
        guard digits.dropFirst(8).allSatisfy({ $0 == (negative ? 0xFF : 0x00) }) else { throw outOfRange(digits.count) }
        var pattern: UInt64 = negative ? ~0 : 0
        for (index, byte) in digits.prefix(8).enumerated() {
            let shift = 8 * UInt64(index)
            pattern = pattern & ~(0xFF << shift) | UInt64(byte) << shift
        }
        guard !negative else {
            guard pattern & (1 << 63) != 0 else { throw outOfRange(digits.count) }  // below Int64.min
            return .int(Int64(bitPattern: pattern))
        }
        return .unsigned(pattern)
    }

    private static func outOfRange(_ count: Int) -> UltraDictError {
        UltraDictError(.serialization, "pickle: an integer of \(count) bytes is outside the range of the value model (Int64.min to UInt64.max)")
    }

    /// Protocol 0's `INT` argument: a decimal, or `00`/`01` for `False`/`True`.
    static func textInteger(_ text: UnsafeRawBufferPointer) throws -> UltraValue {
        let string = try ascii(text)
        if string == "00" { return .bool(false) }
        if string == "01" { return .bool(true) }
        return try decimalValue(string)
    }

    /// Protocol 0's `LONG` argument: a decimal with an optional trailing `L`.
    static func textLong(_ text: UnsafeRawBufferPointer) throws -> UltraValue {
        let string = try ascii(text)
        return try decimalValue(string.hasSuffix("L") ? String(string.dropLast()) : string)
    }

    private static func decimalValue(_ string: String) throws -> UltraValue {
        if let value = Int64(string) { return .int(value) }
        if let value = UInt64(string) { return .unsigned(value) }
        throw UltraDictError(.serialization, "pickle: the integer \(string.prefix(40)) is not a decimal in the range of the value model")
    }

    /// Protocol 0's `FLOAT` argument, as Python's `repr` writes it (`inf`, `nan` too).
    static func textFloat(_ text: UnsafeRawBufferPointer) throws -> UltraValue {
        let string = try ascii(text)
        guard let value = Double(string) else { throw UltraDictError(.serialization, "pickle: \(string.prefix(40)) is not a float") }
        return .double(value)
    }

    /// A memo index of protocol 0's `PUT` and `GET`.
    static func decimal(_ text: UnsafeRawBufferPointer, _ opcode: String) throws -> Int {
        guard let value = Int(try ascii(text)), value >= 0 else { throw UltraDictError(.serialization, "pickle: \(opcode) needs a memo index") }
        return value
    }

    /// ASCII text (a global's module or name, a protocol 0 number).
    static func ascii(_ text: UnsafeRawBufferPointer) throws -> String {
        guard text.allSatisfy({ $0 < 0x80 }) else { throw UltraDictError(.serialization, "pickle: a text argument that is not ASCII") }
        return String(decoding: text, as: UTF8.self)
    }

    /// A UTF-8 string; Python's lone surrogates (`surrogatepass`), which a Swift string cannot
    /// hold, and every other invalid sequence throw.
    static func utf8(_ text: UnsafeRawBufferPointer) throws -> String {
        guard let string = String(validating: text, as: UTF8.self) else {
            throw UltraDictError(.serialization, "pickle: a string that is not valid UTF-8 (a lone surrogate?)")
        }
        return string
    }

    /// Protocol 0's `UNICODE` argument: Latin-1 text with `\uXXXX` and `\UXXXXXXXX` escapes
    /// (Python's `raw-unicode-escape`).
    static func rawUnicodeEscape(_ text: UnsafeRawBufferPointer) throws -> String {
        var scalars = String.UnicodeScalarView()
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text[index]
            if byte == 0x5C, index + 1 < text.endIndex, text[index + 1] == 0x75 || text[index + 1] == 0x55 {
                let digits = text[index + 1] == 0x75 ? 4 : 8
                guard index + 2 + digits <= text.endIndex,
                      let code = UInt32(String(decoding: text[(index + 2)..<(index + 2 + digits)], as: UTF8.self), radix: 16),
                      let scalar = Unicode.Scalar(code) else {
                    throw UltraDictError(.serialization, "pickle: a bad \\u escape in a UNICODE argument")
                }
                scalars.append(scalar)
                index += 2 + digits
            } else {
                scalars.append(Unicode.Scalar(byte))
                index += 1
            }
        }
        return String(scalars)
    }
}
