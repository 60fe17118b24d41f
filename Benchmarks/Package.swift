// swift-tools-version: 6.1
import PackageDescription

// Benchmarks of UltraDict, on ordo-one/benchmark: `swift package benchmark` in this folder.
let package = Package(
    name: "UltraDictBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "UltraDict", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "UltraDictBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "UltraDict", package: "UltraDict"),
            ],
            path: "Benchmarks/UltraDictBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
