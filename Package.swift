// swift-tools-version: 6.1
import PackageDescription

// MARK: - External dependencies, named once

let swiftAtomics = Package.Dependency.package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0")
let atomics = Target.Dependency.product(name: "Atomics", package: "swift-atomics")

// MARK: - Package

let package = Package(
    name: "UltraDict",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "UltraDict", targets: ["UltraDict"]),
        .library(name: "UltraDictCore", targets: ["UltraDictCore"]),
        .library(name: "UltraDictMessagePack", targets: ["UltraDictMessagePack"]),
    ],
    dependencies: [swiftAtomics],
    targets: [
        // MARK: Core: protocols, the value model, errors; no libc, no I/O
        .target(name: "UltraDictCore"),

        // MARK: Platform: C shims, shared memory, locks
        .target(name: "CUltraDictShims"),
        .target(name: "UltraDictTransport", dependencies: ["UltraDictCore", "CUltraDictShims", atomics]),
        .target(name: "UltraDictConcurrency", dependencies: ["UltraDictCore", "UltraDictTransport", atomics]),

        // MARK: Serializers
        .systemLibrary(name: "CMsgPack", pkgConfig: "msgpack", providers: [.apt(["libmsgpack-dev"])]),
        .target(name: "UltraDictMessagePack", dependencies: ["UltraDictCore", "CMsgPack"]),

        // MARK: The dictionary
        .target(
            name: "UltraDict",
            dependencies: ["UltraDictCore", "UltraDictTransport", "UltraDictConcurrency", "UltraDictMessagePack", atomics]
        ),

        // MARK: Examples
        .executableTarget(name: "Simple", dependencies: ["UltraDict"], path: "Examples/Simple"),

        // MARK: Tests
        .executableTarget(name: "UltraDictTestHelper", dependencies: ["UltraDict"], path: "Tests/UltraDictTestHelper"),
        .testTarget(name: "UltraDictCoreTests", dependencies: ["UltraDictCore"]),
        .testTarget(name: "UltraDictTransportTests", dependencies: ["UltraDictTransport"]),
        .testTarget(name: "UltraDictConcurrencyTests", dependencies: ["UltraDictConcurrency", "UltraDictTransport"]),
        .testTarget(name: "UltraDictMessagePackTests", dependencies: ["UltraDictMessagePack"]),
        .testTarget(name: "UltraDictTests", dependencies: ["UltraDict"]),
        .testTarget(name: "MultiProcessTests", dependencies: ["UltraDict"]),
    ],
    swiftLanguageModes: [.v6]
)
