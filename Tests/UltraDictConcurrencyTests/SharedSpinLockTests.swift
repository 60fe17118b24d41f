#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Atomics
import Foundation
import Testing
import UltraDictConcurrency
import UltraDictCore
import UltraDictTransport
import _UltraDictTestSupport

/// The shared lock in one process; other processes are simulated by writing their lock words.
@Suite("Shared spinlock")
struct SharedSpinLockTests {
    let me = ProcessIdentity.current
    let short = Duration.milliseconds(20)

    /// Expects `lockTimeout` whose message names `pid`.
    func expectTimeout(naming pid: Int32, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        #expect(sourceLocation: sourceLocation) { try body() } throws: { error in
            UltraDictError.lockTimeout ~= error && "\(error)".contains("pid \(pid)")
        }
    }

    @Test func recordsPidAndIdentityWhileHeldAndClearsThemOnRelease() throws {
        let block = try ScratchControlBlock()
        let lock = SharedSpinLock(name: block.name, words: block.words)
        try lock.withLock {
            let words = block.recorded
            #expect(words.byte == 1)
            #expect(words.pid == me.pid)
            #expect(words.identity == identity(pid: me.pid, startTime: me.startTime))
        }
        #expect(block.recorded == (0, 0, 0))
    }

    /// A release makes the `futex` call only when someone waits for the lock: waiters for
    /// changes do not count.
    @Test func aReleaseWakesOnlyWhenSomeoneWaitsForTheLock() throws {
        let block = try ScratchControlBlock()
        let lock = SharedSpinLock(name: block.name, words: block.words)
        let wake = block.control.wake
        func futexCallsOfOneAcquireAndRelease() throws -> Int {
            let counter = SystemCallFault("futex", errno: 0, times: 0)
            try SystemCallFault.inject(counter) { try lock.withLock {} }
            return counter.callCount
        }
        #expect(try futexCallsOfOneAcquireAndRelease() == 0)
        _ = wake.register(.changes)
        #expect(try futexCallsOfOneAcquireAndRelease() == 0)
        wake.unregister(.changes)
        _ = wake.register(.lock)
        #expect(try futexCallsOfOneAcquireAndRelease() == 1)
        wake.unregister(.lock)
        #expect(wake.waiterCount == 0)
    }

    @Test func nestedAcquireThroughAnotherHandleDoesNotTouchTheWords() throws {
        let block = try ScratchControlBlock()
        let outer = SharedSpinLock(name: block.name, words: block.words)
        let inner = SharedSpinLock(name: block.name, words: block.words)
        try outer.withLock {
            try inner.withLock(timeout: .zero) {}
            #expect(block.recorded.byte == 1, "an inner release must not free the lock")
            #expect(block.recorded.pid == me.pid)
        }
        #expect(block.recorded.byte == 0)
    }

    @Test func takesOverFromAReusedPidButNeverFromTheLiveOwner() throws {
        let parent = getppid()
        let start = try #require(ProcessIdentity.startTime(of: parent), "needs /proc")
        let block = try ScratchControlBlock()
        let lock = SharedSpinLock(name: block.name, words: block.words)

        // The parent with its own start time is the owner, alive: no take-over.
        block.recordOwner(pid: parent, identity: identity(pid: parent, startTime: start))
        expectTimeout(naming: parent) { try lock.acquire(timeout: short, stealAfterTimeout: true) }
        #expect(block.recorded.pid == parent)

        // The same pid with another start time: the owner died and its pid went to the parent.
        block.recordOwner(pid: parent, identity: identity(pid: parent, startTime: start + 1))
        try lock.withLock(timeout: short, stealAfterTimeout: true) {
            #expect(block.recorded.pid == me.pid)
            #expect(block.recorded.identity == identity(pid: me.pid, startTime: me.startTime))
        }
        #expect(block.recorded == (0, 0, 0))
    }

    @Test func believesTheIdentityWordOnlyWhenItNamesTheOwnerPid() throws {
        // A stale identity (a Python process took over and wrote only its pid) says nothing about
        // the owner, so its live pid alone decides.
        let parent = getppid()
        let block = try ScratchControlBlock()
        let lock = SharedSpinLock(name: block.name, words: block.words)
        defer { block.recordOwner(pid: 0, byte: 0) }
        block.recordOwner(pid: parent, identity: identity(pid: parent &+ 1, startTime: 12345))
        expectTimeout(naming: parent) { try lock.acquire(timeout: short, stealAfterTimeout: true) }
    }

    @Test func judgesAPythonOwnerByItsPidAlone() throws {
        let block = try ScratchControlBlock()
        let lock = SharedSpinLock(name: block.name, words: block.words)
        defer { block.recordOwner(pid: 0, byte: 0) }

        let parent = getppid()
        block.recordOwner(pid: parent)
        expectTimeout(naming: parent) { try lock.acquire(timeout: short, stealAfterTimeout: true) }

        let dead = try exitedProcess()
        block.recordOwner(pid: dead)
        try lock.withLock(timeout: short, stealAfterTimeout: true) { #expect(block.recorded.pid == me.pid) }
    }

    @Test func aDeadOwnerIsTakenOverOnlyWhenAskedAndTheTimeoutSaysItIsDead() throws {
        let block = try ScratchControlBlock()
        let lock = SharedSpinLock(name: block.name, words: block.words)
        defer { block.recordOwner(pid: 0, byte: 0) }
        let dead = try exitedProcess()
        block.recordOwner(pid: dead)
        #expect { try lock.acquire(timeout: short, stealAfterTimeout: false) } throws: { error in
            UltraDictError.lockTimeout ~= error && "\(error)".contains("pid \(dead), which is dead")
        }
        #expect(block.recorded.pid == dead)
    }

    @Test func aZombieOwnerIsDead() throws {
        let block = try ScratchControlBlock()
        let lock = SharedSpinLock(name: block.name, words: block.words)
        defer { block.recordOwner(pid: 0, byte: 0) }
        let zombie = try spawn("/bin/true")
        defer { var status: Int32 = 0; waitpid(zombie, &status, 0) }
        while processState(zombie) != "Z" { usleep(1000) }

        #expect(kill(zombie, 0) == 0, "a zombie still has its pid")
        block.recordOwner(pid: zombie)
        try lock.withLock(timeout: short, stealAfterTimeout: true) { #expect(block.recorded.pid == me.pid) }
    }

    @Test func aHeldLockWithoutAnOwnerPidIsTakenOverOnlyAfterTheGrace() throws {
        // Its owner died between taking the byte and writing its pid.
        let block = try ScratchControlBlock()
        let lock = SharedSpinLock(name: block.name, words: block.words)
        defer { block.recordOwner(pid: 0, byte: 0) }
        block.recordOwner(pid: 0)
        #expect { try lock.acquire(timeout: short, stealAfterTimeout: false) } throws: { error in
            UltraDictError.lockTimeout ~= error && "\(error)".contains("has not written its pid")
        }
        let started = ContinuousClock.now
        try lock.withLock(timeout: short, stealAfterTimeout: true) { #expect(block.recorded.pid == me.pid) }
        #expect(ContinuousClock.now - started >= short + SharedSpinLock.ownerlessGrace)
    }

    @Test func releaseAfterATakeOverThrowsAndLeavesTheNewOwnersWords() throws {
        let block = try ScratchControlBlock()
        let lock = SharedSpinLock(name: block.name, words: block.words)
        defer { block.recordOwner(pid: 0, byte: 0) }
        try lock.acquire(timeout: nil, stealAfterTimeout: false)
        block.recordOwner(pid: 4242, identity: 77)
        #expect { try lock.release() } throws: { error in
            UltraDictError.lockStolen ~= error && "\(error)".contains("owner pid is now 4242")
        }
        #expect(block.recorded == (1, 4242, 77))
        // The thread mutex was released: this thread may wait for the lock again.
        expectTimeout(naming: 4242) { try lock.acquire(timeout: .zero, stealAfterTimeout: false) }
    }

    @Test func eightThreadsNeverBothHoldIt() throws {
        let block = try ScratchControlBlock()
        let (name, words, myPID) = (block.name, block.words, UInt32(bitPattern: me.pid))
        let inside = ManagedAtomic<Int>(0)
        let violations = ManagedAtomic<Int>(0)
        let total = ManagedAtomic<Int>(0)
        try runConcurrently(threads: 8) { _ in
            let lock = SharedSpinLock(name: name, words: words)  // a handle of its own
            for _ in 0..<5_000 {
                try lock.withLock {
                    let alone = inside.loadThenWrappingIncrement(ordering: .relaxed) == 0
                    let recorded = words.lockByte.load(ordering: .relaxed) == 1 && words.ownerPID.load(ordering: .relaxed) == myPID
                    if !alone || !recorded { violations.wrappingIncrement(ordering: .relaxed) }
                    // A read-modify-write that loses counts if two threads overlap.
                    total.store(total.load(ordering: .relaxed) + 1, ordering: .relaxed)
                    inside.wrappingDecrement(ordering: .relaxed)
                }
            }
        }
        #expect(violations.load(ordering: .relaxed) == 0)
        #expect(total.load(ordering: .relaxed) == 40_000)
        #expect(block.recorded == (0, 0, 0))
    }

    @Test func lockObjectsSharingOnlyTheWordsExcludeEachOtherLikeProcesses() throws {
        // Different names give each lock a thread mutex of its own, so only the words exclude them.
        let block = try ScratchControlBlock()
        let (name, words) = (block.name, block.words)
        let inside = ManagedAtomic<Int>(0)
        let violations = ManagedAtomic<Int>(0)
        try runConcurrently(threads: 4) { index in
            let lock = SharedSpinLock(name: "\(name)_as_process_\(index)", words: words)
            for _ in 0..<5_000 {
                try lock.withLock {
                    if inside.loadThenWrappingIncrement(ordering: .relaxed) != 0 { violations.wrappingIncrement(ordering: .relaxed) }
                    inside.wrappingDecrement(ordering: .relaxed)
                }
            }
        }
        #expect(violations.load(ordering: .relaxed) == 0)
        #expect(block.recorded == (0, 0, 0))
    }

    @Test func waitersThatTakeOverTogetherNeverBothWin() throws {
        // Lock objects of different names share only the words, like processes; each round they
        // all find a dead owner at the same moment and race to take the lock over.
        let block = try ScratchControlBlock()
        let (name, words) = (block.name, block.words)
        let dead = UInt32(bitPattern: try exitedProcess())
        // As many threads as cores, spinning at a barrier, so that they race within a microsecond.
        let (threads, rounds) = (2, 1_000)
        let arrived = ManagedAtomic<Int>(0)
        let inside = ManagedAtomic<Int>(0)
        let violations = ManagedAtomic<Int>(0)
        let winners = ManagedAtomic<Int>(0)
        try runConcurrently(threads: threads) { index in
            let lock = SharedSpinLock(name: "\(name)_as_process_\(index)", words: words)
            for round in 0..<rounds {
                // Barrier: thread 0 records the dead owner, then everyone starts at once.
                if index == 0 {
                    words.ownerIdentity.store(0, ordering: .relaxed)
                    words.ownerPID.store(dead, ordering: .relaxed)
                    words.lockByte.store(1, ordering: .releasing)
                }
                arrived.wrappingIncrement(ordering: .acquiringAndReleasing)
                while arrived.load(ordering: .acquiring) < threads * (2 * round + 1) {}
                do {
                    try lock.withLock(timeout: .zero, stealAfterTimeout: true) {
                        if inside.loadThenWrappingIncrement(ordering: .relaxed) != 0 { violations.wrappingIncrement(ordering: .relaxed) }
                        winners.wrappingIncrement(ordering: .relaxed)
                        usleep(50)
                        inside.wrappingDecrement(ordering: .relaxed)
                    }
                } catch UltraDictError.lockTimeout {
                    // Another waiter won and holds the lock: it is alive, so this one gives up.
                } catch {
                    violations.wrappingIncrement(ordering: .relaxed)  // and go on to the barrier
                }
                arrived.wrappingIncrement(ordering: .acquiringAndReleasing)
                while arrived.load(ordering: .acquiring) < threads * (2 * round + 2) {}
            }
        }
        #expect(violations.load(ordering: .relaxed) == 0)
        #expect(winners.load(ordering: .relaxed) >= rounds)
        #expect(block.recorded == (0, 0, 0))
    }

    @Test func aWaiterBacksOffInsteadOfBurningACore() throws {
        let block = try ScratchControlBlock()
        let lock = SharedSpinLock(name: block.name, words: block.words)
        defer { block.recordOwner(pid: 0, byte: 0) }
        block.recordOwner(pid: getppid())
        let wait = Duration.milliseconds(500)
        let cpuBefore = threadCPUTime()
        #expect(throws: (any Error).self) { try lock.acquire(timeout: wait, stealAfterTimeout: false) }
        let cpu = threadCPUTime() - cpuBefore
        #expect(cpu < wait / 4, "a 500 ms wait used \(cpu) of CPU")
    }
}

/// The pid of a process that ran and was reaped: no process has it now.
private func exitedProcess() throws -> Int32 {
    let pid = try spawn("/bin/true")
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return pid
}

/// Starts `path` without arguments and returns its pid; the caller reaps it.
private func spawn(_ path: String) throws -> Int32 {
    var pid: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup(path), nil]
    defer { free(argv[0]) }
    let result = posix_spawn(&pid, path, nil, nil, argv, environ)
    try #require(result == 0, "posix_spawn \(path): \(result)")
    return pid
}

/// The state letter of `/proc/PID/stat` (R, S, Z, ...), or nil.
private func processState(_ pid: Int32) -> Character? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return nil }
    return stat[stat.index(after: close)...].first { $0 != " " }
}
