import Foundation
import UltraDict

/// Int writes to each store: POSIX shared memory, and the file store in each durability setting
/// (issue 15):
///
///     BenchmarkWorker store-writes [DIRECTORY]
///
/// One handle writes ``writes`` records of an `UltraDict<Int, Int>` with 1,000 keys, in each of
/// ``rounds`` rounds after a warm-up round, and the median nanoseconds per write are printed
/// beside the ratio to shared memory. The file store's directory is a fresh one under DIRECTORY
/// (the temporary directory by default; it must be on a disk for `synchronous` to mean anything),
/// removed afterwards.
enum StoreWrites {
    /// Measured rounds, after one warm-up round.
    static let rounds = 5

    static func run(_ arguments: ArraySlice<String>) throws {
        let parent = arguments.first.map(URL.init(fileURLWithPath:)) ?? FileManager.default.temporaryDirectory
        let directory = parent.appendingPathComponent("ultradict_store_writes_\(UInt32.random(in: .min ... .max))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let stores: [(String, UltraDictStore, Int)] = [
            ("sharedMemory", .sharedMemory, 200_000),
            ("files.buffered", .files(in: directory, durability: .buffered), 200_000),
            ("files.synchronous", .files(in: directory, durability: .synchronous), 2_000),
        ]
        print("# UltraDict<Int, Int> with \(BusyWriterBenchmark.keyCount) keys: int writes, median of \(rounds) rounds; files in \(directory)")
        print(Table.row(["store", "writes", "write_ns", "writes/s", "ratio"]))
        var baseline: Double?
        for (label, store, writes) in stores {
            let nanoseconds = try measure(store: store, writes: writes)
            baseline = baseline ?? nanoseconds
            print(Table.row([
                label, String(writes), String(format: "%.1f", nanoseconds), String(Int(1e9 / nanoseconds)),
                String(format: "%.2f", nanoseconds / baseline!),
            ]))
        }
    }

    /// Median nanoseconds per write of `writes` writes to a new dictionary in `store`.
    static func measure(store: UltraDictStore, writes: Int) throws -> Double {
        let d = try UltraDict<Int, Int>(name: PythonComparison.uniqueName(), create: true, configuration: UltraDictConfiguration(store: store))
        defer { d.unlink() }
        let perWrite = try (0...rounds).map { _ in
            let start = MonotonicClock.now()
            for write in 0..<writes { try d.updateValue(write, forKey: write % BusyWriterBenchmark.keyCount) }
            return Double(MonotonicClock.now() - start) / Double(writes)
        }.dropFirst()
        return ApplyVersusWrite.median(Array(perWrite))
    }
}
