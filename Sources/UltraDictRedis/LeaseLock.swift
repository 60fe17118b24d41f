import Foundation
import Atomics
import UltraDictConcurrency
import UltraDictCore
import UltraDictTransport

/// The lock of a dictionary on a Redis server, or of a whole tree of nested dictionaries: a
/// lease (`SET {ROOT}:lock TOKEN NX PX`) that excludes every other host and process, behind a
/// process-local lock that excludes the other threads of this one, so that a process asks the
/// server once however many threads wait. One per tree in a process, shared by the
/// ``LeaseLock`` of each dictionary of the tree.
///
/// While held, a thread of its own renews the lease every third of it. Every write under the
/// lock sends the token, and the server refuses it (`lockStolen`) once the lease has passed to
/// someone else: a holder that was paused or cut off past its lease cannot write. Each lease
/// granted increments `{ROOT}:fence`, the fencing counter, which the holder keeps
/// (``fence``). A dead holder's lease expires by itself, so there is nothing to steal: after
/// the timeout ``acquire(timeout:catchingUp:)`` throws `lockTimeout` saying when the lease ends.
final class Lease: @unchecked Sendable {
    private let name: String
    private let keys: RedisKeys
    private let client: RedisClient
    /// The lease's length; it is renewed every third of it.
    private let lease: Duration
    /// Excludes the other threads of this process, re-entrantly.
    private let threads: ProcessLocalLock
    /// The thread that holds the lease (its `pthread_self`), 0 when none does.
    private let holder = ManagedAtomic<UInt>(0)
    // Written only by the holding thread, with `threads` held; read by the renewer under `renewal`.
    /// How many levels the holding thread holds.
    private var depth = 0
    /// The token of the lease held, and the fence it was granted with.
    private var held: (token: [UInt8], fence: Int64)?
    /// Wakes the renewing thread when a lease is taken or given up.
    private let renewal = NSCondition()
    private var renewer: Thread?
    /// Set by ``stop()``: the renewing thread ends.
    private var stopped = false

    init(name: String, keys: RedisKeys, client: RedisClient, words: LockWords, lease: Duration) {
        (self.name, self.keys, self.client, self.lease) = (name, keys, client, lease)
        threads = ProcessLocalLock(name: name, words: words)
    }

    /// The token the calling thread holds the lease with, or `nil` when it does not hold it.
    var tokenOfCurrentThread: [UInt8]? {
        guard holder.load(ordering: .acquiring) == Self.currentThread else { return nil }
        return renewal.withLock { held?.token }
    }

    /// Whether the calling thread holds the lease (one atomic load).
    var holdsOnCurrentThread: Bool { holder.load(ordering: .acquiring) == Self.currentThread }

    /// The fencing counter's value when the calling thread's lease was granted.
    var fence: Int64? {
        guard holder.load(ordering: .acquiring) == Self.currentThread else { return nil }
        return renewal.withLock { held?.fence }
    }

    /// Takes one level, waiting at most `timeout`; the lease, when the calling thread did not
    /// hold it, with the entries of `replica`'s log that it lacks.
    func acquire(timeout: Duration?, catchingUp replica: Replica) throws {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        try threads.acquire(timeout: timeout, stealAfterTimeout: false)
        depth += 1
        guard depth == 1 else { return }
        do {
            let (token, fence) = try takeLease(before: deadline, catchingUp: replica)
            renewal.withLock {
                held = (token, fence)
                if renewer == nil { startRenewing() }
                renewal.broadcast()
            }
            holder.store(Self.currentThread, ordering: .releasing)
        } catch {
            depth -= 1
            try? threads.release()
            throw error
        }
    }

    /// Releases one level; the last gives the lease up.
    func release() throws {
        guard holder.load(ordering: .acquiring) == Self.currentThread else {
            throw UltraDictError(.lockStolen, "lock of '\(name)' released by a thread that does not hold it")
        }
        depth -= 1
        guard depth == 0 else { return try threads.release() }
        holder.store(0, ordering: .releasing)
        let token = renewal.withLock {
            defer { held = nil }
            return held?.token
        }
        defer { try? threads.release() }
        guard let token else { return }
        // Nobody waits for the answer: the writes under the lease were each acknowledged (or
        // refused, if the lease was lost), and a lost connection lets the lease expire by itself.
        try? client.send(DictionaryScripts.release, keys: [keys.lock], arguments: [token])
    }

