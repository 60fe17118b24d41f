// swift-tools-version: 6.1
import PackageDescription

// Benchmarks of UltraDict: `swift package benchmark` runs the suite on ordo-one/benchmark;
// `bash compare-python.sh` compares the headline figures with Python UltraDict 0.0.6;
// `bash instruction-counts.sh` counts the hot paths' instructions against a baseline.
let ultraDict = Target.Dependency.product(name: "UltraDict", package: "UltraDict")

let package = Package(
    name: "UltraDictBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "UltraDict", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // The suite, run by the benchmark plugin.
        .executableTarget(
            name: "UltraDictBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"), ultraDict,
                .product(name: "UltraDictJSON", package: "UltraDict"),
                .product(name: "UltraDictPropertyList", package: "UltraDict"),
            ],
            path: "Benchmarks/UltraDictBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The Swift side of compare-python.sh, msgpack-c for its baseline of loading a dump, and
        // hiredis for its baseline of a write to Redis.
        .executableTarget(
            name: "BenchmarkWorker",
            dependencies: [
                ultraDict, "CMsgPackBaseline", .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "UltraDictJSON", package: "UltraDict"), .product(name: "UltraDictPropertyList", package: "UltraDict"),
                .product(name: "UltraDictPickle", package: "UltraDict"), .product(name: "UltraDictRedis", package: "UltraDict"),
                "CHiredisBaseline",
            ]
        ),
        .systemLibrary(name: "CMsgPackBaseline", pkgConfig: "msgpack", providers: [.apt(["libmsgpack-dev"])]),
        // No pkgConfig: hiredis.pc's -D_FILE_OFFSET_BITS=64 makes SwiftPM warn on every build.
        .systemLibrary(name: "CHiredisBaseline", providers: [.apt(["libhiredis-dev"])]),
        // The executable that instruction-counts.sh runs under callgrind; no benchmark library,
        // so that it builds quickly.
        .executableTarget(name: "InstructionCounts", dependencies: [ultraDict]),
    ],
    swiftLanguageModes: [.v6]
)
