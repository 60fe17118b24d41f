import UltraDictCore
import UltraDictTransport

/// A re-entrant mutex for a dictionary whose writers are all threads of one process.
///
/// Every handle of the same dictionary in this process shares one mutex, so threads exclude each
/// other and one thread may nest acquisitions, through any of its handles. It writes nothing to
/// shared memory, and costs, uncontended, a compare-exchange and a store. A waiter spins briefly,
/// then yields, then sleeps in steps.
///
/// Warning: it does not exclude other processes, and it cannot tell that another process writes.
/// If two processes write a dictionary that uses it, each believes it holds the lock: their
/// records overwrite each other in the update stream, writes are lost without an error, and a
/// read-modify-write under ``withLock(timeout:stealAfterTimeout:_:)`` is not atomic (exactly as with
/// Python UltraDict's default lock). Readers in other processes are safe. For more than one
/// writing process use ``SharedSpinLock``; a dictionary records its lock kind, so a process
/// cannot attach with the other one by mistake.
///
/// After `fork`, a child forked while one of its threads held the lock does not hold it: the
/// forking thread's nested acquire and its release throw `lockStolen` saying so.
public final class ProcessLocalLock: SharedMemoryLock {
    /// `UltraDictLockKind.processLocal`.
    public static let kind = UltraDictLockKind.processLocal

    private let mutex: ThreadLock

    /// Creates the lock of the dictionary `name`; the lock words only say which dictionary it is.
    public init(name: String, words: LockWords) {
        mutex = ThreadLock.shared(for: words.dictionaryIdentity, name: name)
    }

    /// Takes the mutex, waiting at most `timeout` when one is given (then throws `lockTimeout`);
    /// re-entrant. `stealAfterTimeout` has no effect: a thread cannot die holding it without the
    /// process dying too.
    public func acquire(timeout: Duration?, stealAfterTimeout: Bool) throws {
        try mutex.lock(timeout: timeout)
    }

    /// Releases one level; throws `lockStolen` if the calling thread does not hold it.
    public func release() throws {
        try mutex.checkHeld()
        mutex.unlock()
    }
}
