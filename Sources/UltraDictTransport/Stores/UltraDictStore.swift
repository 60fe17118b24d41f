/// Where a dictionary's segments live (`Docs/FORMAT.md`, "Stores").
///
/// Every process that shares a dictionary must name the same store. The store is used only when
/// a dictionary is created, attached, dumped or unlinked, and when a reader maps a full dump it
/// has not seen; never to read records.
public enum UltraDictStore: Sendable, Hashable {
    /// POSIX shared memory (`/dev/shm` on Linux): the default, and the only store that Python
    /// UltraDict 0.0.6 can share. The segments live until they are unlinked or the machine
    /// restarts.
    case sharedMemory
    /// A directory of files mapped `MAP_SHARED`: the dictionary outlives every process and a
    /// reboot. `durability` says what a power loss can take; the directory is created (mode
    /// 0700) if it does not exist, but not its parents.
    case files(in: String, durability: Durability)
    /// A server that processes on several hosts share, such as Redis (`.redis(_:)` of the
    /// module `UltraDictRedis`). Each process reads its own replica, kept current by the server's
    /// stream of changes; writes and the lock go to the server (`Docs/REDIS.md`).
    case remote(UltraDictRemoteStore)

    /// Which `msync`/`fsync` calls a handle of a file store makes, and so what a power loss can take.
    ///
    /// Either way, a write that returned survives any process crash: the file's pages are the
    /// kernel's page cache, which every process maps. The setting is a handle's own: each
    /// writer pays for (and gets) its own.
    public enum Durability: Sendable, Hashable {
        /// No `msync` or `fsync`: the kernel writes pages back when it chooses (within about 30
        /// seconds on Linux), and always before a clean shutdown. A power loss can take any
        /// write since the last writeback, and may leave the files inconsistent (then reading
        /// throws `corruptSharedMemory` until the dictionary is recreated).
        case buffered
        /// Before a write returns, its record and then the stream position are on disk; before
        /// a full dump is published, its file and the directory entry are, and the control block
        /// after each step of the publication. A power loss takes no write that returned.
        /// Costs two `msync` calls per write.
        case synchronous
    }

    /// The store this value names: for a remote store, where this process keeps its replicas.
    package var segmentStore: any SegmentStore {
        switch self {
        case .sharedMemory: SharedMemoryStore()
        case .files(let directory, let durability): FileStore(directory: directory, durability: durability)
        case .remote(let remote): remote.replicaStore
        }
    }

    /// The server of a remote store, `nil` for the segment stores.
    package var remoteBackend: (any RemoteBackend)? {
        if case .remote(let remote) = self { remote.backend } else { nil }
    }
}
