#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Atomics
import UltraDictCore
import UltraDictTransport

/// A re-entrant mutex shared by every handle of one dictionary in this process.
///
/// Threads take it before a shared lock spins on shared memory, and a process-local lock is
/// only this. ``shared(for:)`` hands every handle of the same dictionary the same instance, so
/// two handles in one thread nest instead of deadlocking.
///
/// The owner word is the lock: taking it is one compare-exchange, releasing it one store, with
/// no system call. A waiter spins briefly, then yields, then sleeps in steps (``Backoff``), as
/// waiters on the shared lock do.
///
/// After `fork` the child gets every lock free: the threads that held them do not exist there.
/// If the forking thread itself held one, the child's copy of that thread is inside a critical
/// section it does not own; its next ``lock(timeout:)`` or ``checkHeld()`` throws `lockStolen`
/// saying so, once per level it held, so that leaving the critical section reports the fork
/// instead of silently releasing (or double-owning) the parent's lock.
final class ThreadLock: @unchecked Sendable {
    /// The dictionary's name, for error messages.
    let name: String
    // The two atomics are `UnsafeAtomic`s that this lock allocates and frees: their operations
    // inline fully, where a `ManagedAtomic`'s go through a call to find its storage.
    /// The holding thread (``currentThread``), 0 when free: taken by a compare-exchange from 0
    /// (acquiring), given back by a store of 0 (releasing), so that the holder's state below
    /// passes from one holder to the next.
    private let owner = UnsafeAtomic<UInt>.create(0)
    /// How many times the owning thread holds it; read and written only by that thread.
    private(set) var holdCount = 0
    /// ``process``, or a pid of 0 until it is first asked for (again after a fork).
    private var processCache: (pid: Int32, startTime: UInt64) = (0, 0)
    /// In a forked child: the forking thread while it is still inside critical sections it held
    /// at the fork, else 0. Other threads only compare it with themselves.
    private let inheritingThread = UnsafeAtomic<UInt>.create(0)
    /// How many of those levels are left, and the parent's pid; used only by the inheriting thread.
    private var inherited: (levels: Int, fromPID: Int32) = (0, 0)

    private init(name: String) {
        self.name = name
    }

    deinit {
        owner.destroy()
        inheritingThread.destroy()
    }

    /// Takes one level, waiting at most `timeout` when one is given; returns how long it waited,
    /// or `nil` when it did not wait (then it reads no clock).
    ///
    /// Throws `lockTimeout` after `timeout`, and `lockStolen` for the forking thread of a child
    /// forked while it held the lock (see the type's documentation).
    @discardableResult
    func lock(timeout: Duration?) throws -> Duration? {
        let me = currentThread
        if owner.load(ordering: .relaxed) == me {
            holdCount += 1
            return nil
        }
        if inheritingThread.load(ordering: .relaxed) == me { throw forkError(action: "acquire it again") }
        let waited = tryTake(for: me) ? nil : try wait(for: me, timeout: timeout)
        holdCount = 1
        return waited
    }

    /// Takes the lock if it is free (a load first, so that waiters do not keep writing its line).
    private func tryTake(for me: UInt) -> Bool {
        owner.load(ordering: .relaxed) == 0 && owner.compareExchange(expected: 0, desired: me, ordering: .acquiring).exchanged
    }

    /// Polls with backoff until the lock is taken (returns how long that took) or `timeout`, when
    /// one is given, has passed.
    private func wait(for me: UInt, timeout: Duration?) throws -> Duration {
        let start = ContinuousClock.now
        var attempt = 0
        while !tryTake(for: me) {
            if let timeout, ContinuousClock.now - start >= timeout {
                throw UltraDictError(.lockTimeout, "lock of '\(name)' not acquired within the timeout: another thread of this process holds it")
            }
            Backoff.pause(attempt)
            attempt += 1
        }
        return ContinuousClock.now - start
    }

    /// This process's pid and start time (``ProcessIdentity/current``), cached; only the holder
    /// asks for it.
    var process: (pid: Int32, startTime: UInt64) {
        if processCache.pid == 0 { processCache = ProcessIdentity.current }
        return processCache
    }

    /// Releases one level; the caller holds it (``checkHeld()``).
    func unlock() {
        holdCount -= 1
        guard holdCount == 0 else { return }
        owner.store(0, ordering: .releasing)
    }

    /// Throws `lockStolen` unless the calling thread holds it. In a child forked while this
    /// thread held it, each call consumes one inherited level and throws the fork diagnostic.
    func checkHeld() throws {
        let me = currentThread
        if owner.load(ordering: .relaxed) == me { return }
        if inheritingThread.load(ordering: .relaxed) == me {
            inherited.levels -= 1
            if inherited.levels == 0 { inheritingThread.store(0, ordering: .relaxed) }
            throw forkError(action: "release it")
        }
        throw UltraDictError(.lockStolen, "lock of '\(name)' released by a thread that does not hold it")
    }

    private func forkError(action: String) -> UltraDictError {
        UltraDictError(
            .lockStolen,
            "lock of '\(name)': this process (pid \(ProcessIdentity.currentPID)) was forked from pid \(inherited.fromPID) while this thread held the lock; the child does not hold it, so it cannot \(action) inside the critical section it was forked in"
        )
    }

    /// In the child, right after `fork` (one thread): every lock free; the forking thread's levels become inherited.
    private func resetInChild(forkingThread: UInt) {
        let heldByForkingThread = owner.load(ordering: .relaxed) == forkingThread
        inheritingThread.store(heldByForkingThread ? forkingThread : 0, ordering: .relaxed)
        inherited = heldByForkingThread ? (holdCount, getppid()) : (0, 0)
        owner.store(0, ordering: .relaxed)
        holdCount = 0
        processCache = (0, 0)
    }

    // MARK: One per dictionary

    /// Guards ``registry``; a pthread mutex so that the fork handlers can hold it across `fork`.
    nonisolated(unsafe) private static let registryMutex: UnsafeMutablePointer<pthread_mutex_t> = {
        let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_atfork(
            { pthread_mutex_lock(ThreadLock.registryMutex) },
            { pthread_mutex_unlock(ThreadLock.registryMutex) },
            {
                let forkingThread = currentThread
                for entry in ThreadLock.registry.values { entry.lock?.resetInChild(forkingThread: forkingThread) }
                pthread_mutex_init(ThreadLock.registryMutex, nil)
            }
        )
        return mutex
    }()
    nonisolated(unsafe) private static var registry: [String: WeakThreadLock] = [:]

    /// The mutex in this process of the dictionary `identity` (its control segment's file,
    /// `LockWords.dictionaryIdentity`), named `name` in messages.
    static func shared(for identity: String, name: String) -> ThreadLock {
        pthread_mutex_lock(registryMutex)
        defer { pthread_mutex_unlock(registryMutex) }
        if let existing = registry[identity]?.lock { return existing }
        let lock = ThreadLock(name: name)
        registry = registry.filter { $0.value.lock != nil }
        registry[identity] = WeakThreadLock(lock: lock)
        return lock
    }
}

private struct WeakThreadLock {
    weak var lock: ThreadLock?
}

/// The calling thread's identity: its `pthread_self()`, which `fork` keeps for the forking thread.
private var currentThread: UInt {
    #if canImport(Darwin)
    UInt(bitPattern: pthread_self())
    #else
    pthread_self()
    #endif
}
