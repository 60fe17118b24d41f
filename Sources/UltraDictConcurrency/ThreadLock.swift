#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization
import UltraDictCore
import UltraDictTransport

/// A re-entrant mutex shared by every handle of one dictionary in this process.
///
/// Threads queue here before a shared lock spins on shared memory, and a process-local lock is
/// only this. ``shared(for:)`` hands every handle of the same dictionary the same instance, so
/// two handles in one thread nest instead of deadlocking.
final class ThreadLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// How many times the owning thread holds it; read and written only by that thread.
    private(set) var holdCount = 0

    private init() {
        mutex = .allocate(capacity: 1)
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Takes the mutex, waiting until `deadline` if one is given; returns whether it is held.
    func lock(until deadline: ContinuousClock.Instant?) -> Bool {
        if let deadline {
            var attempt = 0
            while pthread_mutex_trylock(mutex) != 0 {
                if ContinuousClock.now >= deadline { return false }
                Backoff.pause(attempt)
                attempt += 1
            }
        } else {
            pthread_mutex_lock(mutex)
        }
        holdCount += 1
        return true
    }

    /// Releases one level.
    func unlock() {
        holdCount -= 1
        pthread_mutex_unlock(mutex)
    }

    /// Whether the calling thread holds the mutex (tried without blocking).
    var isHeldByCurrentThread: Bool {
        guard pthread_mutex_trylock(mutex) == 0 else { return false }
        defer { pthread_mutex_unlock(mutex) }
        return holdCount > 0
    }

    // MARK: One per dictionary name

    private static let registry = Mutex<[String: WeakThreadLock]>([:])

    /// The mutex of the dictionary `name` in this process.
    static func shared(for name: String) -> ThreadLock {
        registry.withLock { registry in
            if let existing = registry[name]?.lock { return existing }
            let lock = ThreadLock()
            registry = registry.filter { $0.value.lock != nil }
            registry[name] = WeakThreadLock(lock: lock)
            return lock
        }
    }
}

private struct WeakThreadLock: Sendable {
    weak var lock: ThreadLock?
}
