import Foundation
import UltraDictConcurrency
import UltraDictCore
import UltraDictTransport

/// This process's copy of one dictionary on a Redis server: an update log in its own memory
/// (``ProcessMemoryStore``) that every handle of the dictionary in this process reads as it reads
/// shared memory, kept current by a subscriber thread (`XREAD BLOCK`) and by the writers, who
/// feed it what the server returns with each write.
///
/// Each entry of the server's log is applied once, in the server's order (by ID), whoever
/// brings it: the replica is the only writer of its update log, under ``mutex``. It keeps the
/// entries too, decoded, for the full dumps that start its update log over when it is full.
final class Replica: @unchecked Sendable {
    /// The dictionary's name, on the server and in the replica store.
    let name: String
    let keys: RedisKeys
    /// For the scripts and the catch-ups, shared by the handles of this process.
    let client: RedisClient
    /// The lock every host's writers share: a lease on the server, one per tree.
    private(set) var lock: LeaseLock!
    /// The update log the handles read.
    let log: UpdateLog
    private let serializer: any UltraDictSerializer

    /// Guards everything below.
    private let mutex = NSLock()
    /// The ID of the last server entry applied.
    private var applied = StreamID.zero
    /// ``lastWrite``.
    private var lastWriteAt: ContinuousClock.Instant?
    private var cursor = LogCursor(counter: 0, position: 0)
    /// The dictionary's entries as of ``applied``, for the replica's own full dumps.
    private var entries: [UltraValue: UltraValue] = [:]
    /// Why the replica stopped following the server, if it did: every later write throws it.
    private var failure: UltraDictError?
    /// The fence of the last lease under which the replica was brought up to the server's head.
    private var caughtUpFence: Int64 = 0
    /// Set by ``stop()``.
    private var stopped = false
    /// Why the subscriber's last read failed, until one succeeds.
    private var lastFollowingError: UltraDictError?

    /// Creates the replica of `name` in `store`, loads what the server has, and starts
    /// following it; its lock is the tree's lease that `lease` returns (given the replica's lock
    /// words, should it make the lease).
    init(name: String, keys: RedisKeys, client: RedisClient, options: UpdateLog.Options, serializer: any UltraDictSerializer,
         store: ProcessMemoryStore, lease: (LockWords) -> Lease) throws {
        (self.name, self.keys, self.client, self.serializer) = (name, keys, client, serializer)
        log = try UpdateLog.create(name: name, options: options, in: store)
        lock = LeaseLock(lease: lease(log.control.lockWords), replica: self)
        do {
            try catchUp()
        } catch {
            log.unlinkSegments()
            throw error
        }
    }

    /// The ID of the last entry applied.
    var appliedID: StreamID { mutex.withLock { applied } }

    /// When a write of this process last brought entries (``apply(_:written:)``), if one did.
    var lastWrite: ContinuousClock.Instant? { mutex.withLock { lastWriteAt } }

    /// Why the replica is not following the server now: the subscriber's last read failed, or
    /// an entry could not be applied (then it stays).
    var followingError: UltraDictError? {
        get { mutex.withLock { failure ?? lastFollowingError } }
        set { mutex.withLock { lastFollowingError = newValue } }
    }

    /// Notes that the replica holds everything the server had when the lease `fence` was granted.
    func markCaughtUp(atFence fence: Int64) {
        mutex.withLock { caughtUpFence = fence }
    }

    /// Whether the replica was brought up to the server's head under the lease `fence`: while
    /// that lease is held, nobody else writes, so it is still current.
    func isCaughtUp(atFence fence: Int64) -> Bool {
        mutex.withLock { caughtUpFence == fence }
    }

    /// Whether ``stop()`` was called.
    var isStopped: Bool { mutex.withLock { stopped } }

    /// Stops following the server and removes the replica's names: for the close of the last
    /// handle of this process (which keeps its mapping until it goes).
    func stop() {
        mutex.withLock { stopped = true }
        removeLocally()
    }

    /// Removes the replica's names from this process's memory and wakes its waiters: change
    /// sequences end, as when a dictionary in shared memory is unlinked.
    func removeLocally() {
        log.unlinkSegments()
        log.interruptWaiters()
    }

    /// Reads the server's log after what was applied, to its end, and applies it: one round
    /// trip per page of entries (and one per full dump in it).
    func catchUp() throws {
        while true {
            let after = appliedID
            let reply = try client.command([
                Array("XRANGE".utf8), keys.log, Array("(\(after)".utf8), Array("+".utf8), Array("COUNT".utf8), Array(String(LogPage.size).utf8),
            ])
            let page = try LogPage(reply, after: after)
            try apply(page.entries)
            if !page.isFull { return }
        }
    }

    /// Applies `entries` (from a write's reply, a catch-up or the subscriber) in order, skipping
    /// those applied already; a full dump entry loads the dump. `written` says that they came
    /// with a write of this process (``lastWrite``).
    func apply(_ entries: [StreamEntry], written: Bool = false) throws {
        try mutex.withLock {
            if written { lastWriteAt = .now }
            if let failure { throw failure }
            do {
                for entry in entries where entry.id > applied { try applyLocked(entry) }
            } catch let error as UltraDictError {
                failure = error
                throw error
            }
        }
    }

    /// Applies one entry (``mutex`` held).
    private func applyLocked(_ entry: StreamEntry) throws {
        switch entry.content {
        case .record(let payload):
            // A record that does not decode is still applied: the handles report it
            // (`lastReadError`), as for shared memory; the replica's entries skip it.
            if let update = try? payload.withUnsafeBytes({ try serializer.decodeUpdate($0) }) {
                if update.isSet { entries[update.key] = update.value } else { entries[update.key] = nil }
            }
            applied = entry.id
            if try !log.append(payload, cursor: &cursor) { try publishEntries() }
        case .fullDump:
            try loadDump(publishedAt: entry.id)
        }
    }

    /// Loads the server's full dump, which the entry `id` published (or a later one replaced).
    private func loadDump(publishedAt id: StreamID) throws {
        let reply = try client.command([Array("HMGET".utf8), keys.dump, Array("id".utf8), Array("snapshot".utf8)])
        let dump = try StoredDump(reply, publishedAt: id, name: name, key: keys.dump)
        var loaded: [UltraValue: UltraValue] = [:]
        try dump.snapshot.withUnsafeBytes { bytes in try serializer.decodeSnapshot(bytes) { key, value in loaded[key] = value } }
        entries = loaded
        applied = dump.id
        try log.publishFullDump(dump.snapshot, cursor: &cursor)
    }

    /// Starts the replica's update log over with a full dump of ``entries`` (``mutex`` held).
    private func publishEntries() throws {
        var bytes: [UInt8] = []
        try serializer.encodeSnapshot(count: entries.count, into: &bytes) { entry in
            for (key, value) in entries { try entry(key, value) }
        }
        try log.publishFullDump(bytes, cursor: &cursor)
    }
}
