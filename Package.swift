// swift-tools-version: 6.1
import PackageDescription

// MARK: - External dependencies, named once

let swiftAtomics = Package.Dependency.package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0")
let atomics = Target.Dependency.product(name: "Atomics", package: "swift-atomics")
let swiftLog = Package.Dependency.package(url: "https://github.com/apple/swift-log.git", from: "1.16.2")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let swiftArgumentParser = Package.Dependency.package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2")
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
// Only for `swift package generate-documentation`; no target depends on it.
let swiftDocCPlugin = Package.Dependency.package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0")

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
        .library(name: "UltraDictPickle", targets: ["UltraDictPickle"]),
        .library(name: "UltraDictRedis", targets: ["UltraDictRedis"]),
        .library(name: "UltraDictTesting", targets: ["UltraDictTesting"]),
        // Not API (leading underscore): the fuzz targets' entry points, for the package in Tests/Fuzz.
        .library(name: "_UltraDictFuzzing", targets: ["_UltraDictFuzzing"]),
        .executable(name: "ultradict", targets: ["ultradict"]),
        .plugin(name: "UltraDictCommand", targets: ["UltraDictCommand"]),
    ],
    dependencies: [swiftAtomics, swiftLog, swiftArgumentParser, swiftDocCPlugin],
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
        // Pure Swift: Python's pickle, read without running anything.
        .target(name: "UltraDictPickle", dependencies: ["UltraDictCore"]),
        // Not API (leading underscore): the serializers by identifier, for the tool and the tests.
        .target(
            name: "_UltraDictSerializerRegistry",
            dependencies: ["UltraDictCore", "UltraDictMessagePack", "UltraDictJSON", "UltraDictPropertyList", "UltraDictPickle", argumentParser],
            path: "Sources/UltraDictSerializerRegistry"
        ),

        // MARK: The dictionary
        .target(
            name: "UltraDict",
            dependencies: ["UltraDictCore", "UltraDictTransport", "UltraDictConcurrency", "UltraDictMessagePack", "CUltraDictShims", atomics, logging]
        ),

        // MARK: Redis: the dictionary beyond one host, on hiredis (opt-in: only its users link hiredis)
        // No `pkgConfig: "hiredis"`: hiredis.pc's Cflags carry -D_FILE_OFFSET_BITS=64, which SwiftPM
        // drops with a warning on every build. The headers are in the compiler's default path
        // (/usr/include/hiredis on Debian), and the module map links the library.
        .systemLibrary(name: "CHiredis", providers: [.apt(["libhiredis-dev"])]),
        .target(name: "UltraDictRedis", dependencies: ["UltraDict", "UltraDictCore", "UltraDictTransport", "UltraDictConcurrency", "CHiredis", atomics]),

        // The conformance checks that serializer and lock authors run from their own tests.
        .target(name: "UltraDictTesting", dependencies: ["UltraDictCore", "UltraDictConcurrency", "UltraDictTransport", atomics]),

        // MARK: Tools: the command-line tool, and the plugin that runs it as `swift package ultradict`
        .executableTarget(
            name: "ultradict",
            dependencies: ["UltraDict", "UltraDictTransport", "UltraDictPickle", "UltraDictRedis", "_UltraDictSerializerRegistry", argumentParser]
        ),
        .plugin(
            name: "UltraDictCommand",
            capability: .command(intent: .custom(verb: "ultradict", description: "Inspect, edit and clean up shared dictionaries")),
            dependencies: ["ultradict"]
        ),

        // MARK: Examples
        .executableTarget(name: "Simple", dependencies: ["UltraDict"], path: "Examples/Simple"),
        .executableTarget(name: "DynamicMember", dependencies: ["UltraDict"], path: "Examples/DynamicMember"),
        .executableTarget(name: "CustomSerializer", dependencies: ["UltraDict"], path: "Examples/CustomSerializer"),
        .executableTarget(
            name: "TwoLanguages", dependencies: ["UltraDict", "UltraDictPickle"], path: "Examples/TwoLanguages",
            exclude: ["two_languages.py", "python_defaults.py"]
        ),
        .executableTarget(name: "Parallel", dependencies: ["UltraDict"], path: "Examples/Parallel"),
        .executableTarget(name: "RecoverFromStaleLock", dependencies: ["UltraDict"], path: "Examples/RecoverFromStaleLock"),
        .executableTarget(name: "Nested", dependencies: ["UltraDict"], path: "Examples/Nested"),
        .executableTarget(name: "Durable", dependencies: ["UltraDict"], path: "Examples/Durable"),
        .executableTarget(name: "Changes", dependencies: ["UltraDict"], path: "Examples/Changes"),
        .executableTarget(name: "BeyondOneHost", dependencies: ["UltraDict", "UltraDictRedis"], path: "Examples/BeyondOneHost"),

        // MARK: Tests
        .executableTarget(
            name: "UltraDictTestHelper", dependencies: ["UltraDict", "UltraDictTransport", "UltraDictRedis", "_UltraDictSerializerRegistry"], path: "Tests/UltraDictTestHelper"
        ),
        // The soak test: briefly in CI, for minutes by hand (Docs/RELIABILITY.md).
        .executableTarget(
            name: "UltraDictSoak",
            dependencies: ["UltraDict", "UltraDictTransport", "UltraDictPickle", "_UltraDictSerializerRegistry", argumentParser],
            path: "Tests/UltraDictSoak"
        ),
        // Not API (leading underscore): the helpers that the test targets share.
        .target(name: "_UltraDictTestSupport", dependencies: ["UltraDictCore"], path: "Tests/UltraDictTestSupport"),
        .testTarget(name: "UltraDictCoreTests", dependencies: ["UltraDictCore"]),
        .testTarget(name: "UltraDictTransportTests", dependencies: ["UltraDictTransport", "_UltraDictTestSupport"]),
        .testTarget(name: "UltraDictConcurrencyTests", dependencies: ["UltraDictConcurrency", "UltraDictTransport", "_UltraDictTestSupport"]),
        .testTarget(name: "UltraDictMessagePackTests", dependencies: ["UltraDictMessagePack", "UltraDictTesting"]),
        .testTarget(name: "UltraDictJSONTests", dependencies: ["UltraDictJSON", "UltraDictTesting"]),
        .testTarget(name: "UltraDictPropertyListTests", dependencies: ["UltraDictPropertyList", "UltraDictTesting"]),
        .testTarget(name: "UltraDictPickleTests", dependencies: ["UltraDictPickle", "UltraDictTesting"]),
        .testTarget(
            name: "UltraDictTestingTests",
            dependencies: ["UltraDictTesting", "UltraDict", "UltraDictMessagePack", "UltraDictJSON", "UltraDictPropertyList", "CustomSerializer", "_UltraDictTestSupport", atomics]
        ),
        .testTarget(name: "UltraDictTests", dependencies: ["UltraDict", "UltraDictPickle", "_UltraDictTestSupport"]),
        // Starts redis-server processes of its own (`bash .ci/install-deps` installs it).
        .testTarget(name: "UltraDictRedisTests", dependencies: ["UltraDictRedis", "UltraDict", "CHiredis", "_UltraDictTestSupport"]),
        // The entry points and seeds of the fuzz targets (Docs/FUZZING.md), and the test that replays their corpus.
        .target(
            name: "_UltraDictFuzzing",
            dependencies: ["UltraDictTransport", "UltraDictMessagePack", "UltraDictJSON", "UltraDictPropertyList", "UltraDictPickle", "UltraDictRedis"],
            path: "Tests/UltraDictFuzzing"
        ),
        .testTarget(name: "UltraDictFuzzingTests", dependencies: ["_UltraDictFuzzing"]),
        .testTarget(
            name: "MultiProcessTests",
            dependencies: ["UltraDict", "UltraDictTransport", "UltraDictJSON", "UltraDictPropertyList", "UltraDictPickle", "UltraDictRedis", "_UltraDictSerializerRegistry", "_UltraDictTestSupport"]
        ),
        // Needs the Python side in .venv (`bash .ci/install-deps`); its scripts are in Python/.
        .testTarget(
            name: "InteropTests", dependencies: ["UltraDict", "UltraDictTransport", "UltraDictJSON", "UltraDictPickle", "_UltraDictTestSupport"],
            exclude: ["Python"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
