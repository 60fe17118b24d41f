#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import UltraDict

/// `locked-counter`: 4 processes (`increment`) × 25,000 increments of one counter under the
/// shared lock, at once: the wall time from their start to the last one's exit
/// (`locked_counter_4x25000`, as Python's is timed), the wall time from the start signal to the
/// last one's exit (`locked_counter_4x25000_counting`), and the CPU time that the four spent
/// counting per increment, which falls when waiters sleep instead of spinning.
///
/// Each process attaches the dictionary, says it is ready and waits for the start signal before
/// it counts, and measures the CPU time of its counting alone: a process's start (the dynamic
/// linker, this executable's own initialization: 10–13 ms of CPU each) is not an increment's, and
/// would otherwise be more than half of the CPU figure.
enum LockedCounter {
    static let processes = 4
    static let increments = 25_000

    static func run() throws {
        let counter = try UltraDict<String, Int>(name: PythonComparison.uniqueName())
        defer { counter.unlink() }
        let workers = try (0..<processes).map { _ in try Process.worker(["increment", counter.name, String(increments)]) }
        let outputs = workers.map { worker in
            let pipe = Pipe()
            worker.standardOutput = pipe
            return pipe
        }
        let started = ContinuousClock.now
        for worker in workers { try worker.run() }
        while counter["ready", default: 0] < processes { usleep(100) }
        let go = ContinuousClock.now
        counter["go"] = 1
        for worker in workers { worker.waitForExit() }
        let end = ContinuousClock.now
        let cpu = try outputs.reduce(0.0) { sum, pipe in
            let line = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            guard let seconds = Double(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw BenchmarkFailure("an increment process printed '\(line)', not its CPU time")
            }
            return sum + seconds
        }
        let total = processes * increments
        guard counter["counter"] == total else {
            throw BenchmarkFailure("counter is \(counter["counter"] ?? 0), not \(total)")
        }
        PythonComparison.report("locked_counter_4x25000", (end - started).nanoseconds)
        PythonComparison.report("locked_counter_4x25000_counting", (end - go).nanoseconds)
        PythonComparison.report("locked_counter_cpu_per_increment", cpu * 1e9 / Double(total))
    }

    /// `increment NAME TIMES`: one of the processes. Says it is ready, waits for "go", counts,
    /// and prints the CPU seconds its counting took.
    static func increment(_ arguments: ArraySlice<String>) throws {
        let values = Array(arguments)
        guard values.count == 2, let times = Int(values[1]), times >= 0 else {
            throw BenchmarkFailure("usage: BenchmarkWorker increment NAME TIMES")
        }
        let d = try UltraDict<String, Int>(name: values[0], create: false)
        try d.withLock { d in d["ready", default: 0] += 1 }
        while d["go"] == nil { usleep(50) }
        let before = ProcessCPUClock.seconds()
        for _ in 0..<times {
            try d.withLock { d in d["counter", default: 0] += 1 }
        }
        print(ProcessCPUClock.seconds() - before)
    }
}
