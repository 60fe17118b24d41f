#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Atomics
import Testing
import UltraDict
import UltraDictTesting

@Suite("Lock conformance")
struct LockConformanceTests {
    @Test func sharedSpinLockKeepsTheContract() throws {
        try LockConformance.check(SharedSpinLock.self)
    }

    @Test func processLocalLockKeepsTheContract() throws {
        try LockConformance.check(ProcessLocalLock.self)
    }

    @Test func theCheckCatchesALockThatIsNotReentrant() throws {
        #expect { try LockConformance.check(NonReentrantLock.self) } throws: { error in
            (error as? LockConformanceFailure)?.clause == "Re-entrancy"
        }
    }
}

/// Excludes threads, but a nested acquire waits for itself: it breaks the re-entrancy clause.
private final class NonReentrantLock: SharedMemoryLock {
    static let kind = UltraDictLockKind.processLocal
    /// The holding thread, shared by every instance (as one dictionary's handles share a lock).
    private static let holder = ManagedAtomic<UInt>(0)

    init(name: String, words: LockWords) {}

    func acquire(timeout: Duration?, stealAfterTimeout: Bool) throws {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while !Self.holder.compareExchange(expected: 0, desired: threadID, ordering: .acquiring).exchanged {
            if let deadline, ContinuousClock.now >= deadline { throw UltraDictError(.lockTimeout, "held") }
            sched_yield()
        }
    }

    func release() throws {
        guard Self.holder.compareExchange(expected: threadID, desired: 0, ordering: .releasing).exchanged else {
            throw UltraDictError(.lockStolen, "not held by this thread")
        }
    }

    private var threadID: UInt {
        #if canImport(Darwin)
        UInt(bitPattern: pthread_self())
        #else
        pthread_self()
        #endif
    }
}
