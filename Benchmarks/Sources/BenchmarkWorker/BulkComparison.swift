import UltraDict

/// The bulk figures of `compare-python.sh`: building a 1,000,000-key dictionary with
/// `update(with:)` and attaching to it, each beside the floor it is held to (encoding the same
/// snapshot alone; msgpack-c unpacking the same dump into a plain `[Int: Int]`). Each figure is
/// the best of a few runs, in nanoseconds per whole operation.
enum BulkComparison {
    static let size = 1_000_000
    static let runs = 3

    static func run() throws {
        let entries = Dictionary(uniqueKeysWithValues: (0..<size).map { ($0, $0) })
        // (a) update(with:) into a new dictionary: a new one per run, timing only the update.
        var built: UltraDict<Int, Int>?
        PythonComparison.report("bulk_update_1000000", try best { time in
            built?.unlink()
            let fresh = try UltraDict<Int, Int>(name: PythonComparison.uniqueName())
            built = fresh
            try time { try fresh.update(with: entries) }
        })
        guard let d = built else { return }
        defer { d.unlink() }
        // One dump of the final state, so that attaching loads exactly the bytes that (d) unpacks.
        try d.dump()
        let snapshot = d.snapshot

        // (b) Encoding the same snapshot alone, as a dump encodes it.
        var dump: [UInt8] = []
        PythonComparison.report("bulk_encode_snapshot_1000000", try best { time in
            dump = []
            try time {
                try MessagePackSerializer().encodeSnapshot(count: snapshot.count, into: &dump) { entry in
                    for (key, value) in snapshot { try entry(.int(Int64(key)), .int(Int64(value))) }
                }
            }
        })

        // (c) Attaching a new handle until it has loaded the dump (closing it is not timed).
        PythonComparison.report("bulk_attach_1000000", try best { time in
            var attached: UltraDict<Int, Int>?
            try time { attached = try UltraDict<Int, Int>(name: d.name, create: false) }
            guard attached?.count == size else { throw UltraDictError(.invalidArgument, "attached \(attached?.count ?? 0) keys, not \(size)") }
        })

        // (d) msgpack-c unpacking the same bytes into a plain [Int: Int] with its capacity reserved.
        PythonComparison.report("bulk_msgpack_c_unpack_1000000", try best { time in
            var plain: [Int: Int] = [:]
            try time { plain = try MessagePackBaseline.unpack(dump) }
            guard plain.count == size else { throw UltraDictError(.invalidArgument, "unpacked \(plain.count) keys, not \(size)") }
        })
    }

    /// The shortest of ``runs`` timings; `body` does its setup, then times its operation with the
    /// function it is given.
    static func best(_ body: (_ time: (() throws -> Void) throws -> Void) throws -> Void) rethrows -> Double {
        var shortest = Double.infinity
        for _ in 0..<runs {
            try body { operation in
                let start = ContinuousClock.now
                try operation()
                shortest = min(shortest, (ContinuousClock.now - start).nanoseconds)
            }
        }
        return shortest
    }
}
