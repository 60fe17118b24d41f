import Foundation
import UltraDict

/// How fast the writer of the busy-writer benchmark writes.
enum WriteRate: Equatable {
    /// Evenly spaced writes, this many per second.
    case paced(perSecond: Int)
    /// Back-to-back writes, as fast as the writer can.
    case fullSpeed

    /// The rate as a command-line argument: the writes per second, or `full`.
    var argument: String {
        switch self {
        case .paced(let perSecond): String(perSecond)
        case .fullSpeed: "full"
        }
    }

    /// The rate that `argument` names, or `nil`.
    init?(argument: String) {
        if argument == "full" {
            self = .fullSpeed
        } else if let perSecond = Int(argument), perSecond > 0 {
            self = .paced(perSecond: perSecond)
        } else {
            return nil
        }
    }
}

/// The writer process of the busy-writer benchmark:
///
///     BenchmarkWorker paced-writer NAME RATE SECONDS [CPU]
///
/// attaches the `UltraDict<Int, Int>` NAME (pinned to CPU when given), prints `ready`, reads
/// its start time (a ``MonotonicClock`` reading) from its standard input, spins until then,
/// writes keys `0..<BusyWriterBenchmark.keyCount` in turn for SECONDS at RATE, and prints
/// `WRITES NANOSECONDS CPU_NANOSECONDS`: how many writes it made, in how long, with how much
/// CPU time.
enum PacedWriter {
    /// Runs the writer with the arguments after `paced-writer`.
    static func run(_ arguments: ArraySlice<String>) throws {
        let arguments = Array(arguments)
        guard arguments.count == 3 || arguments.count == 4, let rate = WriteRate(argument: arguments[1]),
              let seconds = Double(arguments[2]), seconds > 0 else {
            throw BenchmarkFailure("usage: BenchmarkWorker paced-writer NAME RATE|full SECONDS [CPU]")
        }
        if arguments.count == 4 {
            guard let cpu = Int(arguments[3]) else { throw BenchmarkFailure("CPU '\(arguments[3])' is not a number") }
            try CPUAffinity.pin(toCPU: cpu)
        }
        let d = try UltraDict<Int, Int>(name: arguments[0], create: false)
        say("ready")
        guard let line = readLine(), let start = UInt64(line) else {
            throw BenchmarkFailure("paced-writer: expected a start time on standard input")
        }
        let end = start + UInt64(seconds * 1e9)
        MonotonicClock.spin(until: start)
        let cpuStart = ThreadCPUClock.now()
        let writes = switch rate {
        case .paced(let perSecond): writePaced(d, perSecond: perSecond, until: end)
        case .fullSpeed: writeAtFullSpeed(d, until: end)
        }
        say("\(writes) \(MonotonicClock.now() - start) \(ThreadCPUClock.now() - cpuStart)")
    }

    /// Writes `line` to standard output at once (`print` would keep it in a buffer, the output being a pipe).
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Writes `perSecond` times a second until `end`, spinning on the clock between writes so
    /// that they are evenly spaced: write n starts at the first reading at or after its slot,
    /// one interval after the previous slot. A writer that falls more than an interval behind
    /// (preempted, or a write that took longer) does not catch up in a burst: it drops the slots
    /// it missed, so the rate it achieves can fall short of `perSecond` (the benchmark reports it).
    static func writePaced(_ d: UltraDict<Int, Int>, perSecond: Int, until end: UInt64) -> Int {
        let interval = 1e9 / Double(perSecond)
        var slot = Double(MonotonicClock.now())
        var writes = 0
        while true {
            let now = MonotonicClock.spin(until: UInt64(slot))
            if now >= end { return writes }
            d[writes % BusyWriterBenchmark.keyCount] = writes
            writes += 1
            slot = max(slot + interval, Double(now))
        }
    }

    /// Writes back to back until `end`, looking at the clock every 256 writes; returns the writes.
    static func writeAtFullSpeed(_ d: UltraDict<Int, Int>, until end: UInt64) -> Int {
        var writes = 0
        repeat {
            for _ in 0..<256 {
                d[writes % BusyWriterBenchmark.keyCount] = writes
                writes += 1
            }
        } while MonotonicClock.now() < end
        return writes
    }
}
