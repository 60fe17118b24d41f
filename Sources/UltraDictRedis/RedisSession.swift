import Foundation
import UltraDictCore
import UltraDictTransport

/// One handle's use of a dictionary on a Redis server: its writes, as scripts that the server
/// orders among every host's, and the replica they feed (DESIGN §10).
final class RedisSession: RemoteSession, @unchecked Sendable {
    let isCreator: Bool
    /// Whether every read catches up first (``RedisOptions/readsCatchUp``).
    let readsCatchUp: Bool
    /// Whether reads call ``catchUpBeforeRead()``: with `readsCatchUp`, and in a tree, whose
    /// lease a member may take for another member that it then reads.
    let catchesUpOnRead: Bool
    private let replica: Replica
    /// Ends this handle's share of the replica, once.
    private let release: () -> Void
    private let closing = NSLock()
    private var closed = false

    init(replica: Replica, isCreator: Bool, readsCatchUp: Bool, catchesUpOnRead: Bool, release: @escaping () -> Void) {
        (self.replica, self.isCreator, self.readsCatchUp, self.catchesUpOnRead, self.release) = (replica, isCreator, readsCatchUp, catchesUpOnRead, release)
    }

    var lock: any UltraDictLock { replica.lock }

    func append(_ record: [UInt8]) throws {
        let keys = replica.keys
        var pause = Lease.firstPause
        while true {
            let after = replica.appliedID
            let reply = try run(DictionaryScripts.append, keys: [keys.log, keys.lock], [record, after.bytes, Array(String(LogPage.size).utf8)])
            switch try AppendAnswer(reply, after: after) {
            case let .leaseHeld(remaining):
                Self.wait(remaining, pause: &pause, sending: record.count)
            case let .written(id, missed) where missed.count < LogPage.size:
                try replica.apply(missed + [StreamEntry(id: id, content: .record(record))], written: true)
                return
            case let .written(_, missed):
                try replica.apply(missed, written: true)
                try replica.catchUp()
                return
            }
        }
    }

    func publishFullDump(_ snapshot: [UInt8]) throws -> Bool {
        let keys = replica.keys
        var pause = Lease.firstPause
        while true {
            let after = replica.appliedID
            let reply = try run(DictionaryScripts.publishDump, keys: [keys.log, keys.lock, keys.dump], [snapshot, after.bytes])
            switch try DumpAnswer(reply, after: after) {
            case .outdated: return false
            case let .leaseHeld(remaining): Self.wait(remaining, pause: &pause, sending: snapshot.count)
            case .published:
                try replica.catchUp()
                return true
            }
        }
    }

    var followingError: UltraDictError? { replica.followingError }

    /// One round trip, unless the calling thread holds the lease and the replica was brought up
    /// to the head under it (by the grant, or an earlier catch-up): while it is held, only this
    /// thread writes.
    func catchUp() throws {
        guard let fence = replica.lock.lease.fence else { return try replica.catchUp() }
        if replica.isCaughtUp(atFence: fence) { return }
        try replica.catchUp()
        replica.markCaughtUp(atFence: fence)
    }

    func catchUpBeforeRead() throws {
        if readsCatchUp || replica.lock.lease.holdsOnCurrentThread { try catchUp() }
    }

    func close() {
        let first = closing.withLock {
            defer { closed = true }
            return !closed
        }
        if first { release() }
    }

    /// Runs a writing script with the calling thread's lease token (or none, after giving up a
    /// lease this process keeps for reuse), as the first argument: a lost lease becomes `lockStolen`.
    private func run(_ script: RedisScript, keys: [[UInt8]], _ arguments: [[UInt8]]) throws -> RedisReply {
        let lease = replica.lock.lease
        let token = lease.tokenOfCurrentThread ?? []
        if token.isEmpty { lease.giveUpKeptLease() }
        do {
            return try replica.client.script(script, keys: keys, arguments: [token] + arguments)
        } catch let error as UltraDictError where (error.underlying as? RedisErrorReply)?.kind == "LEASELOST" {
            lease.forget(token)
            throw UltraDictError(.lockStolen, "lock of '\(replica.name)': its lease expired while this process held it and another client took it; the write was refused", underlying: error)
        }
    }

    /// Waits `pause` (never past the `remaining` time that the script answered) before a write
    /// outside the lock tries again, while another client holds the lease, as it waits for the
    /// shared spinlock; doubles `pause` for the next time, up to a lock waiter's longest
    /// (``Lease/longestPause``) when each attempt sends at most 64 KiB again, else 10 ms.
    private static func wait(_ remaining: Duration, pause: inout Duration, sending bytes: Int) {
        Thread.sleep(forTimeInterval: min(remaining, pause).seconds)
        pause = min(pause * 2, bytes <= 64 << 10 ? Lease.longestPause : .milliseconds(10))
    }
}
