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
///
/// A process that takes the lock in a loop keeps the lease between its turns: when the lock
/// was taken again within ``reuseWindow`` of its last release, the next release keeps the lease
/// for ``reuseWindow`` more, and a turn that starts meanwhile uses it without asking the server
/// (a round trip less per turn; nobody else wrote meanwhile, so the replica is current). After
/// ``longestHold`` of one lease, the release gives it up, and this process asks again only
/// after ``yieldPause`` and a round trip, so that the processes waiting for it get their turn.
/// A kept lease is given up when the window passes (by the renewing thread), before a write
/// outside the lock from this process, when the tree's last handle closes, and when the process
/// exits normally; it is not used again once a renewal or a write found it gone (``forget(_:)``).
final class Lease: @unchecked Sendable {
    /// How soon after a release the lock must be taken again for the release after it to keep
    /// the lease, and how long it keeps it.
    static let reuseWindow = Duration.milliseconds(1)
    /// The longest a lease is kept through reuses before a release gives it up.
    static let longestHold = Duration.milliseconds(40)
    /// How long this process waits before asking for the lease again after ``longestHold``, plus
    /// the round trip of its last lease request: longer than a waiter's longest pause between
    /// its requests and the request itself.
    static let yieldPause = longestPause * 2
    /// A waiter's first pause between its requests while another client holds the lease; it
    /// doubles each time up to ``longestPause``. The same for a write outside the lock.
    static let firstPause = Duration.microseconds(100)
    static let longestPause = Duration.milliseconds(1)

    private let name: String
    private let keys: RedisKeys
    private let client: RedisClient
    /// The lease's length; it is renewed every third of it.
    private let lease: Duration
    /// Excludes the other threads of this process, re-entrantly.
    private let threads: ProcessLocalLock
    /// The thread that holds the lease (its `pthread_self`), 0 when none does.
    private let holder = ManagedAtomic<UInt>(0)
    /// Whether the lease is kept with no thread holding it (`renewal` held to change it).
    private let isKept = ManagedAtomic<Bool>(false)
    /// How many levels the holding thread holds (written by it, with `threads` held).
    private var depth = 0
    /// Guards the state below, and wakes the renewing thread when it changes.
    private let renewal = NSCondition()
    /// The token of the lease held or kept, and the fence it was granted with.
    private var held: (token: [UInt8], fence: Int64)?
    /// When the lease was granted, and when the request of its last grant or renewal that
    /// succeeded was sent: the server holds it for at least ``lease`` from then.
    private var grantedAt = ContinuousClock.now, confirmedAt = ContinuousClock.now
    /// When the renewing thread renews next.
    private var renewAt = ContinuousClock.now
    /// How long the answer to the request that granted the lease held or kept took.
    private var roundTrip = Duration.zero
    /// Until when a released lease is kept for reuse; `nil` while a thread holds it, or none is held.
    private var keptUntil: ContinuousClock.Instant?
    /// When the last release happened, whether the hold that followed started within
    /// ``reuseWindow`` of it, and until when this process waits after ``longestHold``.
    private var lastRelease: ContinuousClock.Instant?, takenAgainSoon = false, yieldUntil: ContinuousClock.Instant?
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
    /// hold it, with the entries of `replica`'s log that it lacks (none when a kept lease is used
    /// again: nobody else wrote while this process kept it).
    func acquire(timeout: Duration?, catchingUp replica: Replica) throws {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        try threads.acquire(timeout: timeout, stealAfterTimeout: false)
        depth += 1
        guard depth == 1 else { return }
        do {
            if try !reuseKeptLease() {
                try yieldIfAsked(before: deadline)
                let grant = try takeLease(before: deadline, catchingUp: replica)
                let sentAt = grant.sentAt
                renewal.withLock {
                    held = (grant.token, grant.fence)
                    (grantedAt, confirmedAt, renewAt, roundTrip) = (sentAt, sentAt, sentAt + lease / 3, grant.roundTrip)
                    takenAgainSoon = lastRelease.map { sentAt - $0 < Self.reuseWindow } ?? false
                    if renewer == nil { startRenewing() }
                    renewal.broadcast()
                }
            }
            holder.store(Self.currentThread, ordering: .releasing)
        } catch {
            depth -= 1
            try? threads.release()
            throw error
        }
    }

