#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Histogram
import UltraDict

/// `change-latency`: how long a change takes from a write in one process to a consumer in
/// another, and what a consumer costs while nothing changes; `changes()` against the 10 ms
/// polling that `ultradict watch` did before it.
///
/// A writer process (`latency-writer`) sets the key "t" to the `CLOCK_MONOTONIC` reading taken
/// just before each write, `count` times, every `interval` µs; the consumer records, for each
/// change it receives, the clock minus that value. The clock is the machine's, so the two
/// processes agree on it. The floor of these figures, measured first: a process woken through a
/// pipe by another, with no dictionary (``BareWake``). Idle cost: the consumer's process CPU time
/// over `idle` seconds with no writer.
enum ChangeLatency {
    /// Writes per measurement, and the pause before each: longer than the 10 ms poll, so that
    /// every change is seen on its own in both ways, and not a multiple of it.
    static let writes = 300
    static let interval: useconds_t = 12_000

    static func run(_ arguments: ArraySlice<String>) async throws {
        let idleSeconds = arguments.first.flatMap(Double.init) ?? 10
        report("change_latency_bare_wake", try BareWake.measure())
        for consumer in Consumer.allCases {
            report("change_latency_\(consumer.rawValue)", try await measure(consumer))
        }
        for idler in Idler.allCases {
            print("idle_cpu_\(idler.rawValue)_percent\t\(try await idleCPU(seconds: idleSeconds, idler))")
        }
    }

    /// `latency-writer NAME COUNT INTERVAL_US [--redis URL]`: the writer.
    static func write(_ arguments: ArraySlice<String>) throws {
        let values = Array(arguments)
        let store = values.count == 5 && values[3] == "--redis" ? try UltraDictStore.redis(values[4]) : .sharedMemory
        let d = try UltraDict<String, Int>(name: values[0], create: false, configuration: UltraDictConfiguration(store: store))
        for _ in 0..<Int(values[1])! {
            usleep(useconds_t(values[2])!)
            d["t"] = Int(MonotonicClock.now())
        }
    }

    /// Prints the p50 and p99 of `latencies` in µs, as `NAME_p50_us<TAB>X` and `NAME_p99_us<TAB>X`
    /// lines: the figures of every change-latency measurement (here, `redis`, `redis-change-latency`).
    static func report(_ name: String, _ latencies: Histogram<UInt64>) {
        for percentile in [50, 99] {
            print("\(name)_p\(percentile)_us\t\(micro(latencies.valueAtPercentile(Double(percentile))))")
        }
    }

    /// How ``measure(_:store:writer:)`` runs its writer process, `latency-writer`.
    struct Writer {
        /// How many writes it makes.
        var writes = ChangeLatency.writes
        /// The pause before each write, in µs: long enough that a change arrives before the
        /// next is written, so that changes do not queue.
        var interval = ChangeLatency.interval
        /// How it opens the dictionary, as `latency-writer` arguments: none for shared memory,
        /// `["--redis", URL]` for a Redis server (the URL by which the writer reaches it).
        var storeArguments: [String] = []
        /// The network namespace it runs in (`ip netns exec`), or nil for this process's.
        var namespace: String?
    }

    /// How the consumer learns of a change; the raw value names its figures.
    enum Consumer: String, CaseIterable {
        /// `for try await change in d.changes()`.
        case changes
        /// The same loop in a task that prefers the sequence's executor (its waiting thread).
        case changesOnItsExecutor = "changes_on_its_executor"
        /// `d.waitForChanges(timeout:)`, then a read.
        case wait = "wait_for_changes"
        /// A read every 10 ms, as `ultradict watch` did before.
        case polling = "polling_10ms"
    }

