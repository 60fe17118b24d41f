#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Histogram

/// The floor of every change latency on this machine: one process waking another that sleeps in
/// the kernel, with no dictionary and nothing else. The writer (`wake-writer`) writes the
/// `CLOCK_MONOTONIC` reading to a pipe at the same pace as `latency-writer` writes changes; this
/// process blocks in `read(2)` and records the clock minus that reading.
enum BareWake {
    /// The latencies of ``ChangeLatency/writes`` wakes through a pipe, spaced as the changes are.
    static func measure() throws -> Histogram<UInt64> {
        let pipe = Pipe()
        let writer = try Process.worker(["wake-writer", String(ChangeLatency.writes), String(ChangeLatency.interval)])
        writer.standardOutput = pipe
        try writer.run()
        defer { writer.waitForExit() }
        let input = pipe.fileHandleForReading.fileDescriptor
        var latencies = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        var written: UInt64 = 0
        while latencies.totalCount < ChangeLatency.writes {
            guard read(input, &written, MemoryLayout<UInt64>.size) == MemoryLayout<UInt64>.size else {
                throw BenchmarkFailure("wake-writer stopped after \(latencies.totalCount) of \(ChangeLatency.writes) wakes")
            }
            latencies.record(MonotonicClock.now() - written)
        }
        return latencies
    }

    /// `wake-writer COUNT INTERVAL_US`: the writer, on its standard output.
    static func writer(_ arguments: ArraySlice<String>) throws {
        let values = Array(arguments)
        guard values.count == 2, let count = Int(values[0]), let interval = useconds_t(values[1]) else {
            throw BenchmarkFailure("usage: BenchmarkWorker wake-writer COUNT INTERVAL_US")
        }
        for _ in 0..<count {
            usleep(interval)
            var now = MonotonicClock.now()
            guard write(STDOUT_FILENO, &now, MemoryLayout<UInt64>.size) == MemoryLayout<UInt64>.size else {
                throw BenchmarkFailure("wake-writer: the pipe is closed")
            }
        }
    }
}