    /// Releases one level; the last gives the lease up, or keeps it for a turn that follows soon.
    func release() throws {
        guard holder.load(ordering: .acquiring) == Self.currentThread else {
            throw UltraDictError(.lockStolen, "lock of '\(name)' released by a thread that does not hold it")
        }
        depth -= 1
        guard depth == 0 else { return try threads.release() }
        holder.store(0, ordering: .releasing)
        let now = ContinuousClock.now
        let token: [UInt8]? = renewal.withLock {
            lastRelease = now
            guard let token = held?.token else { return nil }
            if now - grantedAt >= Self.longestHold {
                yieldUntil = now + Self.yieldPause + roundTrip
            } else if takenAgainSoon, !stopped, isValid(at: now + Self.reuseWindow) {
                keptUntil = now + Self.reuseWindow
                isKept.store(true, ordering: .releasing)
                renewal.broadcast()
                return nil
            }
            held = nil
            return token
        }
        defer { try? threads.release() }
        if let token { giveUp(token) }
    }

    /// Gives a kept lease up now: before a write outside the lock from this process, which the
    /// server would otherwise make wait until the window passes. One atomic load when none is kept.
    func giveUpKeptLease() {
        guard isKept.load(ordering: .acquiring), let token = renewal.withLock({ takeKeptToken() }) else { return }
        giveUp(token)
    }

    /// Notes that the server no longer holds the lease of `token` (a renewal or a write found it
    /// gone: it expired during a pause, or its key was removed), so that it is neither kept nor
    /// used again.
    func forget(_ token: [UInt8]) {
        renewal.withLock {
            if held?.token == token { confirmedAt = grantedAt - lease }
        }
    }

    /// Ends the renewing thread, giving a kept lease up; for the close of the tree's last
    /// replica in this process. A lease a thread holds meanwhile is given up at its release.
    func stop() {
        let token = renewal.withLock {
            stopped = true
            renewal.broadcast()
            return takeKeptToken()
        }
        if let token { giveUp(token) }
    }

    // MARK: - Internals

    /// Uses the kept lease, if any, and returns whether it did; gives it up instead when it is
    /// no longer sure to last (this process was paused, or its renewals failed).
    private func reuseKeptLease() throws -> Bool {
        let now = ContinuousClock.now
        let (reused, stale): (Bool, [UInt8]?) = renewal.withLock {
            guard keptUntil != nil else { return (false, nil) }
            guard isValid(at: now) else { return (false, takeKeptToken()) }
            keptUntil = nil
            isKept.store(false, ordering: .releasing)
            takenAgainSoon = true
            return (true, nil)
        }
        if let stale { giveUp(stale) }
        return reused
    }

    /// Whether the lease held is sure to last until `instant` with a third of it to spare
    /// (`renewal` held): the server keeps it for ``lease`` from ``confirmedAt`` at least.
    private func isValid(at instant: ContinuousClock.Instant) -> Bool {
        instant < confirmedAt + lease - lease / 3
    }

    /// The token of the kept lease, which is no longer kept, or `nil` (`renewal` held).
    private func takeKeptToken() -> [UInt8]? {
        guard keptUntil != nil, let token = held?.token else { return nil }
        (keptUntil, held) = (nil, nil)
        isKept.store(false, ordering: .releasing)
        return token
    }

    /// Sends the release of `token` without waiting for the answer: the writes under the lease
    /// were each acknowledged (or refused, if the lease was lost), and a lost connection lets
    /// the lease expire by itself.
    private func giveUp(_ token: [UInt8]) {
        try? client.send(DictionaryScripts.release, keys: [keys.lock], arguments: [token])
    }

    /// Sleeps until ``yieldPause`` and a round trip after a release of a lease held
    /// ``longestHold`` have passed, or `deadline`, whichever comes first.
    private func yieldIfAsked(before deadline: ContinuousClock.Instant?) throws {
        guard let until = renewal.withLock({ yieldUntil }) else { return }
        let wake = deadline.map { min($0, until) } ?? until
        let now = ContinuousClock.now
        if wake > now { Thread.sleep(forTimeInterval: now.duration(to: wake).seconds) }
    }

