import UltraDict

/// The hot paths of issue 14, each on its own dictionary. Written values are small ints (0 to
/// 99), so that every record has the same size and every dump cycle the same length.
enum Operation: String, CaseIterable {
    case readNothingPending = "read_nothing_pending"
    case readApplyingOneRecord = "read_applying_one_record"
    case writeInt = "write_int"
    case write1KBString = "write_1kb_string"
    case delete
    case withLockUncontended = "with_lock_uncontended"
    case lockedIncrement = "locked_increment"
    case lockedIncrementCatchingUp = "locked_increment_catching_up"
    case fullDump10000Keys = "full_dump_10000_keys"

    /// Creates the dictionaries (uncounted) and returns the workload; `name` names them.
    func workload(name: String) throws -> Workload {
        switch self {
        case .readNothingPending:
            let d = try filled(name)
            return Workload(operation: { _ in blackHole(d[1]) }, round: .operations(1_000))
        case .readApplyingOneRecord:
            let writer = try filled(name)
            let reader = try UltraDict<Int, Int>(name: name, create: false)
            return Workload(
                prepare: { writer[1] = $0 % 100 }, operation: { _ in blackHole(reader[1]) },
                round: .dumpCycle(status: writer.status)
            )
        case .writeInt:
            let d = try filled(name)
            return Workload(operation: { d[1] = $0 % 100 }, round: .dumpCycle(status: d.status))
        case .write1KBString:
            let kilobyte = String(repeating: "x", count: 1024)
            let d = try UltraDict<Int, String>(name: name)
            d[1] = kilobyte
            try d.dump()
            return Workload(operation: { _ in d[1] = kilobyte }, round: .dumpCycle(status: d.status))
        case .delete:
            // The set and the delete records are both 10 bytes ([true, 1, 1] and [false, 1, nil]).
            let d = try filled(name)
            return Workload(prepare: { _ in d[1] = 1 }, operation: { _ in d[1] = nil }, round: .dumpCycle(status: d.status))
        case .withLockUncontended:
            let d = try filled(name)
            return Workload(operation: { _ in try d.withLock { _ in } }, round: .operations(1_000))
        case .lockedIncrement:
            // The locked counter's turn (issue 16), kept below 100 so that records keep one size.
            let d = try filled(name)
            return Workload(operation: { _ in try d.withLock { d in d[1] = (d[1, default: 0] + 1) % 100 } }, round: .dumpCycle(status: d.status))
        case .lockedIncrementCatchingUp:
            // The locked counter's turn as its processes take it, each after another's: two
            // handles increment in turn, so that every turn first applies the other's record.
            let first = try filled(name)
            let second = try UltraDict<Int, Int>(name: name, create: false)
            return Workload(
                operation: { index in
                    try (index % 2 == 0 ? first : second).withLock { d in d[1] = (d[1, default: 0] + 1) % 100 }
                },
                round: .dumpCycle(status: first.status)
            )
        case .fullDump10000Keys:
            let d = try filled(name)
            return Workload(operation: { _ in try d.dump() }, round: .operations(10))
        }
    }

    /// A new dictionary of 10,000 int keys, just dumped, so that its stream is empty.
    private func filled(_ name: String) throws -> UltraDict<Int, Int> {
        let d = try UltraDict<Int, Int>(name: name)
        try d.update(with: Dictionary(uniqueKeysWithValues: (0..<10_000).map { ($0, $0 % 100) }))
        try d.dump()
        return d
    }
}
