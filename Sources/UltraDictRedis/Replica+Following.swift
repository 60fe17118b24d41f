import Foundation
import UltraDictCore
import UltraDictTransport

extension Replica {
    /// How long one blocking read of the subscriber waits for new entries on the server.
    static let slice = Duration.milliseconds(100)
    /// Every this many quiet slices, the subscriber checks that the dictionary still exists.
    static let quietSlicesPerExistenceCheck = 10
    /// When two of the subscriber's reads in a row bring entries less than this apart, the log
    /// is busy, and the subscriber waits ``batchingPause`` before its next read: it then reads
    /// the entries of a busy writer in batches, not one per read (a wake-up of every following
    /// process and a reply of the server per entry; a locked counter in 4 processes runs about
    /// twice as fast). A change of a busy log shows up to that pause later; the first after a
    /// quiet spell shows at once.
    static let busyInterval = Duration.milliseconds(1)
    static let batchingPause = Duration.microseconds(500)
    /// How long after this process's last write the subscriber reads nothing: while the process
    /// writes, its scripts bring the replica what others wrote too, so a read of the subscriber
    /// would only take CPU from the writer, and a read blocked on the server would make the
    /// server serve it on the next write (a read after each pause met about one write in a
    /// hundred, a busy writer's p99). The subscriber sleeps until the pause has passed since the
    /// last write, then reads. A change another process makes just after this one's last write
    /// shows up to this pause later.
    static let ownWritesPause = Duration.milliseconds(10)

    /// Starts the subscriber: a thread of its own, on a connection of its own, that reads new
    /// entries as the server appends them (`XREAD BLOCK`) and applies them, until ``stop()``.
    /// After a failure (the server unreachable), it tries again every 50 ms from the last entry
    /// it applied (its client backs off its connection attempts by itself, from 10 ms to 1 s).
    /// When the dictionary is gone from the server, it removes the replica's names, which ends
    /// the handles' change sequences, and stops.
    func startFollowing(url: RedisURL, options: RedisOptions) {
        let follower = RedisClient(url: url, options: options)
        let thread = Thread { [self] in
            var (quietSlices, failing) = (0, false)
            var lastBatch = ContinuousClock.now - Self.busyInterval
            while !isStopped {
                let quietFrom = lastWrite.map { $0 + Self.ownWritesPause } ?? .now
                if quietFrom > .now {
                    Thread.sleep(forTimeInterval: (quietFrom - .now).seconds)
                    continue
                }
                do {
                    let after = appliedID
                    let entries = try LogPage(read: follower.command([
                        Array("XREAD".utf8), Array("COUNT".utf8), Array(String(LogPage.size).utf8), Array("BLOCK".utf8), Array(String(Self.slice.milliseconds).utf8),
                        Array("STREAMS".utf8), keys.log, after.bytes,
                    ], timeout: options.commandTimeout + Self.slice), after: after).entries
                    if failing { followingError = nil }
                    failing = false
                    if entries.isEmpty {
                        quietSlices += 1
                        if quietSlices % Self.quietSlicesPerExistenceCheck == 0, try follower.command([Array("EXISTS".utf8), keys.meta]) == .integer(0) {
                            stop()
                            return
                        }
                    } else {
                        quietSlices = 0
                        try apply(entries)
                        let now = ContinuousClock.now
                        if now - lastBatch < Self.busyInterval {
                            Thread.sleep(forTimeInterval: Self.batchingPause.seconds)
                        }
                        lastBatch = now
                    }
                } catch {
                    followingError = error as? UltraDictError ?? UltraDictError(.connection, "\(error)")
                    failing = true
                    Thread.sleep(forTimeInterval: 0.05)
                }
            }
        }
        thread.name = "UltraDict Redis subscriber"
        thread.start()
    }
}
