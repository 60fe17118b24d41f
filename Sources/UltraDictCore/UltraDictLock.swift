/// Which kind of lock guards a dictionary's writers; recorded in the control block.
public enum UltraDictLockKind: UInt8, Sendable, CustomStringConvertible {
    /// A mutex inside one process: correct only when every writer is a thread of that process.
    case processLocal = 1
    /// A lock in shared memory with pid ownership: correct between processes. A lock of this
    /// kind uses Python UltraDict's lock words (the byte at 8, the owner pid at 4), because the
    /// control block tells Python processes to use them too.
    case shared = 2

    /// The kind's name, as error messages show it.
    public var description: String {
        switch self {
        case .processLocal: "processLocal"
        case .shared: "shared"
        }
    }
}

/// A lock that serializes a dictionary's writers, and the user's read-modify-write.
///
/// ## Contract
///
/// Every conforming lock keeps these rules; `LockConformance.check(_:)` in `UltraDictTesting`
/// tests a lock against them.
///
/// - **Holder.** The lock is held by one thread at a time, in one process at a time for a lock
///   that excludes processes (``UltraDictLockKind/shared``). Every lock object of one dictionary
///   in a process (one per handle) is the same lock: a thread holding it through one handle holds
///   it through all of them.
/// - **Acquire** returns only when the calling thread holds the lock, and otherwise throws,
///   leaving nothing held and nothing changed.
/// - **Re-entrancy.** The holder's nested `acquire` succeeds at once, whatever its timeout, and
///   needs its own `release`; the lock is free again after the last `release`.
/// - **Timeout.** With `timeout: nil`, `acquire` waits as long as it takes. With a timeout it
///   waits at least that long in total (queueing behind other threads of this process included;
///   `.zero` tries once) and then throws ``UltraDictError/Code/lockTimeout``, whose message
///   names the owner's pid when it is known. A timeout says only that the lock was not free in
///   time: the owner may be slow, stopped or dead.
/// - **Steal.** With `stealAfterTimeout`, an `acquire` that timed out first checks whether the
///   owner is provably dead (no process has its pid, or that process is a zombie or started at
///   another time than the owner did); if so it takes the lock over instead of throwing, and
///   returns holding it exactly as after a normal acquire. What the lock protects may then be
///   half-written by the dead owner: the new holder must check it (the dictionary repairs an
///   interrupted publication). A live owner is never robbed: the result is then `lockTimeout`.
///   When several waiters steal at once, exactly one wins; the others go on waiting or time out.
///   A lock whose owner cannot die without the caller's process (a process-local lock) ignores
///   the flag.
/// - **Release** releases one level. A caller that does not hold the lock gets
///   ``UltraDictError/Code/lockStolen`` and changes nothing; so does the owner of a lock that was
///   taken over meanwhile (which cannot happen while it lives, but a release must never free a
///   lock that someone else holds).
/// - **Fork.** A child forked while a thread held the lock does not hold it: that thread's
///   nested `acquire` and its `release` in the child throw `lockStolen` saying so, rather than
///   letting two processes believe they hold it.
/// - **Thread safety.** A lock object may be used from any thread.
public protocol UltraDictLock: AnyObject, Sendable {
    /// The kind recorded in the control block; attaching with another kind is refused.
    static var kind: UltraDictLockKind { get }

    /// Blocks until the calling thread holds the lock, for at most `timeout` when one is given;
    /// with `stealAfterTimeout`, takes it over from a dead owner after the timeout (see the
    /// contract above).
    func acquire(timeout: Duration?, stealAfterTimeout: Bool) throws

    /// Releases one level of the lock; throws `lockStolen` if the caller does not hold it.
    func release() throws
}

extension UltraDictLock {
    /// Runs `body` while holding the lock, and releases it however `body` ends.
    ///
    /// An error from `body` is rethrown (a failing release is then ignored); otherwise a failing
    /// release is thrown, after `body` ran.
    @inlinable
    public func withLock<Result>(
        timeout: Duration? = nil,
        stealAfterTimeout: Bool = false,
        _ body: () throws -> Result
    ) throws -> Result {
        try acquire(timeout: timeout, stealAfterTimeout: stealAfterTimeout)
        let result: Result
        do {
            result = try body()
        } catch {
            try? release()
            throw error
        }
        try release()
        return result
    }
}
