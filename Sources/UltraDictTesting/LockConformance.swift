#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Atomics
import Dispatch
import UltraDictConcurrency
import UltraDictCore
import UltraDictTransport

/// A clause of the `UltraDictLock` contract that a lock broke, as ``LockConformance`` found it.
public struct LockConformanceFailure: Error, Sendable, CustomStringConvertible {
    /// The clause, as the contract names it: "Acquire", "Re-entrancy", "Timeout", ...
    public let clause: String
    /// What the lock did instead.
    public let message: String

    /// The clause and what happened.
    public var description: String { "\(clause): \(message)" }
}

/// Tests a lock against the `UltraDictLock` contract; call it from your own tests:
///
/// ```swift
/// @Test func myLockKeepsTheContract() throws {
///     try LockConformance.check(MyLock.self)
/// }
/// ```
public enum LockConformance {
    /// Runs every check of the contract that one process can make on `Lock`, over a scratch
    /// control block that it creates and unlinks; throws the first ``LockConformanceFailure``.
    ///
    /// It checks, with several threads and two lock objects of one dictionary (two handles):
    /// acquire and release; release by a thread that does not hold the lock; exclusion between
    /// threads and between handles; re-entrancy across handles; timeouts (`.zero` tries once, a
    /// timeout waits at least its length, a live owner is not robbed with `stealAfterTimeout`).
    /// For a `UltraDictLockKind.shared` lock it also checks Python UltraDict's lock words: the
    /// byte at 8 and the pid at 4 while held, zeros after; a dead owner recorded there is taken
    /// over only with `stealAfterTimeout`, a live one never; a release after a take-over throws.
    /// What it cannot check in one process (exclusion between processes, forks) the package's
    /// multi-process tests check for the built-in locks. Takes about half a second.
    public static func check<Lock: SharedMemoryLock>(_: Lock.Type) throws {
        let name = SegmentName.random(prefix: "udlockcheck_")
        let control = ControlBlock(segment: try SharedMemoryStore().create(name: name, size: ControlLayout.size))
        defer { _ = try? SharedMemoryStore().unlink(name: name) }
        let checker = LockChecker(first: Lock(name: name, words: control.lockWords), second: Lock(name: name, words: control.lockWords), words: control.lockWords)
        try checker.acquireAndRelease()
        try checker.releaseByNonHolder()
        try checker.reentrancy()
        try checker.timeouts()
        try checker.exclusion(threads: 4, rounds: 2_000) { Lock(name: name, words: control.lockWords) }
        if Lock.kind == .shared {
            try checker.sharedWords()
            try checker.steal()
        }
    }
}

/// The checks, over two lock objects of one scratch dictionary.
private struct LockChecker<Lock: UltraDictLock>: Sendable {
    let first: Lock
    let second: Lock
    let words: LockWords

    /// A short timeout, for waits that must fail.
    let short = Duration.milliseconds(20)

    func acquireAndRelease() throws {
        let clause = "Acquire"
        try expectSuccess(clause, "acquire(timeout: nil) of a free lock") { try first.acquire(timeout: nil, stealAfterTimeout: false) }
        try expectSuccess(clause, "release of a held lock") { try first.release() }
        try expectSuccess(clause, "acquire(timeout: .zero) of a free lock") { try first.acquire(timeout: .zero, stealAfterTimeout: false) }
        try expectSuccess(clause, "release of a held lock") { try first.release() }
        try expectSuccess(clause, "withLock") {
            let result = try second.withLock { 42 }
            try expect(result == 42, clause, "withLock returned \(result), not the body's 42")
        }
    }

    func releaseByNonHolder() throws {
        let clause = "Release"
        try expectError(.lockStolen, clause, "release of a lock nobody holds") { try first.release() }
        let holder = try Holder(first)
        defer { holder.letGo() }
        try expectError(.lockStolen, clause, "release by a thread that does not hold the lock") { try second.release() }
        try expectError(.lockTimeout, clause, "acquire after a refused release (the lock must still be held)") {
            try second.acquire(timeout: short, stealAfterTimeout: false)
        }
    }

