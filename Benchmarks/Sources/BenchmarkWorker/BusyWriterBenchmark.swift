import Foundation
import Histogram
import UltraDict

/// Reads under a busy writer (issue 14, item 2): this process reads an `UltraDict<Int, Int>` of
/// ``keyCount`` keys in a loop, timing each read, while another process (``PacedWriter``) writes
/// to it at a paced rate; one row per rate, with the reads done, percentiles of the read time,
/// and the rate the writer achieved.
///
///     BenchmarkWorker busy-writer [--seconds S] [--pin]
///
/// What is timed: one `d[key]` (keys `0..<keyCount` in turn), between two ``MonotonicClock``
/// readings; the median cost of a pair of readings with nothing between them is subtracted from
/// each figure (floored at 0), so that a figure is the read's own cost, as in the table.
///
/// Pinning: by default neither process is pinned, and the scheduler places them on the
/// machine's CPUs; `--pin` puts the reader on CPU 0 and the writer on CPU 1. On the 2-core
/// machine the table in `Docs/PERFORMANCE.md` comes from, pinning changed no figure beyond the
/// noise between runs, and it makes a pinned process wait for any other work (a build) placed
/// on its CPU, so the default leaves both unpinned: "one process writing, another reading",
/// as a user's processes would run.
enum BusyWriterBenchmark {
    /// The keys of the dictionary, which both the reader and the writer go through in turn.
    static let keyCount = 1_000
    /// The writer's rates, one row each; `nil` is the row without a writer.
    static let rates: [WriteRate?] = [nil, .paced(perSecond: 1_000_000), .paced(perSecond: 3_000_000), .fullSpeed]
    /// Time between telling the writer when to start and the start: enough for it to wake up.
    static let startDelay: UInt64 = 20_000_000

    /// Runs the benchmark with the arguments after `busy-writer` and prints its table.
    static func run(_ arguments: ArraySlice<String>) throws {
        var seconds = 2.0
        var pinned = false
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--pin": pinned = true
            case "--seconds":
                guard let value = rest.popFirst().flatMap(Double.init), value > 0 else {
                    throw BenchmarkFailure("--seconds needs a positive number")
                }
                seconds = value
            default: throw BenchmarkFailure("usage: BenchmarkWorker busy-writer [--seconds S] [--pin]")
            }
        }
        if pinned { try CPUAffinity.pin(toCPU: 0) }
        let clockCost = MonotonicClock.pairCost()
        print("# Reads of UltraDict<Int, Int> (\(keyCount) keys) in this process while another process writes, \(seconds) s per row;")
        print("# " + (pinned ? "reader pinned to CPU 0, writer to CPU 1" : "reader and writer unpinned")
            + "; a clock pair's \(clockCost) ns is subtracted from each read")
        print(Table.row(["writer", "writes/s", "writer_cpu", "reads", "reader_cpu", "p50_ns", "p99_ns", "p99.9_ns", "max_ns"]))
        for rate in rates {
            try measure(rate, seconds: seconds, writerCPU: pinned ? 1 : nil, clockCost: clockCost)
        }
    }

    /// Reads for `seconds` under a writer at `rate` (none when `nil`) on a fresh dictionary,
    /// and prints the row.
    static func measure(_ rate: WriteRate?, seconds: Double, writerCPU: Int?, clockCost: UInt64) throws {
        let d = try UltraDict<Int, Int>(name: PythonComparison.uniqueName())
        // Runs after the writer has exited (``readUnderWriter`` waits for it, even when it
        // throws), so that no dump the writer makes outlives the dictionary.
        defer { d.unlink() }
        try d.update(with: Dictionary(uniqueKeysWithValues: (0..<keyCount).map { ($0, $0) }))
        let (reads, written) = try readUnderWriter(d, rate: rate, seconds: seconds, writerCPU: writerCPU, clockCost: clockCost)
        print(Table.row([
            rate.map { $0 == .fullSpeed ? "full" : "\($0.argument)/s" } ?? "none",
            String(Int((written?.writesPerSecond ?? 0).rounded())),
            written.map { percent($0.cpuShare) } ?? "-",
            String(reads.times.totalCount),
            percent(reads.cpuShare),
            String(reads.times.valueAtPercentile(50)),
            String(reads.times.valueAtPercentile(99)),
            String(reads.times.valueAtPercentile(99.9)),
            String(reads.times.max),
        ]))
    }

    /// Starts a writer of `d` at `rate` (none when `nil`), times reads of `d` for `seconds` while
    /// it writes, and returns both sides' figures once the writer has exited.
    static func readUnderWriter(
        _ d: UltraDict<Int, Int>, rate: WriteRate?, seconds: Double, writerCPU: Int?, clockCost: UInt64
    ) throws -> (ReadFigures, WriterProcess.Report?) {
        let writer = try rate.map { try WriterProcess(dictionary: d.name, rate: $0, seconds: seconds, cpu: writerCPU) }
        let start = MonotonicClock.now() + startDelay
        try writer?.start(at: start)
        let reads = timeReads(of: d, from: start, until: start + UInt64(seconds * 1e9), clockCost: clockCost)
        let written = try writer?.finish()
        if let error = d.lastReadError { throw BenchmarkFailure("a read failed: \(error)") }
        return (reads, written)
    }

    /// What the reader measured: the read times in nanoseconds, and the share of the time it had a CPU.
    struct ReadFigures {
        /// The time of each read, less the clock's own cost.
        var times: Histogram<UInt64>
        /// The reader's CPU time over the wall time it read for.
        var cpuShare: Double
    }

    /// Reads keys `0..<keyCount` in turn from `start` until `end`, each timed between two clock
    /// readings less `clockCost`.
    static func timeReads(of d: UltraDict<Int, Int>, from start: UInt64, until end: UInt64, clockCost: UInt64) -> ReadFigures {
        var times = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        var key = 0
        MonotonicClock.spin(until: start)
        let cpuStart = ThreadCPUClock.now()
        while true {
            let before = MonotonicClock.now()
            blackHole(d[key])
            let after = MonotonicClock.now()
            let elapsed = after - before
            times.record(elapsed > clockCost ? elapsed - clockCost : 0)
            key = key + 1 == keyCount ? 0 : key + 1
            if after >= end { return ReadFigures(times: times, cpuShare: Double(ThreadCPUClock.now() - cpuStart) / Double(after - start)) }
        }
    }

    /// `share` (0...1) as a whole percentage: `97%`.
    static func percent(_ share: Double) -> String { "\(Int((share * 100).rounded()))%" }
}