    /// Asks the server for the lease until it grants it or `deadline` passes, sleeping between
    /// attempts from 100 µs doubling to 5 ms, never past the lease's remaining time. With the
    /// lease come the log's entries that the replica lacks: the holder starts current.
    private func takeLease(before deadline: ContinuousClock.Instant?, catchingUp replica: Replica) throws -> (token: [UInt8], fence: Int64) {
        let token = Array((0..<16).map { _ in String(UInt8.random(in: 0...255), radix: 16) }.joined().utf8)
        let milliseconds = Array(String(lease.milliseconds).utf8)
        var pause = Duration.microseconds(100)
        while true {
            let answer = try client.script(
                DictionaryScripts.acquire, keys: [keys.lock, keys.fence, replica.keys.log],
                arguments: [token, milliseconds, replica.appliedID.bytes, Array(String(RedisSession.page).utf8)]
            ).array("the lease's answer")
            let fence = try answer.first?.integer("the lease's fence") ?? 0
            if fence > 0, answer.count == 2 {
                let entries = try StreamEntry.list(answer[1])
                try replica.apply(entries)
                if entries.count == RedisSession.page { try replica.catchUp() }
                replica.markCaughtUp(atFence: fence)
                return (token, fence)
            }
            guard fence < 0 else { throw UltraDictError(.corruptData, "lock of '\(name)': the lease's answer has \(answer.count) elements, fence \(fence)") }
            let remaining = Duration.milliseconds(-fence)
            if let deadline, ContinuousClock.now >= deadline {
                throw UltraDictError(.lockTimeout, "lock of '\(name)' not acquired within the timeout: another client holds its lease for \(remaining) more")
            }
            var sleep = min(remaining, pause)
            if let deadline { sleep = min(sleep, ContinuousClock.now.duration(to: deadline)) }
            if sleep > .zero { Thread.sleep(forTimeInterval: sleep.seconds) }
            pause = min(pause * 2, .milliseconds(1))
        }
    }

    /// Starts the thread that renews each lease held, every third of its length, until
    /// ``stop()`` (`renewal` held).
    private func startRenewing() {
        let thread = Thread { [self] in
            while let token = nextLeaseToRenew() {
                _ = try? client.script(DictionaryScripts.renew, keys: [keys.lock], arguments: [token, Array(String(lease.milliseconds).utf8)])
            }
        }
        thread.name = "UltraDict lease renewal"
        renewer = thread
        thread.start()
    }

    /// Waits until a lease is held and a third of it has passed; returns its token then, or `nil`
    /// after ``stop()``.
    private func nextLeaseToRenew() -> [UInt8]? {
        renewal.withLock {
            while !stopped {
                guard let token = held?.token else {
                    renewal.wait()
                    continue
                }
                // Woken early by a release or a new lease: look again.
                if !renewal.wait(until: Date(timeIntervalSinceNow: (lease / 3).seconds)), held?.token == token { return token }
            }
            return nil
        }
    }

    /// Ends the renewing thread; for the close of the tree's last replica in this process.
    func stop() {
        renewal.withLock {
            stopped = true
            renewal.broadcast()
        }
    }

    private static var currentThread: UInt {
        #if canImport(Glibc)
        UInt(pthread_self())
        #else
        UInt(bitPattern: pthread_self())
        #endif
    }
}

/// The lock of one dictionary on a Redis server: its tree's ``Lease``, which each lease taken
/// through it brings up to the server's head.
final class LeaseLock: UltraDictLock, @unchecked Sendable {
    static let kind = UltraDictLockKind.shared

    let lease: Lease
    /// The replica of the dictionary; it owns this lock.
    unowned let replica: Replica

    init(lease: Lease, replica: Replica) {
        (self.lease, self.replica) = (lease, replica)
    }

    func acquire(timeout: Duration?, stealAfterTimeout: Bool) throws {
        try lease.acquire(timeout: timeout, catchingUp: replica)
    }

    func release() throws {
        try lease.release()
    }
}

extension Duration {
    /// The duration in whole milliseconds, at least 1.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }

    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