    func reentrancy() throws {
        let clause = "Re-entrancy"
        try expectSuccess(clause, "acquire") { try first.acquire(timeout: nil, stealAfterTimeout: false) }
        try expectSuccess(clause, "nested acquire(timeout: .zero) through the same handle") { try first.acquire(timeout: .zero, stealAfterTimeout: false) }
        try expectSuccess(clause, "nested acquire(timeout: .zero) through another handle") { try second.acquire(timeout: .zero, stealAfterTimeout: false) }
        try expectSuccess(clause, "inner release") { try second.release() }
        try expectSuccess(clause, "inner release") { try first.release() }
        try expectError(.lockTimeout, clause, "acquire by another thread while one level is still held") {
            try onAnotherThread { try second.acquire(timeout: short, stealAfterTimeout: false) }.get()
        }
        try expectSuccess(clause, "outer release") { try first.release() }
        try expectSuccess(clause, "acquire by another thread after the last release") {
            try onAnotherThread { try second.withLock(timeout: .seconds(1)) {} }.get()
        }
    }

    func timeouts() throws {
        let clause = "Timeout"
        let holder = try Holder(first)
        defer { holder.letGo() }
        try expectError(.lockTimeout, clause, "acquire(timeout: .zero) of a held lock") { try second.acquire(timeout: .zero, stealAfterTimeout: false) }
        let timeout = Duration.milliseconds(50)
        let started = ContinuousClock.now
        try expectError(.lockTimeout, clause, "acquire(timeout: 50 ms) of a held lock") { try second.acquire(timeout: timeout, stealAfterTimeout: false) }
        let waited = ContinuousClock.now - started
        try expect(waited >= timeout, clause, "acquire(timeout: 50 ms) gave up after \(waited)")
        try expectError(.lockTimeout, clause, "acquire(stealAfterTimeout: true) of a lock a live thread holds") {
            try second.acquire(timeout: short, stealAfterTimeout: true)
        }
        holder.letGo()
        try expectSuccess(clause, "acquire(timeout: 1 s) once the holder released") { try second.withLock(timeout: .seconds(1)) {} }
    }

    func exclusion(threads: Int, rounds: Int, makeLock: @escaping @Sendable () -> Lock) throws {
        let clause = "Holder"
        let inside = ManagedAtomic<Int>(0)
        let overlaps = ManagedAtomic<Int>(0)
        let results = (0..<threads).map { _ in
            onAnotherThread {
                let lock = makeLock()
                for round in 0..<rounds {
                    try lock.withLock {
                        if inside.loadThenWrappingIncrement(ordering: .relaxed) != 0 { overlaps.wrappingIncrement(ordering: .relaxed) }
                        if round % 3 == 0 { try lock.withLock(timeout: .zero) {} }
                        inside.wrappingDecrement(ordering: .relaxed)
                    }
                }
            }
        }
        for result in results { try expectSuccess(clause, "\(threads) threads × \(rounds) withLock") { try result.get() } }
        let count = overlaps.load(ordering: .relaxed)
        try expect(count == 0, clause, "two threads held the lock at once \(count) times in \(threads) × \(rounds) acquisitions")
    }

    func sharedWords() throws {
        let clause = "Shared lock words"
        let me = UInt32(bitPattern: ProcessIdentity.currentPID)
        try first.withLock {
            let (byte, pid) = (words.lockByte.load(ordering: .relaxed), words.ownerPID.load(ordering: .relaxed))
            try expect(byte == 1 && pid == me, clause, "while held, byte 8 is \(byte) and the pid at 4 is \(pid); expected 1 and \(me)")
        }
        let (byte, pid) = (words.lockByte.load(ordering: .relaxed), words.ownerPID.load(ordering: .relaxed))
        try expect(byte == 0 && pid == 0, clause, "after release, byte 8 is \(byte) and the pid at 4 is \(pid); expected 0 and 0")
    }

