/// Makes malformed inputs from valid encodings, the way a mutation fuzzer does: most of a mutated
/// input still parses, so the decoder's deeper checks are reached, not only its first byte.
enum Mutator {
    /// Bytes where decoders draw lines: zero, sign bits, all ones.
    private static let boundaryBytes: [UInt8] = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF]

    /// 4- and 8-byte values that break lengths and counts read from the input.
    private static let boundaryWords: [[UInt8]] = [
        [0xFF, 0xFF, 0xFF, 0xFF], [0x7F, 0xFF, 0xFF, 0xFF], [0x80, 0x00, 0x00, 0x00], [0x00, 0x00, 0x00, 0x00],
        [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], [0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
        [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01],
    ]

    /// One of `seeds` with one to four random mutations applied.
    static func mutate(_ seeds: [[UInt8]], using random: inout SplitMix64) -> [UInt8] {
        var bytes = seeds[Int.random(in: 0 ..< seeds.count, using: &random)]
        for _ in 0 ..< Int.random(in: 1 ... 4, using: &random) {
            guard !bytes.isEmpty else { break }
            let position = Int.random(in: 0 ..< bytes.count, using: &random)
            switch Int.random(in: 0 ..< 8, using: &random) {
            case 0:  // flip one bit
                bytes[position] ^= 1 << UInt8.random(in: 0 ... 7, using: &random)
            case 1:  // set a byte to a boundary or random value
                bytes[position] = Bool.random(using: &random)
                    ? boundaryBytes.randomElement(using: &random)! : UInt8.random(in: 0 ... 255, using: &random)
            case 2:  // insert a byte
                bytes.insert(UInt8.random(in: 0 ... 255, using: &random), at: position)
            case 3:  // delete a range
                bytes.removeSubrange(position ..< min(bytes.count, position + Int.random(in: 1 ... 8, using: &random)))
            case 4:  // truncate
                bytes.removeSubrange(position...)
            case 5:  // duplicate a range somewhere else
                let range = position ..< min(bytes.count, position + Int.random(in: 1 ... 16, using: &random))
                bytes.insert(contentsOf: bytes[range], at: Int.random(in: 0 ... bytes.count, using: &random))
            case 6:  // splice: keep a head, take the tail of another seed
                let other = seeds[Int.random(in: 0 ..< seeds.count, using: &random)]
                bytes = Array(bytes[..<position]) + other[Int.random(in: 0 ... other.count, using: &random)...]
            default:  // overwrite with a wide boundary value
                let word = boundaryWords.randomElement(using: &random)!
                let end = min(bytes.count, position + word.count)
                bytes.replaceSubrange(position ..< end, with: word.prefix(end - position))
            }
        }
        return bytes
    }
}
