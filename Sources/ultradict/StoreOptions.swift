import ArgumentParser
import UltraDict

/// `--directory DIR`, which every command takes: where the dictionary's segments live.
struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Use the dictionaries stored as files in this directory (UltraDictStore.files) instead of POSIX shared memory.",
        discussion: "Writes through the tool wait until they are on disk (durability: synchronous).",
        valueName: "dir"
    ))
    var directory: String?

    /// The store that the options name.
    var store: UltraDictStore {
        directory.map { .files(in: $0, durability: .synchronous) } ?? .sharedMemory
    }
}
