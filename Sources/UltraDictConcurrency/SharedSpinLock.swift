import Atomics
import UltraDictCore
import UltraDictTransport

/// A lock in shared memory that excludes other processes and other threads: the default.
///
/// It is Python UltraDict 0.0.6's `shared_lock=True` lock, so Swift and Python processes exclude
/// each other: byte 8 of the control block is 1 while the lock is held (taken by an atomic
/// exchange) and bytes 4..8 hold the owner's pid. This package adds the owner's identity at byte
/// 320 (its pid with the low 32 bits of its start time), so that a reused pid is never taken
/// for the owner.
///
/// - Threads: threads of this process first take a mutex shared by every handle of the
///   dictionary, so two threads never both hold the lock and only one of them spins.
/// - Re-entrant: the holding thread may acquire again, through any handle of the dictionary;
///   each acquire needs its release.
/// - Waiting spins briefly and yields, then sleeps in the kernel on the control block's wake word
///   (`WakeWord`, internal) until a release wakes it: in slices of up to 100 ms while the owner is a
///   process of this package, whose release wakes it; of 10 µs growing to 1 ms while it is a
///   Python process (or not yet known), whose release wakes nobody. A release wakes one sleeper,
///   which tries up to 16 more times before it sleeps again; meanwhile releases
///   wake nobody, so a holder that takes the lock again at once pays no system call. So a waiter
///   does not burn a core, and a release costs one more load (and a `futex` call only when
///   someone sleeps and nobody it woke is still trying).
/// - A timeout throws `lockTimeout` naming the owner's pid. With `stealAfterTimeout`, a waiter
///   past its timeout takes the lock over when the owner is dead: no process has its pid, or that
///   process is a zombie, or it started at another time than the owner did (a reused pid). The
///   start time is known only for an owner of this package; for a Python owner the pid alone
///   decides. The take-over is a compare-exchange of the owner pid, so two waiters cannot both
///   win, and a live owner is never robbed. A lock that is held but names no owner (its owner
///   died between taking the byte and writing its pid) is taken over once it has stayed so for
///   ``ownerlessGrace`` past the timeout.
/// - After `fork`, a child forked while one of its threads held the lock does not hold it: the
///   forking thread's nested acquire and its release throw `lockStolen` saying so.
///
/// With Python processes in the mix two gaps remain, both Python's own: a Python process writes
/// its pid with a plain store after taking the byte, so a Swift waiter that takes over an
/// ownerless lock during that window (after the grace, so only if the Python process stalls
/// there) shares the lock with it; and a Python process takes over after checking the pid
/// alone, not the start time. Pids mean nothing across pid namespaces: processes in different
/// containers that share `/dev/shm` must not use `stealAfterTimeout`.
///
/// Cost: uncontended, an acquire and a release take two compare-exchanges (the mutex's and the
/// owner pid's), an atomic exchange, a few stores, a fence and one load, make no system call and
/// read no clock; contended, a wait that sleeps, and a release that wakes it.
public final class SharedSpinLock: SharedMemoryLock {
    /// `UltraDictLockKind.shared`.
    public static let kind = UltraDictLockKind.shared

    /// How long past its timeout a waiter watches a held lock that names no owner before it
    /// takes it over (only with `stealAfterTimeout`): far longer than a running owner spends
    /// between taking the lock byte and writing its pid.
    public static let ownerlessGrace = Duration.milliseconds(100)

    private let words: LockWords
    /// The words' wake word, kept here so that a release reads it without reference counting.
    private let wake: WakeWord
    private let threads: ThreadLock
    private var name: String { threads.name }

    /// Creates the lock of the dictionary `name` over its control block's lock words.
    public init(name: String, words: LockWords) {
        self.words = words
        wake = words.wake
        self.threads = ThreadLock.shared(for: words.dictionaryIdentity, name: name)
    }

