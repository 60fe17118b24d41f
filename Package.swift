// swift-tools-version: 6.1
import PackageDescription

// MARK: - External dependencies, named once

let swiftAtomics = Package.Dependency.package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0")
let atomics = Target.Dependency.product(name: "Atomics", package: "swift-atomics")
let swiftLog = Package.Dependency.package(url: "https://github.com/apple/swift-log.git", from: "1.16.2")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")

// MARK: - Package

let package = Package(
    name: "UltraDict",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "UltraDict", targets: ["UltraDict"]),
        .library(name: "UltraDictCore", targets: ["UltraDictCore"]),
        .library(name: "UltraDictMessagePack", targets: ["UltraDictMessagePack"]),
        .library(name: "UltraDictJSON", targets: ["UltraDictJSON"]),
        .library(name: "UltraDictPropertyList", targets: ["UltraDictPropertyList"]),
        .library(name: "UltraDictTesting", targets: ["UltraDictTesting"]),
    ],
    dependencies: [swiftAtomics, swiftLog],
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
        .systemLibrary(name: "CJSONC", pkgConfig: "json-c", providers: [.apt(["libjson-c-dev"])]),
        .target(name: "UltraDictJSON", dependencies: ["UltraDictCore", "CJSONC"]),
        .target(name: "UltraDictPropertyList", dependencies: ["UltraDictCore"]),
        // The conformance check that serializer authors run from their own tests.
        .target(name: "UltraDictTesting", dependencies: ["UltraDictCore"]),

        // MARK: The dictionary
        .target(
            name: "UltraDict",
            dependencies: ["UltraDictCore", "UltraDictTransport", "UltraDictConcurrency", "UltraDictMessagePack", atomics, logging]
        ),

        // MARK: Examples
        .executableTarget(name: "Simple", dependencies: ["UltraDict"], path: "Examples/Simple"),
        .executableTarget(name: "CustomSerializer", dependencies: ["UltraDict"], path: "Examples/CustomSerializer"),

        // MARK: Tests
        .executableTarget(
            name: "UltraDictTestHelper", dependencies: ["UltraDict", "UltraDictJSON", "UltraDictPropertyList"], path: "Tests/UltraDictTestHelper"
        ),
        .testTarget(name: "UltraDictCoreTests", dependencies: ["UltraDictCore"]),
        .testTarget(name: "UltraDictTransportTests", dependencies: ["UltraDictTransport"]),
        .testTarget(name: "UltraDictConcurrencyTests", dependencies: ["UltraDictConcurrency", "UltraDictTransport"]),
        .testTarget(name: "UltraDictMessagePackTests", dependencies: ["UltraDictMessagePack"]),
        .testTarget(name: "UltraDictJSONTests", dependencies: ["UltraDictJSON"]),
        .testTarget(name: "UltraDictPropertyListTests", dependencies: ["UltraDictPropertyList"]),
        .testTarget(
            name: "UltraDictTestingTests",
            dependencies: ["UltraDictTesting", "UltraDictMessagePack", "UltraDictJSON", "UltraDictPropertyList", "CustomSerializer"]
        ),
        .testTarget(name: "UltraDictTests", dependencies: ["UltraDict"]),
        .testTarget(name: "MultiProcessTests", dependencies: ["UltraDict", "UltraDictJSON", "UltraDictPropertyList"]),
    ],
    swiftLanguageModes: [.v6]
)
