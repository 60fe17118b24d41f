// Numbers in the text a server sends (stream IDs, lengths, counts, settings), read strictly:
// exactly as Redis writes them, so that one number has one spelling and a hostile one cannot
// slip past a check through a sign, a leading zero or an overflow.

extension UInt64 {
    /// The number that `text` writes in decimal as Redis writes it: 1 to 20 ASCII digits, no
    /// sign, no leading zero (but `0` itself), at most `UInt64.max`; `nil` for anything else.
    init?(strictDecimal text: some Collection<UInt8>) {
        guard (1...20).contains(text.count), text.first != UInt8(ascii: "0") || text.count == 1 else { return nil }
        var value: UInt64 = 0
        for byte in text {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            let (times, overflowed) = value.multipliedReportingOverflow(by: 10)
            let (sum, carried) = times.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflowed, !carried else { return nil }
            value = sum
        }
        self = value
    }
}

extension Int64 {
    /// The number that `text` writes in decimal as Redis writes it: an optional `-`, then digits
    /// as ``Swift/UInt64/init(strictDecimal:)`` reads them, within `Int64`'s range; `-0` is refused.
    init?(strictDecimal text: some Collection<UInt8>) {
        let negative = text.first == UInt8(ascii: "-")
        guard let magnitude = UInt64(strictDecimal: text.dropFirst(negative ? 1 : 0)) else { return nil }
        if negative {
            guard magnitude != 0, magnitude <= Int64.min.magnitude else { return nil }
            self = Int64(truncatingIfNeeded: 0 &- magnitude)
        } else {
            guard let value = Int64(exactly: magnitude) else { return nil }
            self = value
        }
    }
}