    /// Acquires the lock, waiting at most `timeout` when one is given; re-entrant.
    ///
    /// Throws `lockTimeout` naming the owner's pid after `timeout` (the time spent queueing
    /// behind other threads of this process counts). With `stealAfterTimeout`, takes the lock
    /// over from a dead owner instead (see the type's documentation).
    public func acquire(timeout: Duration?, stealAfterTimeout: Bool) throws {
        let queued = try threads.lock(timeout: timeout)
        if threads.holdCount > 1 { return }
        do {
            let me = LockOwner(process: threads.process)
            if tryTake(for: me) { return }
            try wait(for: me, timeout: timeout.map { $0 - (queued ?? .zero) }, stealAfterTimeout: stealAfterTimeout)
        } catch {
            threads.unlock()
            throw error
        }
    }

    /// One attempt: takes the byte if it is free, then claims the owner pid.
    private func tryTake(for me: LockOwner) -> Bool {
        guard words.lockByte.load(ordering: .relaxed) == 0, words.lockByte.exchange(1, ordering: .acquiring) == 0 else {
            return false
        }
        // The claim fails only if a waiter past its timeout claimed the owner pid of a lock that
        // looked abandoned just before our exchange: that waiter holds the lock.
        return claimOwnerPID(from: 0, for: me)
    }

    /// How many more times a waiter that a release woke tries for the lock, after pauses of
    /// 10 µs growing by 10 µs, before it sleeps again: the holder may have taken the lock again
    /// at once, and while this waiter tries, releases wake nobody (`WakeWord`).
    static let wokenAttempts = 16

    /// Waits for the lock words, spinning, then sleeping until a release wakes it, then trying a
    /// few times before it sleeps again; the calling thread holds the thread mutex.
    private func wait(for me: LockOwner, timeout: Duration?, stealAfterTimeout: Bool) throws {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        var ownerlessSince: ContinuousClock.Instant?
        var attempt = 0
        // Tries left since a wake: while there are, this waiter may be the one a release woke,
        // and settles (so that the next release wakes another) before it sleeps again or ends.
        // Any waiter that ends without the lock (its timeout, which may pass before it ever
        // sleeps on a loaded machine) clears the flag and passes on a wake that a release skipped:
        // clearing it costs at most a wake, and a flag left set by a dead waiter lasts no longer.
        var wokenAttempts = 0
        var woken = false
        var holds = false
        defer {
            if !holds {
                wake.lockWaiterGaveUp()
            } else if woken {
                wake.lockWaiterSettled()
            }
        }
        while true {
            if let deadline, ContinuousClock.now >= deadline,
               try takeOverAfterTimeout(for: me, stealAfterTimeout: stealAfterTimeout, ownerlessSince: &ownerlessSince) {
                holds = true
                return
            }
            if attempt < Backoff.sleepingAttempt {
                Backoff.pause(attempt)
            } else if wokenAttempts > 0 {
                Backoff.pause(Backoff.sleepingAttempt + Self.wokenAttempts - wokenAttempts)
                wokenAttempts -= 1
            } else {
                if woken { wake.lockWaiterSettled() }
                woken = sleepUntilReleased(attempt: attempt, deadline: deadline)
                if woken { wokenAttempts = Self.wokenAttempts }
            }
            attempt += 1
            if tryTake(for: me) {
                holds = true
                return
            }
        }
    }

