#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CHiredisBaseline
import Foundation
import Histogram
import UltraDict
import UltraDictRedis

/// `redis URL`: the dictionary on a Redis server (issue 17) against shared memory and raw hiredis:
///
/// - a read from the replica against the same read in shared memory (`redis_read`, `shm_read`);
/// - a write's p50 and p99 against a raw `XADD` of the same record bytes on one hiredis
///   connection, in turns (`redis_write_p50`, `hiredis_xadd_p50`, …);
/// - 4 processes (`redis-increment`) × 2,500 increments under `withLock` (`redis_locked_counter_4x2500`);
/// - the latency from a write in another process to `changes()` here (`redis_change_latency_p50_us`).
///
/// Prints `operation<TAB>value` lines (nanoseconds unless the name says otherwise).
enum RedisComparison {
    static let writes = 10_000

    static func run(_ arguments: ArraySlice<String>) async throws {
        guard let url = arguments.first else { throw BenchmarkFailure("usage: BenchmarkWorker redis URL") }
        let store = try UltraDictStore.redis(url)
        try compareReads(store)
        try compareWrites(store, url: try RedisURL(url))
        try lockedCounter(store, url: url)
        ChangeLatency.report("redis_change_latency", try await ChangeLatency.measure(.changes, store: store, writer: .init(storeArguments: ["--redis", url])))
    }

    /// `d[1]` on 1,000 keys, a million times, in shared memory and on Redis.
    private static func compareReads(_ store: UltraDictStore) throws {
        for (label, store) in [("shm_read", UltraDictStore.sharedMemory), ("redis_read", store)] {
            let d = try UltraDict<Int, Int>(name: PythonComparison.uniqueName(), configuration: UltraDictConfiguration(store: store))
            defer { d.unlink() }
            try d.update(with: Dictionary(uniqueKeysWithValues: (0..<1000).map { ($0, $0) }))
            _ = PythonComparison.nanoseconds(100_000) { _ in blackHole(d[1]) }  // warm-up
            PythonComparison.report(label, PythonComparison.nanoseconds(1_000_000) { _ in blackHole(d[1]) })
        }
    }

    /// ``writes`` writes of int keys and values, each timed, against as many raw `XADD`s of the
    /// same record on a hiredis connection of their own, in turns of ``turn`` each, so that both
    /// meet the same moods of the machine.
    private static func compareWrites(_ store: UltraDictStore, url: RedisURL) throws {
        let d = try UltraDict<Int, Int>(name: PythonComparison.uniqueName(), configuration: UltraDictConfiguration(store: store))
        defer { d.unlink() }
        var record: [UInt8] = []
        try d.configuration.serializer.encodeUpdate(.set(.int(999), .int(9999)), into: &record)
        let raw = try RawXADD(record, url: url, key: "{\(d.name)}:baseline")
        var ours = histogram()
        var theirs = histogram()
        for start in stride(from: 0, to: writes, by: turn) {
            for i in start..<start + turn {
                let begin = MonotonicClock.now()
                d[i % 1000] = i
                ours.record(MonotonicClock.now() - begin)
            }
            for _ in 0..<turn { theirs.record(try raw.timedRoundTrip()) }
        }
        for (label, figures) in [("redis_write", ours), ("hiredis_xadd", theirs)] {
            PythonComparison.report("\(label)_p50", Double(figures.valueAtPercentile(50)))
            PythonComparison.report("\(label)_p99", Double(figures.valueAtPercentile(99)))
        }
    }

    /// How many writes of each kind ``compareWrites(_:url:)`` makes in a row.
    static let turn = 500

    /// `XADD KEY * r RECORD` round trips on a hiredis connection of their own; the key is
    /// deleted when this is dropped.
    private final class RawXADD {
        let context: UnsafeMutablePointer<redisContext>
        let arguments: [[UInt8]]
        let key: String

        init(_ record: [UInt8], url: RedisURL, key: String) throws {
            guard case .tcp(let host, let port) = url.endpoint, let context = redisConnect(host, Int32(port)), context.pointee.err == 0 else {
                throw BenchmarkFailure("hiredis cannot connect to \(url)")
            }
            self.context = context
            self.key = key
            arguments = [Array("XADD".utf8), Array(key.utf8), Array("*".utf8), Array("r".utf8), record]
        }

        /// One round trip's nanoseconds.
        func timedRoundTrip() throws -> UInt64 {
            let start = MonotonicClock.now()
            guard let reply = command(context, arguments) else { throw BenchmarkFailure("XADD failed") }
            freeReplyObject(reply)
            return MonotonicClock.now() - start
        }

        deinit {
            if let reply = command(context, [Array("DEL".utf8), Array(key.utf8)]) { freeReplyObject(reply) }
            redisFree(context)
        }
    }

    /// `redisCommandArgv` with binary-safe arguments.
    private static func command(_ context: UnsafeMutablePointer<redisContext>, _ arguments: [[UInt8]]) -> UnsafeMutableRawPointer? {
        let pointers = arguments.map { bytes in
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, bytes.count))
            bytes.withUnsafeBytes { UnsafeMutableRawPointer(copy).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
            return copy
        }
        defer { pointers.forEach { $0.deallocate() } }
        var argv = pointers.map { UnsafePointer<CChar>?($0) }
        let lengths = arguments.map(\.count)
        return redisCommandArgv(context, Int32(arguments.count), &argv, lengths)
    }

    /// 4 processes × 2,500 increments of one counter under `withLock`.
    private static func lockedCounter(_ store: UltraDictStore, url: String) throws {
        let counter = try UltraDict<String, Int>(name: PythonComparison.uniqueName(), configuration: UltraDictConfiguration(store: store))
        defer { counter.unlink() }
        let start = ContinuousClock.now
        let workers = try (0..<4).map { _ in try Process.worker(["redis-increment", url, counter.name, "2500"]) }
        for worker in workers { try worker.run() }
        for worker in workers { worker.waitForExit() }
        let elapsed = ContinuousClock.now - start
        guard try counter.withLock({ $0["counter"] }) == 10_000 else {
            throw BenchmarkFailure("the Redis counter is \(counter["counter"] ?? 0), not 10000")
        }
        PythonComparison.report("redis_locked_counter_4x2500", elapsed.nanoseconds)
    }

    /// `redis-increment URL NAME TIMES`: one of those processes.
    static func increment(_ arguments: ArraySlice<String>) throws {
        let values = Array(arguments)
        let d = try UltraDict<String, Int>(name: values[1], create: false, configuration: UltraDictConfiguration(store: .redis(values[0])))
        for _ in 0..<Int(values[2])! {
            try d.withLock { d in d["counter", default: 0] += 1 }
        }
    }

    private static func histogram() -> Histogram<UInt64> {
        Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    }
}
