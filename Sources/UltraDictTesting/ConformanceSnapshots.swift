import UltraDictCore

extension Checker {
    /// Checks both forms of `decodeSnapshot` on the corpus's snapshots and an empty one: each
    /// hands over the entries that `decode` finds, and the announcing form announces at most
    /// once, before any entry, the number of entries it then hands over.
    mutating func checkSnapshots() {
        let snapshots = Corpus.large(capabilities).filter { if case .dictionary = $0.value { true } else { false } }
        for (name, value) in snapshots + [("an empty snapshot", .dictionary([:]))] {
            guard let bytes = encode(.value(value), name) else { continue }
            do {
                let decoded = try decode(bytes)
                var plain: [UltraValue: UltraValue] = [:]
                try bytes.withUnsafeBytes { try serializer.decodeSnapshot($0) { plain[$0] = $1 } }
                if .dictionary(plain) != decoded { fail("snapshots", "decodeSnapshot of \(name) handed over other entries than decode found") }

                var announced: [Int] = []
                var entries: [UltraValue: UltraValue] = [:]
                var announcedLate = false
                try bytes.withUnsafeBytes {
                    try serializer.decodeSnapshot($0, announcing: { count in
                        announced.append(count)
                        announcedLate = announcedLate || !entries.isEmpty
                    }) { entries[$0] = $1 }
                }
                if .dictionary(entries) != decoded {
                    fail("snapshots", "decodeSnapshot(_:announcing:_:) of \(name) handed over other entries than decode found")
                }
                if announced.count > 1 || announcedLate || announced.contains(where: { $0 != entries.count }) {
                    fail("snapshots", "decodeSnapshot(_:announcing:_:) of \(name) announced \(announced) for \(entries.count) entries\(announcedLate ? ", after the first" : "")")
                }
            } catch {
                fail("snapshots", "decoding the snapshot \(name) threw \(error)")
            }
        }
    }
}