    /// Asks the server for the lease until it grants it or `deadline` passes, sleeping between
    /// attempts from ``firstPause`` doubling to ``longestPause``, never past the lease's
    /// remaining time; returns when the granting request was sent and how long its answer took.
    /// With the lease come the log's entries that the replica lacks: the holder starts current.
    /// When they cannot be applied (a bad answer, a failed catch-up), the lease is given up
    /// before the error goes on.
    private func takeLease(
        before deadline: ContinuousClock.Instant?, catchingUp replica: Replica
    ) throws -> (token: [UInt8], fence: Int64, sentAt: ContinuousClock.Instant, roundTrip: Duration) {
        let token = Array((0..<16).map { _ in String(UInt8.random(in: 0...255), radix: 16) }.joined().utf8)
        let milliseconds = Array(String(lease.milliseconds).utf8)
        var pause = Self.firstPause
        while true {
            let (after, sentAt) = (replica.appliedID, ContinuousClock.now)
            let reply = try client.script(
                DictionaryScripts.acquire, keys: [keys.lock, keys.fence, replica.keys.log],
                arguments: [token, milliseconds, after.bytes, Array(String(LogPage.size).utf8)]
            )
            let roundTrip = ContinuousClock.now - sentAt
            let answer: LeaseAnswer
            do {
                answer = try LeaseAnswer(reply, after: after)
                if let fence = answer.fence {
                    let entries = answer.entries
                    try replica.apply(entries)
                    if entries.count == LogPage.size { try replica.catchUp() }
                    replica.markCaughtUp(atFence: fence)
                    return (token, fence, sentAt, roundTrip)
                }
            } catch {
                giveUp(token)
                throw error
            }
            let remaining = answer.remaining
            if let deadline, ContinuousClock.now >= deadline {
                throw UltraDictError(.lockTimeout, "lock of '\(name)' not acquired within the timeout: another client holds its lease for \(remaining) more")
            }
            var sleep = min(remaining, pause)
            if let deadline { sleep = min(sleep, ContinuousClock.now.duration(to: deadline)) }
            if sleep > .zero { Thread.sleep(forTimeInterval: sleep.seconds) }
            pause = min(pause * 2, Self.longestPause)
        }
    }

    /// What the renewing thread does next.
    private enum Duty {
        case renew([UInt8])
        case giveUp([UInt8])
    }

    /// Starts the thread that renews each lease held, every third of its length, and gives a
    /// kept lease up when its window passes, until ``stop()`` (`renewal` held).
    private func startRenewing() {
        let thread = Thread { [self] in
            while let duty = nextDuty() {
                switch duty {
                case .giveUp(let token):
                    giveUp(token)
                case .renew(let token):
                    let sentAt = ContinuousClock.now
                    let renewed = try? client.script(DictionaryScripts.renew, keys: [keys.lock], arguments: [token, Array(String(lease.milliseconds).utf8)])
                    if renewed == .integer(1) {
                        renewal.withLock { if held?.token == token { confirmedAt = sentAt } }
                    } else if renewed == .integer(0) {
                        forget(token)
                    }
                }
            }
        }
        thread.name = "UltraDict lease renewal"
        renewer = thread
        thread.start()
    }

    /// Waits until a lease held is due for renewal, or a kept one's window has passed; `nil`
    /// after ``stop()``.
    private func nextDuty() -> Duty? {
        renewal.withLock {
            while !stopped {
                guard let token = held?.token else {
                    renewal.wait()
                    continue
                }
                let now = ContinuousClock.now
                if let keptUntil, now >= keptUntil, let kept = takeKeptToken() { return .giveUp(kept) }
                if now >= renewAt {
                    renewAt = now + lease / 3
                    return .renew(token)
                }
                // Woken early by a release, a reuse or a new lease: look again.
                let wake = min(renewAt, keptUntil ?? renewAt)
                _ = renewal.wait(until: Date(timeIntervalSinceNow: now.duration(to: wake).seconds))
            }
            return nil
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
