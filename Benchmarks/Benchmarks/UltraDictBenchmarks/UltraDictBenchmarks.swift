import Benchmark
import Foundation
import UltraDict
import UltraDictJSON
import UltraDictPropertyList

/// The suite of issue 7. Figures are per operation: `scaledIterations` runs 1,000 operations per
/// iteration unless a benchmark says otherwise. `bash compare-python.sh` puts the headline
/// figures beside Python UltraDict 0.0.6's.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal],
        timeUnits: .nanoseconds,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000
    )

    // MARK: Reads

    Benchmark("Read d[1], plain [Int: Int], 10,000 keys") { benchmark in
        let plain = Dictionary(uniqueKeysWithValues: (0..<10_000).map { ($0, $0) })
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(plain[1]) }
    }

    Benchmark("Read d[1], 10,000 keys, nothing pending") { benchmark in
        let d = try filled(10_000)
        defer { d.unlink() }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(d[1]) }
        benchmark.stopMeasurement()
    }

    Benchmark("Write in one handle, then read in another (the apply path)") { benchmark in
        let writer = try filled(10_000)
        defer { writer.unlink() }
        let reader = try UltraDict<Int, Int>(name: writer.name, create: false)
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            writer[1] = i
            blackHole(reader[1])
        }
        benchmark.stopMeasurement()
    }

    // MARK: Writes, per serializer and lock

    for (serializerName, serializer) in serializers {
        for lock in ["shared", "processLocal"] {
            let label = "\(serializerName), \(lock) lock"
            writeBenchmark("Write an int, \(label)", serializer: serializer, lock: lock) { $0 }
            writeBenchmark("Write a 1 KB string, \(label)", serializer: serializer, lock: lock) { _ in kilobyte }
            writeBenchmark("Write a small Codable struct, \(label)", serializer: serializer, lock: lock) {
                Reading(sensor: "t1", value: Double($0), ok: true)
            }
        }
    }

    Benchmark("Delete a present key, then set it again") { benchmark in
        let d = try filled(10_000)
        defer { d.unlink() }
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            d[i % 10_000] = nil
            d[i % 10_000] = i
        }
        benchmark.stopMeasurement()
    }

    // MARK: Full dumps and loads

    for size in [10_000, 1_000_000] {
        let configuration = Benchmark.Configuration(scalingFactor: .one, maxDuration: .seconds(10), maxIterations: 20)
        Benchmark("Full dump, \(size) keys", configuration: configuration) { benchmark in
            let d = try filled(size)
            defer { d.unlink() }
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations { try d.dump() }
            benchmark.stopMeasurement()
        }
        Benchmark("Load a full dump, \(size) keys", configuration: configuration) { benchmark in
            let d = try filled(size)
            defer { d.unlink() }
            try d.dump()
            let reader = try UltraDict<Int, Int>(name: d.name, create: false)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations { try reader.load(force: true) }
            benchmark.stopMeasurement()
        }
    }

    // MARK: Fresh keys as the dictionary grows

    for size in [1_000, 100_000, 1_000_000] {
        Benchmark(
            "Fresh-key write at \(size) keys",
            configuration: .init(scalingFactor: .kilo, maxDuration: .seconds(10), maxIterations: max(20, size / 1_000))
        ) { benchmark in
            let d = try filled(size)
            defer { d.unlink() }
            var next = size
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                d[next] = next
                next += 1
            }
            benchmark.stopMeasurement()
        }
    }

    // MARK: Between processes

    Benchmark(
        "4 processes × 25,000 locked increments (per run)",
        configuration: .init(timeUnits: .milliseconds, scalingFactor: .one, maxDuration: .seconds(10), maxIterations: 5)
    ) { benchmark in
        for _ in benchmark.scaledIterations {
            let counter = try UltraDict<String, Int>(name: uniqueName())
            defer { counter.unlink() }
            benchmark.startMeasurement()
            let workers = (0..<4).map { _ in
                forkWorker {
                    let d = try UltraDict<String, Int>(name: counter.name, create: false)
                    for _ in 0..<25_000 { try d.withLock { d in d["counter", default: 0] += 1 } }
                }
            }
            for worker in workers { wait(for: worker) }
            benchmark.stopMeasurement()
            precondition(counter["counter"] == 100_000, "the locked counter lost increments")
        }
    }

    Benchmark("A write seen by another process and answered (one round trip)") { benchmark in
        let d = try UltraDict<String, Int>(name: uniqueName())
        defer { d.unlink() }
        // The other process answers every "ping" with the same "pong", until "ping" is -1.
        let echo = forkWorker {
            let other = try UltraDict<String, Int>(name: d.name, create: false)
            var answered = 0
            while true {
                let ping = other["ping"] ?? 0
                if ping == -1 { return }
                if ping != answered {
                    other["pong"] = ping
                    answered = ping
                }
            }
        }
        var round = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            round += 1
            d["ping"] = round
            while d["pong"] != round {}
        }
        benchmark.stopMeasurement()
        d["ping"] = -1
        wait(for: echo)
    }

    Benchmark("withLock with an empty body, uncontended (acquire + release)") { benchmark in
        let d = try UltraDict<String, Int>(name: uniqueName())
        defer { d.unlink() }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { try d.withLock { _ in } }
        benchmark.stopMeasurement()
    }

    Benchmark(
        "Shared memory in use per byte of encoded snapshot (x100), 1,000,000 keys",
        configuration: .init(metrics: [.custom("shared memory / snapshot (x100)")], scalingFactor: .one, maxIterations: 1)
    ) { benchmark in
        let d = try filled(1_000_000)
        defer { d.unlink() }
        for i in 0..<1_000_000 { d[i] = i + 1 }
        let status = try d.status()
        let segments = [d.name, d.name + "_memory"] + (status.fullDumpName.map { [$0] } ?? [])
        let used = segments.reduce(0) { $0 + allocatedBytes(of: $1) }
        benchmark.measurement(.custom("shared memory / snapshot (x100)"), 100 * used / max(1, status.lastSnapshotSize))
    }
}

