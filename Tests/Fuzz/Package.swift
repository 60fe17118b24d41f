// swift-tools-version: 6.1
import PackageDescription

// The libFuzzer executables of UltraDict, one per surface that reads untrusted bytes, and the
// tool that writes their seed corpus. Docs/FUZZING.md says how to build and run them: the
// executables need `--sanitize fuzzer --sanitize address`; MakeCorpus is built without.

/// The surfaces, as `FuzzSurface.name` spells them: `Fuzz<surface>` is an executable, and
/// `Corpus/<surface>` its corpus.
let surfaces = ["Framing", "ControlBlock", "UpdateLog", "MessagePack", "JSON", "PropertyList", "Pickle", "Redis"]

let fuzzing = Target.Dependency.product(name: "_UltraDictFuzzing", package: "UltraDict")

let package = Package(
    name: "UltraDictFuzz",
    dependencies: [.package(name: "UltraDict", path: "../..")],
    targets: surfaces.map { .executableTarget(name: "Fuzz\($0)", dependencies: [fuzzing]) }
        + [.executableTarget(name: "MakeCorpus", dependencies: [fuzzing])],
    swiftLanguageModes: [.v6]
)
