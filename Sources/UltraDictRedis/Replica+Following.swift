import Foundation
import UltraDictCore
import UltraDictTransport

extension Replica {
    /// How long one blocking read of the subscriber waits for new entries on the server.
    static let slice = Duration.milliseconds(100)
    /// Every this many quiet slices, the subscriber checks that the dictionary still exists.
    static let quietSlicesPerExistenceCheck = 10

    /// Starts the subscriber: a thread of its own, on a connection of its own, that reads new
    /// entries as the server appends them (`XREAD BLOCK`) and applies them, until ``stop()``.
    /// After a failure (the server unreachable), it tries again every 50 ms from the last entry
    /// it applied (its client backs off its connection attempts by itself, from 10 ms to 1 s). When the dictionary is gone from the server, it removes
    /// the replica's names, which ends the handles' change sequences, and stops.
    func startFollowing(url: RedisURL, options: RedisOptions) {
        let follower = RedisClient(url: url, options: options)
        let thread = Thread { [self] in
            var (quietSlices, failing) = (0, false)
            while !isStopped {
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