// MARK: - Helpers

let kilobyte = String(repeating: "x", count: 1024)

/// A small Codable value, as an application would store.
struct Reading: Codable {
    var sensor: String
    var value: Double
    var ok: Bool
}

/// The serializers every write benchmark runs with.
let serializers: [(String, any UltraDictSerializer)] = [
    ("msgpack", MessagePackSerializer()), ("json", JSONSerializer()), ("plist", PropertyListSerializer()),
]

func uniqueName() -> String { "udbench_\(UInt32.random(in: .min ... .max))" }

/// A dictionary of `size` int keys.
func filled(_ size: Int) throws -> UltraDict<Int, Int> {
    let d = try UltraDict<Int, Int>(name: uniqueName())
    try d.update(with: Dictionary(uniqueKeysWithValues: (0..<size).map { ($0, $0) }))
    return d
}

/// A benchmark of `d[1] = value(i)` with a serializer and a lock.
func writeBenchmark<Value: Codable>(_ name: String, serializer: any UltraDictSerializer, lock: String, value: @escaping @Sendable (Int) -> Value) {
    Benchmark(name) { benchmark in
        let d: UltraDict<Int, Value> = try open(serializer, lock: lock)
        defer { d.unlink() }
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations { d[1] = value(i) }
        benchmark.stopMeasurement()
    }
}

/// Opens a new dictionary with an existential serializer and a lock named by `lock`.
func open<Value: Codable, Serializer: UltraDictSerializer>(_ serializer: Serializer, lock: String) throws -> UltraDict<Int, Value> {
    lock == "shared"
        ? try UltraDict(name: uniqueName(), serializer: serializer, lock: SharedSpinLock.self)
        : try UltraDict(name: uniqueName(), serializer: serializer, lock: ProcessLocalLock.self)
}

/// Runs `body` in a forked child process, which exits with status 0 if it returns.
func forkWorker(_ body: () throws -> Void) -> pid_t {
    let pid = fork()
    precondition(pid >= 0, "fork failed")
    if pid == 0 { _exit((try? body()) == nil ? 1 : 0) }
    return pid
}

/// Waits for a forked worker and requires that it succeeded.
func wait(for pid: pid_t) {
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    precondition(status == 0, "a worker process failed")
}

/// Bytes of tmpfs pages a segment holds (not its size).
func allocatedBytes(of segment: String) -> Int {
    var info = stat()
    return stat("/dev/shm/" + segment, &info) == 0 ? Int(info.st_blocks) * 512 : 0
}

extension Duration {
    /// The duration in nanoseconds.
    var nanoseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1e9 + Double(attoseconds) / 1e9
    }
}
