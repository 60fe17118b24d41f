import Foundation
import UltraDict

/// The Swift side of `compare-python.sh`: the same operations as its Python script, each timed
/// over enough repetitions, printed as `operation<TAB>nanoseconds per operation`.
enum PythonComparison {
    static func run() throws {
        let keys = 10_000
        let plain = Dictionary(uniqueKeysWithValues: (0..<keys).map { ($0, $0) })
        report("read_plain", nanoseconds(1_000_000) { _ in blackHole(plain[1]) })

        let d = try UltraDict<Int, Int>(name: uniqueName())
        defer { d.unlink() }
        try d.update(with: plain)
        report("read", nanoseconds(1_000_000) { _ in blackHole(d[1]) })
        report("write_int", nanoseconds(300_000) { i in d[1] = i })

        let strings = try UltraDict<Int, String>(name: uniqueName())
        defer { strings.unlink() }
        let kilobyte = String(repeating: "x", count: 1024)
        report("write_1kb_string", nanoseconds(100_000) { _ in strings[1] = kilobyte })

        for size in [1_000, 100_000, 1_000_000] {
            let fresh = try UltraDict<Int, Int>(name: uniqueName())
            defer { fresh.unlink() }
            try fresh.update(with: Dictionary(uniqueKeysWithValues: (0..<size).map { ($0, $0) }))
            // As many fresh keys as the dictionary holds (at least 20,000, as the Python side
            // writes): the stream then fills at least once, so dumps are part of the cost.
            let writes = max(20_000, size)
            report("fresh_key_write_\(size)", nanoseconds(writes) { i in fresh[size + i] = i })
            if size == 1_000_000 { try reportSharedMemory(of: fresh) }
            // The same inserts into a plain dictionary: what the hash table alone costs at that size.
            var plain = Dictionary(uniqueKeysWithValues: (0..<size).map { ($0, $0) })
            report("fresh_key_write_plain_\(size)", nanoseconds(writes) { i in plain[size + i] = i })
            blackHole(plain.count)
        }

        try LockedCounter.run()
    }

    /// Memory that the dictionary's segments hold (pages touched, not sizes), per byte of the
    /// last encoded snapshot.
    static func reportSharedMemory(of d: UltraDict<Int, Int>) throws {
        let status = try d.status()
        let segments = [d.name, d.name + "_memory"] + (status.fullDumpName.map { [$0] } ?? [])
        let allocated = segments.reduce(0) { total, segment in
            var info = stat()
            return total + (stat("/dev/shm/" + segment, &info) == 0 ? Int(info.st_blocks) * 512 : 0)
        }
        print("shared_memory_bytes\t\(allocated)")
        print("snapshot_bytes\t\(status.lastSnapshotSize)")
        report("shared_memory_per_snapshot_byte", Double(allocated) / Double(max(1, status.lastSnapshotSize)))
    }

    static func nanoseconds(_ count: Int, _ body: (Int) throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        for i in 0..<count { try body(i) }
        return (ContinuousClock.now - start).nanoseconds / Double(count)
    }

    static func report(_ operation: String, _ nanoseconds: Double) {
        print("\(operation)\t\(String(format: "%.1f", nanoseconds))")
    }

    static func uniqueName() -> String { "udcompare_\(UInt32.random(in: .min ... .max))" }
}

extension Duration {
    /// The duration in nanoseconds, as a `Double`.
    var nanoseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1e9 + Double(attoseconds) / 1e9
    }
}

/// Keeps a value alive so that the optimizer cannot drop the work that made it.
@inline(never)
func blackHole<T>(_ value: T) {}
