/// Which kind of lock guards a dictionary's writers; recorded in the control block.
public enum UltraDictLockKind: UInt8, Sendable, CustomStringConvertible {
    /// A mutex inside one process: correct only when every writer is a thread of that process.
    case processLocal = 1
    /// A spinlock in shared memory with pid ownership: correct between processes.
    case shared = 2

    public var description: String {
        switch self {
        case .processLocal: "processLocal"
        case .shared: "shared"
        }
    }
}

/// A lock that serializes a dictionary's writers.
///
/// ## Contract
/// - `acquire` returns only when the caller holds the lock, and throws otherwise
///   (``UltraDictError/Code/lockTimeout`` after `timeout`, naming the owner when it is known).
/// - The lock is re-entrant for its holder: a nested `acquire` succeeds at once and needs its own
///   `release`.
/// - With `stealAfterTimeout`, a lock whose owner is provably dead is taken over after the
///   timeout; a live owner is never robbed.
/// - `release` by a caller that does not hold the lock throws ``UltraDictError/Code/lockStolen``.
public protocol UltraDictLock: AnyObject, Sendable {
    /// The kind recorded in the control block; attaching with another kind is refused.
    static var kind: UltraDictLockKind { get }

    /// Blocks until the lock is held, for at most `timeout` when one is given.
    func acquire(timeout: Duration?, stealAfterTimeout: Bool) throws

    /// Releases one level of the lock.
    func release() throws
}

extension UltraDictLock {
    /// Runs `body` while holding the lock, and releases it however `body` ends.
    @inlinable
    public func withLock<Result>(
        timeout: Duration? = nil,
        stealAfterTimeout: Bool = false,
        _ body: () throws -> Result
    ) throws -> Result {
        try acquire(timeout: timeout, stealAfterTimeout: stealAfterTimeout)
        do {
            let result = try body()
            try release()
            return result
        } catch {
            try? release()
            throw error
        }
    }
}
