import Benchmark
import UltraDict

/// Benchmarks print ns per operation (`scaledIterations` of 1,000 operations each).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal],
        timeUnits: .nanoseconds,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000
    )

    /// A dictionary of 10,000 int keys, as in Python UltraDict's README comparison.
    func tenThousandKeys() throws -> UltraDict<Int, Int> {
        let d = try UltraDict<Int, Int>(name: "udbench_\(UInt32.random(in: .min ... .max))")
        try d.update(with: Dictionary(uniqueKeysWithValues: (0..<10_000).map { ($0, $0) }))
        return d
    }

    Benchmark("Read d[1], plain [Int: Int], 10,000 keys") { benchmark in
        let plain = Dictionary(uniqueKeysWithValues: (0..<10_000).map { ($0, $0) })
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(plain[1]) }
    }

    Benchmark("Read d[1], UltraDict, 10,000 keys, nothing pending") { benchmark in
        let d = try tenThousandKeys()
        defer { d.unlink() }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(d[1]) }
        benchmark.stopMeasurement()
    }

    Benchmark("Write d[1] = i, UltraDict, shared lock, MessagePack") { benchmark in
        let d = try tenThousandKeys()
        defer { d.unlink() }
        var value = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            value &+= 1
            d[1] = value
        }
        benchmark.stopMeasurement()
    }
}
