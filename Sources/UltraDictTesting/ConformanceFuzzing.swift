import UltraDictCore

/// Random and mutated input: whatever bytes a decoder is given, it decodes them or refuses them
/// with a serialization error.
extension Checker {
    /// Decodes `count` inputs drawn from `seed`: one in eight random bytes, the others mutations
    /// of encodings of the fuzz corpus and of two update records.
    mutating func fuzz(inputs count: Int, seed: UInt64) {
        var random = SplitMix64(state: seed)
        var seeds: [[UInt8]] = []
        for value in Corpus.fuzzSeeds(capabilities) {
            if let bytes = encode(.value(value), brief(value), refusalAllowed: true) { seeds.append(bytes) }
        }
        for update in [UltraDictUpdate.set("key", ["a": [1, 2.5, "x"]]), .delete(42)] {
            if let bytes = encode(.update(update), "an update record") { seeds.append(bytes) }
        }
        guard !seeds.isEmpty else { return }
        for _ in 0 ..< count {
            let input = Int.random(in: 0 ..< 8, using: &random) == 0
                ? (0 ..< Int.random(in: 0 ... 64, using: &random)).map { _ in UInt8.random(in: 0 ... 255, using: &random) }
                : Mutator.mutate(seeds, using: &random)
            decodeOrRefuse(input)
        }
    }

    /// Decodes `input` with both entry points: each must succeed or throw a serialization error.
    mutating func decodeOrRefuse(_ input: [UInt8]) {
        for entry in Entry.allCases {
            do {
                try run(entry, input)
            } catch let error as UltraDictError where error.code == .serialization {
            } catch {
                fail("malformed input", "\(entry) threw \(error), not a serialization error: \(hex(input))")
            }
        }
    }
}