    /// Sleeps on the wake word until a release wakes it or one slice passes, unless the lock
    /// byte is free once this process counts as a lock waiter (the release then either saw the
    /// waiter or made the byte visible first: `Docs/FORMAT.md`, "Wake protocol"). The slice is
    /// ``WakeWord/slice`` while the recorded owner is a process of this package, else the
    /// backoff's short sleep, and never runs past `deadline`. Returns whether a wake ended the
    /// sleep: this waiter may be the one a release woke. A sleep that ended at its timeout (or on
    /// a signal) settles at once, in case the flag was left set: by a woken waiter that died
    /// awake, by garbage, or by a process of an older build that took a release's wake.
    private func sleepUntilReleased(attempt: Int, deadline: ContinuousClock.Instant?) -> Bool {
        let value = wake.register(.lock)
        defer { wake.unregister(.lock) }
        guard words.lockByte.load(ordering: .relaxed) != 0 else { return false }
        var slice = words.recordedOwner().startTime != 0 ? WakeWord.slice : Backoff.sleepTime(attempt)
        if let deadline { slice = min(slice, ContinuousClock.now.duration(to: deadline)) }
        guard slice > .zero else { return false }
        switch wake.sleep(.lock, expecting: value, for: slice) {
        case .woken:
            return true
        case .timedOut:
            wake.lockWaiterSettled()
            return false
        case .wordChanged:
            return false
        }
    }

    /// Compare-exchanges the owner pid from `previous` to `me`'s and records `me`'s identity;
    /// returns whether it won. This is the single step that decides who owns the lock, both
    /// after taking the byte and when taking over from a dead owner.
    private func claimOwnerPID(from previous: UInt32, for me: LockOwner) -> Bool {
        guard words.ownerPID.compareExchange(expected: previous, desired: me.pid, ordering: .acquiringAndReleasing).exchanged else {
            return false
        }
        words.ownerIdentity.store(me.identity, ordering: .relaxed)
        return true
    }

    /// Past the deadline: returns true once it took the lock over from a dead owner; false to go
    /// on waiting a little (the lock was just released, an ownerless lock is still in its grace,
    /// or another waiter won the take-over); throws `lockTimeout` otherwise.
    private func takeOverAfterTimeout(
        for me: LockOwner,
        stealAfterTimeout: Bool,
        ownerlessSince: inout ContinuousClock.Instant?
    ) throws -> Bool {
        let owner = words.recordedOwner()
        if owner.pid == 0 {
            guard words.lockByte.load(ordering: .relaxed) != 0 else {
                ownerlessSince = nil
                return false
            }
            guard stealAfterTimeout else { throw timeoutError(owner: owner, alive: true) }
            let now = ContinuousClock.now
            guard let since = ownerlessSince else {
                ownerlessSince = now
                return false
            }
            guard now - since >= Self.ownerlessGrace else { return false }
        } else {
            ownerlessSince = nil
            let alive = owner.isAlive
            guard stealAfterTimeout, !alive else { throw timeoutError(owner: owner, alive: alive) }
        }
        guard claimOwnerPID(from: owner.pid, for: me) else { return false }
        // The byte is 1 already unless the lock was released in the instant before the claim.
        words.lockByte.store(1, ordering: .relaxed)
        return true
    }

    private func timeoutError(owner: LockOwner, alive: Bool) -> UltraDictError {
        let holder = switch (owner.pid, alive) {
        case (0, _): "held by a process that has not written its pid yet"
        case (_, true): "held by pid \(owner.pid)"
        case (_, false): "held by pid \(owner.pid), which is dead (pass stealAfterTimeout: true to take it over)"
        }
        return UltraDictError(.lockTimeout, "lock of '\(name)' not acquired within the timeout: \(holder)")
    }

    /// Releases one level; the last one frees the shared lock. Throws `lockStolen` if the calling
    /// thread does not hold it, or if another process took it over meanwhile (then the lock
    /// words are left to the new owner).
    public func release() throws {
        try threads.checkHeld()
        defer { threads.unlock() }
        guard threads.holdCount == 1 else { return }
        let me = UInt32(bitPattern: threads.process.pid)
        let owner = words.ownerPID.load(ordering: .relaxed)
        guard owner == me else {
            throw UltraDictError(.lockStolen, "lock of '\(name)' was taken over while pid \(me) held it: the owner pid is now \(owner)")
        }
        words.ownerIdentity.store(0, ordering: .relaxed)
        words.ownerPID.store(0, ordering: .relaxed)
        words.lockByte.store(0, ordering: .releasing)
        wake.wakeLockWaiter()
    }
}
