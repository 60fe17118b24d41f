#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import UltraDict
import UltraDictRedis

/// `redis-change-latency URL [--writer-url URL] [--writer-namespace NS] [--name NAME]
/// [--writes N] [--interval-us U]`: the latency from a write in another process to `changes()`
/// in this one, of a dictionary on the Redis server at `URL`, with the writer on another host
/// when asked (`Benchmarks/redis_hosts.py` runs it so).
///
/// This process makes the dictionary through `URL` and consumes its `changes()`
/// (``ChangeLatency/measure(_:store:writer:)``). The writer, `latency-writer`, opens it through
/// `--writer-url` (`URL` by default: the server may have another address on the writer's link)
/// and runs inside the network namespace `--writer-namespace` when given (`ip netns exec`, as
/// root). It writes `--writes` values (``ChangeLatency/writes`` by default), each after a pause
/// of `--interval-us` µs (``ChangeLatency/interval``). Each value is the writer's
/// `CLOCK_MONOTONIC` reading just before its write, which the reader subtracts from its own on
/// receipt: network namespaces share the kernel and its clock, so the two readings agree.
///
/// Prints `NAME_p50_us` and `NAME_p99_us` lines (``ChangeLatency/report(_:_:)``; `NAME` is
/// `redis_change_latency` by default).
enum RedisChangeLatency {
    static let usage = "usage: BenchmarkWorker redis-change-latency URL [--writer-url URL] [--writer-namespace NS] [--name NAME] [--writes N] [--interval-us U]"

    /// Runs the measurement with the arguments after `redis-change-latency` and prints its figures.
    static func run(_ arguments: ArraySlice<String>) async throws {
        guard let url = arguments.first, !url.hasPrefix("--") else { throw BenchmarkFailure(usage) }
        var writer = ChangeLatency.Writer(storeArguments: ["--redis", url])
        var name = "redis_change_latency"
        var rest = arguments.dropFirst()
        while let option = rest.popFirst() {
            guard let value = rest.popFirst() else { throw BenchmarkFailure("\(option) needs a value; \(usage)") }
            switch option {
            case "--writer-url": writer.storeArguments = ["--redis", value]
            case "--writer-namespace": writer.namespace = value
            case "--name": name = value
            case "--writes":
                guard let writes = Int(value), writes > 0 else { throw BenchmarkFailure("--writes needs a positive number") }
                writer.writes = writes
            case "--interval-us":
                guard let interval = useconds_t(value) else { throw BenchmarkFailure("--interval-us needs a number of µs") }
                writer.interval = interval
            default: throw BenchmarkFailure(usage)
            }
        }
        let latencies = try await ChangeLatency.measure(.changes, store: try .redis(url), writer: writer)
        ChangeLatency.report(name, latencies)
    }
}
