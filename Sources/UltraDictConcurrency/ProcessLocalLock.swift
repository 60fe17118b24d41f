import UltraDictCore
import UltraDictTransport

/// A re-entrant mutex for a dictionary whose writers are all threads of one process.
///
/// Every handle of the same dictionary in this process shares one mutex, so threads and nested
/// handles are serialized. It writes nothing to shared memory.
///
/// Warning: it does not exclude other processes. If two processes write a dictionary that uses
/// it, their records can overwrite each other in the stream and writes are lost, exactly as with
/// Python UltraDict's default lock. Use ``SharedSpinLock`` for more than one writing process.
public final class ProcessLocalLock: SharedMemoryLock {
    /// ``UltraDictLockKind/processLocal``.
    public static let kind = UltraDictLockKind.processLocal

    private let mutex: ThreadLock

    /// Creates the lock of the dictionary `name`; the lock words are not used.
    public init(name: String, words: LockWords) {
        mutex = ThreadLock.shared(for: name)
    }

    /// Takes the mutex; `stealAfterTimeout` has no effect (a thread of this process cannot die
    /// holding it without the process dying too).
    public func acquire(timeout: Duration?, stealAfterTimeout: Bool) throws {
        guard mutex.lock(until: timeout.map { ContinuousClock.now + $0 }) else {
            throw UltraDictError(.lockTimeout, "process-local lock not acquired within \(timeout!): another thread holds it")
        }
    }

    /// Releases one level; throws `lockStolen` if the calling thread does not hold it.
    public func release() throws {
        guard mutex.isHeldByCurrentThread else {
            throw UltraDictError(.lockStolen, "process-local lock released by a thread that does not hold it")
        }
        mutex.unlock()
    }
}