    /// The latencies of the changes that `writer` makes, received by `consumer`, of a dictionary
    /// that this process makes in `store`. Throws ``BenchmarkFailure`` when the writer exits and,
    /// a second later, not all its changes have arrived (it failed: nothing more will come), or,
    /// for polling, which can see two writes as one, fewer than nine in ten.
    static func measure(_ consumer: Consumer, store: UltraDictStore = .sharedMemory, writer options: Writer = Writer()) async throws -> Histogram<UInt64> {
        let d = try UltraDict<String, Int>(name: "bench_latency_\(getpid())", configuration: UltraDictConfiguration(store: store))
        defer { d.unlink() }
        let changes = d.changes()
        let executor = consumer == .changesOnItsExecutor ? changes.executor : nil
        let receiving = Task(executorPreference: executor) { try await receive(options.writes, by: consumer, of: d, changes: changes) }
        let writer = try Process.worker(["latency-writer", d.name, String(options.writes), String(options.interval)] + options.storeArguments,
                                        inNamespace: options.namespace)
        writer.terminationHandler = { _ in
            Task {
                try? await Task.sleep(for: .seconds(1))
                receiving.cancel()
            }
        }
        do {
            try writer.run()
        } catch {
            receiving.cancel()
            throw error
        }
        let latencies = try await receiving.value
        writer.waitForExit()
        // A poll that comes late (a loaded machine) can see two writes as one: polling may miss
        // a change, which is what polling costs; the others must see every one.
        guard latencies.totalCount == options.writes || consumer == .polling && latencies.totalCount > options.writes * 9 / 10 else {
            throw BenchmarkFailure("latency-writer exited with status \(writer.terminationStatus) after \(latencies.totalCount) of \(options.writes) changes")
        }
        return latencies
    }

    /// The latency of each change that `consumer` receives, until `count` have arrived or the
    /// task is cancelled.
    private static func receive(
        _ count: Int, by consumer: Consumer, of d: UltraDict<String, Int>, changes: UltraDictChanges<String, Int>
    ) async throws -> Histogram<UInt64> {
        var latencies = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        var last = 0
        /// Records the value of "t" if it is new.
        func receive(_ written: Int?) {
            guard let written, written != last else { return }
            latencies.record(MonotonicClock.now() - UInt64(written))
            last = written
        }
        switch consumer {
        case .changes, .changesOnItsExecutor:
            // Cancelling the task ends the sequence.
            for try await change in changes {
                guard case .set(_, let written) = change else { continue }
                receive(written)
                if latencies.totalCount == count { break }
            }
        case .wait:
            while latencies.totalCount < count, !Task.isCancelled {
                _ = try d.waitForChanges(timeout: .seconds(1))
                receive(d["t"])
            }
        case .polling:
            while latencies.totalCount < count, !Task.isCancelled {
                usleep(10_000)
                receive(d["t"])
            }
        }
        return latencies
    }

    /// What waits while nothing is written, for ``idleCPU(seconds:_:)``.
    enum Idler: String, CaseIterable {
        /// A `changes()` consumer.
        case changes
        /// A loop that reads every 10 ms.
        case polling10ms = "polling_10ms"
        /// A thread that only sleeps, 100 ms at a time, with no dictionary: the floor of any
        /// waiter that looks again every slice, set by what a wake costs on this machine.
        case bareSlices = "bare_slices"
    }

    /// The process's CPU time over `seconds` of waiting with nothing written, in percent. The
    /// consumer and the bare slices wait in tasks of their own while this one sleeps, so that
    /// both figures include what the process costs besides (its runtime's own wake-ups).
    private static func idleCPU(seconds: Double, _ idler: Idler) async throws -> String {
        let d = try UltraDict<String, Int>(name: "bench_idle_\(getpid())")
        defer { d.unlink() }
        if idler == .polling10ms {
            let start = ProcessCPUClock.seconds()
            let wall = ContinuousClock.now
            while ContinuousClock.now - wall < .seconds(seconds) {
                usleep(10_000)
                blackHole(d["t"])
            }
            return percent(ProcessCPUClock.seconds() - start, of: seconds)
        }
        let waiter: Task<Void, any Error>
        if idler == .changes {
            let changes = d.changes()
            waiter = Task { for try await _ in changes {} }
        } else {
            waiter = Task.detached { while !Task.isCancelled { usleep(100_000) } }  // blocks a pool thread: fine here
        }
        try await Task.sleep(for: .milliseconds(200))  // the waiting thread is asleep by now
        let start = ProcessCPUClock.seconds()
        try await Task.sleep(for: .seconds(seconds))
        let cpu = ProcessCPUClock.seconds() - start
        waiter.cancel()
        _ = await waiter.result
        return percent(cpu, of: seconds)
    }

    /// `cpu` seconds as a percentage of `seconds`, for the table.
    private static func percent(_ cpu: Double, of seconds: Double) -> String {
        String(format: "%.3f", 100 * cpu / seconds)
    }

    private static func micro(_ nanoseconds: UInt64) -> String { String(format: "%.1f", Double(nanoseconds) / 1000) }
}