    func steal() throws {
        let clause = "Steal"
        let me = UInt32(bitPattern: ProcessIdentity.currentPID)
        defer { recordOwner(pid: 0, byte: 0) }

        // A dead owner, recorded as a Python process records itself.
        let dead = deadPID()
        recordOwner(pid: dead, byte: 1)
        try expectError(.lockTimeout, clause, "acquire without stealAfterTimeout of a lock a dead pid holds") {
            try first.acquire(timeout: short, stealAfterTimeout: false)
        }
        try expectSuccess(clause, "acquire(stealAfterTimeout: true) of a lock dead pid \(dead) holds") {
            try first.acquire(timeout: short, stealAfterTimeout: true)
        }
        let owner = words.ownerPID.load(ordering: .relaxed)
        try expectSuccess(clause, "release after a take-over") { try first.release() }
        try expect(owner == me, clause, "after a take-over the pid at 4 is \(owner), not \(me)")

        // A live owner (this process's parent) is never robbed.
        let live = UInt32(bitPattern: getppid())
        recordOwner(pid: live, byte: 1)
        do {
            try first.acquire(timeout: short, stealAfterTimeout: true)
            try? first.release()
            throw LockConformanceFailure(clause: clause, message: "acquire(stealAfterTimeout: true) took the lock from live pid \(live)")
        } catch let error as UltraDictError where error.code == .lockTimeout {
            try expect(error.message.contains("\(live)"), clause, "the timeout does not name the owner's pid \(live): \(error.message)")
        }
        let (byte, pid) = (words.lockByte.load(ordering: .relaxed), words.ownerPID.load(ordering: .relaxed))
        try expect(byte == 1 && pid == live, clause, "a failed take-over changed the words to byte \(byte), pid \(pid)")

        // Taken over while held: the release must throw and leave the new owner's words alone.
        recordOwner(pid: 0, byte: 0)
        try first.acquire(timeout: nil, stealAfterTimeout: false)
        recordOwner(pid: live, byte: 1)
        try expectError(.lockStolen, clause, "release of a lock that another process took over") { try first.release() }
        let (byteAfter, pidAfter) = (words.lockByte.load(ordering: .relaxed), words.ownerPID.load(ordering: .relaxed))
        try expect(byteAfter == 1 && pidAfter == live, clause, "a release after a take-over changed the words to byte \(byteAfter), pid \(pidAfter)")
    }

    /// Writes an owner into the words, as another process (a Python one: no identity) would.
    private func recordOwner(pid: UInt32, byte: UInt8) {
        words.ownerIdentity.store(0, ordering: .relaxed)
        words.ownerPID.store(pid, ordering: .relaxed)
        words.lockByte.store(byte, ordering: .releasing)
    }

    /// A pid that no process has: pids count up from low numbers, so search down from the top.
    private func deadPID() -> UInt32 {
        var pid: Int32 = 4_194_303
        while ProcessIdentity.isAlive(pid: pid, startTime: 0) { pid -= 1 }
        return UInt32(pid)
    }
}

// MARK: Helpers

private func expect(_ condition: Bool, _ clause: String, _ message: @autoclosure () -> String) throws {
    if !condition { throw LockConformanceFailure(clause: clause, message: message()) }
}

private func expectSuccess(_ clause: String, _ what: String, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let failure as LockConformanceFailure {
        throw failure
    } catch {
        throw LockConformanceFailure(clause: clause, message: "\(what) threw \(error)")
    }
}

private func expectError(_ code: UltraDictError.Code, _ clause: String, _ what: String, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as UltraDictError where error.code == code {
        return
    } catch {
        throw LockConformanceFailure(clause: clause, message: "\(what) threw \(error), expected \(code)")
    }
    throw LockConformanceFailure(clause: clause, message: "\(what) succeeded, expected \(code)")
}

/// Starts `body` on a thread of its own; `get()` waits for it and returns its result.
private func onAnotherThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) -> ThreadResult<T> {
    let result = ThreadResult<T>()
    // A serial queue of its own gets a thread of its own, even while other such threads block.
    DispatchQueue(label: "UltraDict.LockConformance").async {
        result.value = Result(catching: body)
        result.done.signal()
    }
    return result
}

/// What a thread started by `onAnotherThread` returned; `value` is written before `done` is signalled.
private final class ThreadResult<T: Sendable>: @unchecked Sendable {
    let done = DispatchSemaphore(value: 0)
    var value: Result<T, any Error>?

    func get() throws -> T {
        done.wait()
        return try value!.get()
    }
}

/// Another thread that holds a lock until ``letGo()``.
private final class Holder: Sendable {
    private let letGoSignal = DispatchSemaphore(value: 0)
    private let released: ThreadResult<Void>
    private let isHolding = ManagedAtomic<Bool>(false)

    /// Returns once the other thread holds `lock`; throws if it could not acquire it.
    init(_ lock: some UltraDictLock) throws {
        let acquired = DispatchSemaphore(value: 0)
        let (letGoSignal, isHolding) = (letGoSignal, isHolding)
        released = onAnotherThread {
            do {
                try lock.acquire(timeout: .seconds(5), stealAfterTimeout: false)
            } catch {
                acquired.signal()
                throw error
            }
            isHolding.store(true, ordering: .releasing)
            acquired.signal()
            letGoSignal.wait()
            try lock.release()
        }
        acquired.wait()
        if !isHolding.load(ordering: .acquiring) { _ = try released.get() }
    }

    /// Lets the lock go and waits until it is released; later calls do nothing.
    func letGo() {
        guard isHolding.exchange(false, ordering: .relaxed) else { return }
        letGoSignal.signal()
        _ = try? released.get()
    }
}
