import ArgumentParser
import UltraDict
import UltraDictRedis
import UltraDictTransport

/// `--directory DIR` or `--redis URL`, which every command takes: where the dictionaries live.
struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Use the dictionaries stored as files in this directory (UltraDictStore.files) instead of POSIX shared memory.",
        discussion: "Writes through the tool wait until they are on disk (durability: synchronous).",
        valueName: "dir"
    ))
    var directory: String?

    @Option(help: ArgumentHelp(
        "Use the dictionaries on this Redis server (UltraDictStore.redis) instead of POSIX shared memory.",
        discussion: """
            redis://[[user]:password@]host[:port][/db] or unix://[[user]:password@]/path/to/socket[?db=N]. \
            A password on the command line is visible to the machine's other users (ps).
            """,
        valueName: "url"
    ))
    var redis: String?

    func validate() throws {
        if directory != nil && redis != nil {
            throw ValidationError("--directory and --redis name two different stores: pass one of them")
        }
        if let redis {
            do {
                _ = try RedisURL(redis)
            } catch {
                // The message shows the URL with its password hidden.
                throw ValidationError("--redis: \(describe(error))")
            }
        }
    }

    /// The store that the options name.
    var store: UltraDictStore {
        get throws {
            if let redis { return try .redis(redis) }
            return directory.map { .files(in: $0, durability: .synchronous) } ?? .sharedMemory
        }
    }

    /// The server of `--redis`, `nil` for a store of segments.
    var server: (any RemoteBackend)? {
        get throws { try store.remoteBackend }
    }
}
