import Atomics
import UltraDictCore
import UltraDictTransport

/// A lock in shared memory that excludes other processes and other threads: the default.
///
/// It is Python UltraDict's `shared_lock=True` lock: an atomic exchange of the byte at offset 8
/// of the control block, with the owner's pid at offset 4 (and, among this package's fields, the
/// owner's start time, so that a reused pid is never mistaken for the owner). Threads of this
/// process first queue on a mutex shared by every handle of the dictionary, so only one thread
/// spins at a time; the holder may acquire again (re-entrant). Waiting backs off from spinning to
/// yielding to short sleeps.
///
/// Cost: uncontended, one atomic exchange plus a mutex; contended, a wait that sleeps.
public final class SharedSpinLock: SharedMemoryLock {
    /// ``UltraDictLockKind/shared``.
    public static let kind = UltraDictLockKind.shared

    private let name: String
    private let words: LockWords
    private let threads: ThreadLock

    /// Creates the lock of the dictionary `name` over its control block's lock words.
    public init(name: String, words: LockWords) {
        self.name = name
        self.words = words
        self.threads = ThreadLock.shared(for: name)
    }

    /// Acquires the lock, waiting at most `timeout` when one is given.
    ///
    /// With `stealAfterTimeout`, once the timeout has passed a lock whose owner is dead (no
    /// process with its pid, or one that started at another time, or a zombie) is taken over by a
    /// compare-exchange on the owner word, so two stealers cannot both win.
    /// Throws `lockTimeout` naming the owner's pid.
    public func acquire(timeout: Duration?, stealAfterTimeout: Bool) throws {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        guard threads.lock(until: deadline) else {
            throw UltraDictError(.lockTimeout, "lock of '\(name)' not acquired within \(timeout!): another thread of this process holds it")
        }
        if threads.holdCount > 1 { return }
        do {
            try acquireShared(until: deadline, stealAfterTimeout: stealAfterTimeout)
        } catch {
            threads.unlock()
            throw error
        }
    }

    private func acquireShared(until deadline: ContinuousClock.Instant?, stealAfterTimeout: Bool) throws {
        let me = ProcessIdentity.current
        var attempt = 0
        while true {
            if words.lockByte.exchange(1, ordering: .acquiring) == 0 {
                // A stealer may have claimed an ownerless lock between our exchange and now.
                if words.ownerPID.compareExchange(expected: 0, desired: UInt32(bitPattern: me.pid), ordering: .acquiringAndReleasing).exchanged {
                    words.ownerStartTime.store(me.startTime, ordering: .releasing)
                    return
                }
            }
            if let deadline, ContinuousClock.now >= deadline {
                let owner = words.ownerPID.load(ordering: .acquiring)
                let ownerStart = words.ownerStartTime.load(ordering: .acquiring)
                if stealAfterTimeout, !ProcessIdentity.isAlive(pid: Int32(bitPattern: owner), startTime: ownerStart) {
                    if words.ownerPID.compareExchange(expected: owner, desired: UInt32(bitPattern: me.pid), ordering: .acquiringAndReleasing).exchanged {
                        words.lockByte.store(1, ordering: .releasing)
                        words.ownerStartTime.store(me.startTime, ordering: .releasing)
                        return
                    }
                    continue
                }
                throw UltraDictError(.lockTimeout, "lock of '\(name)' not acquired within the timeout: held by pid \(owner)")
            }
            Backoff.pause(attempt)
            attempt += 1
        }
    }

    /// Releases one level; the last one frees the shared lock. Throws `lockStolen` if the calling
    /// thread does not hold it, or if another process took it over meanwhile.
    public func release() throws {
        guard threads.isHeldByCurrentThread else {
            throw UltraDictError(.lockStolen, "lock of '\(name)' released by a thread that does not hold it")
        }
        defer { threads.unlock() }
        guard threads.holdCount == 1 else { return }
        let me = UInt32(bitPattern: ProcessIdentity.currentPID)
        let owner = words.ownerPID.load(ordering: .acquiring)
        guard owner == me else {
            throw UltraDictError(.lockStolen, "lock of '\(name)' was taken over by pid \(owner) while pid \(me) held it")
        }
        words.ownerStartTime.store(0, ordering: .relaxed)
        words.ownerPID.store(0, ordering: .relaxed)
        words.lockByte.store(0, ordering: .releasing)
    }
}
