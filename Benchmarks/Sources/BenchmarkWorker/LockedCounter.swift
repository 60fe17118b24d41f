#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import UltraDict

/// `locked-counter`: 4 processes (`increment`) × 25,000 increments of one counter under the
/// shared lock, at once: the wall time, and the CPU time all four spent per increment, which
/// falls when waiters sleep instead of spinning.
enum LockedCounter {
    static let processes = 4
    static let increments = 25_000

    static func run() throws {
        let counter = try UltraDict<String, Int>(name: PythonComparison.uniqueName())
        defer { counter.unlink() }
        let cpuBefore = childrenCPU()
        let start = ContinuousClock.now
        let workers = try (0..<processes).map { _ in try Process.worker(["increment", counter.name, String(increments)]) }
        for worker in workers { try worker.run() }
        for worker in workers { worker.waitForExit() }
        let elapsed = ContinuousClock.now - start
        let cpu = childrenCPU() - cpuBefore
        let total = processes * increments
        guard counter["counter"] == total else {
            throw UltraDictError(.invalidArgument, "counter is \(counter["counter"] ?? 0), not \(total)")
        }
        PythonComparison.report("locked_counter_4x25000", elapsed.nanoseconds)
        PythonComparison.report("locked_counter_cpu_per_increment", cpu * 1e9 / Double(total))
    }

    /// The user and system CPU time of this process's waited-for children so far, in seconds.
    private static func childrenCPU() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
