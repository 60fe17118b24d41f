#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Testing
import UltraDict
import UltraDictTesting
import _UltraDictTestSupport

/// A lock written as a user would, against public API only (`import UltraDict`): the lock words
/// are a documented, sufficient extension point.
@Suite("A lock of one's own")
struct CustomLockTests {
    @Test func aLockBuiltOnThePublicLockWordsKeepsTheContract() throws {
        try LockConformance.check(WordLock.self)
    }

    /// Threads that write through the custom lock and threads that write through the built-in
    /// shared lock exclude each other through the lock words alone: no increment is lost.
    @Test func itGuardsARealDictionaryBesideTheBuiltInSharedLock() throws {
        let name = uniqueName()
        let created = try UltraDict<String, Int>(name: name, lock: WordLock.self)
        defer { created.unlink() }
        let (threads, rounds) = (4, 200)
        try runConcurrently(threads: threads) { index in
            let handle = index % 2 == 0
                ? try UltraDict<String, Int>(name: name, create: false, lock: WordLock.self)
                : try UltraDict<String, Int>(name: name, create: false, lock: SharedSpinLock.self)
            for _ in 0..<rounds { try handle.withLock { d in d["count", default: 0] += 1 } }
        }
        #expect(created["count"] == threads * rounds)
    }
}

/// A shared lock built on ``LockWords`` as Python UltraDict's protocol has it: the byte at 8 taken
/// by an exchange, the owner's pid at 4 and its identity at 320, a take-over from a dead owner by
/// a compare-exchange of the pid. Threads of this process queue on a re-entrant per-name mutex.
private final class WordLock: SharedMemoryLock {
    static let kind = UltraDictLockKind.shared

    private let name: String
    private let words: LockWords
    private let threads: ThreadState

    init(name: String, words: LockWords) {
        self.name = name
        self.words = words
        self.threads = ThreadState.shared(for: name)
    }

    func acquire(timeout: Duration?, stealAfterTimeout: Bool) throws {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        guard try threads.enter(until: deadline, name: name) else { return }
        let me = LockOwner.current
        while true {
            if words.lockByte.exchange(1, ordering: .acquiring) == 0 {
                if words.ownerPID.compareExchange(expected: 0, desired: me.pid, ordering: .acquiringAndReleasing).exchanged {
                    words.ownerIdentity.store(me.identity, ordering: .relaxed)
                    return
                }
            }
            if let deadline, ContinuousClock.now >= deadline {
                let owner = words.recordedOwner()
                if stealAfterTimeout, owner.pid != 0, !owner.isAlive,
                   words.ownerPID.compareExchange(expected: owner.pid, desired: me.pid, ordering: .acquiringAndReleasing).exchanged {
                    words.ownerIdentity.store(me.identity, ordering: .relaxed)
                    words.lockByte.store(1, ordering: .relaxed)
                    return
                }
                threads.leave()
                throw UltraDictError(.lockTimeout, "lock of '\(name)' is held by pid \(owner.pid)")
            }
            usleep(20)
        }
    }

    func release() throws {
        guard try threads.isLastLevel(name: name) else { return }
        defer { threads.leave() }
        guard words.ownerPID.load(ordering: .relaxed) == LockOwner.current.pid else {
            throw UltraDictError(.lockStolen, "lock of '\(name)' was taken over")
        }
        words.ownerIdentity.store(0, ordering: .relaxed)
        words.ownerPID.store(0, ordering: .relaxed)
        words.lockByte.store(0, ordering: .releasing)
    }
}

/// The thread that holds a dictionary's ``WordLock`` in this process, and how deeply; one per
/// name, shared by every handle.
private final class ThreadState: @unchecked Sendable {
    private static let registryLock = NSLock()
    nonisolated(unsafe) private static var registry: [String: ThreadState] = [:]

    static func shared(for name: String) -> ThreadState {
        registryLock.withLock {
            if let state = registry[name] { return state }
            let state = ThreadState()
            registry[name] = state
            return state
        }
    }

    private let lock = NSLock()
    private var holder: pthread_t?
    private var depth = 0

    /// Makes the calling thread the holder, waiting until `deadline`; returns false for a nested
    /// entry by the holder (which then holds the words already).
    func enter(until deadline: ContinuousClock.Instant?, name: String) throws -> Bool {
        let me = pthread_self()
        while true {
            let entered: Bool? = lock.withLock {
                if let holder, pthread_equal(holder, me) != 0 {
                    depth += 1
                    return false
                }
                guard holder == nil else { return nil }
                (holder, depth) = (me, 1)
                return true
            }
            if let entered { return entered }
            if let deadline, ContinuousClock.now >= deadline {
                throw UltraDictError(.lockTimeout, "lock of '\(name)' is held by another thread of this process")
            }
            usleep(20)
        }
    }

    /// Whether the calling thread's release is its last level (else it drops one); throws
    /// `lockStolen` if it does not hold the lock.
    func isLastLevel(name: String) throws -> Bool {
        try lock.withLock {
            guard let holder, pthread_equal(holder, pthread_self()) != 0 else {
                throw UltraDictError(.lockStolen, "lock of '\(name)' is not held by this thread")
            }
            if depth == 1 { return true }
            depth -= 1
            return false
        }
    }

    /// Leaves the lock for other threads.
    func leave() {
        lock.withLock { (holder, depth) = (nil, 0) }
    }
}
