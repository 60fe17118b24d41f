import Foundation
import Testing
import UltraDictConcurrency
import UltraDictCore
import UltraDictTransport
import _UltraDictTestSupport

/// How a release wakes the shared lock's sleepers (`Docs/FORMAT.md`, "Wake protocol"): one at a
/// time, none while the one it woke is still trying, and never none for good. Other processes
/// are simulated by threads sleeping on the words and by writing the lock words.
@Suite("Waking lock waiters", .serialized)
struct LockWakeTests {
    /// A waiter's sleep on `wake`, on a thread of its own: registers as a waiter of `kind`
    /// (a lock waiter by default), sleeps (one slice at most), unregisters.
    private func sleepAsWaiter(_ wake: WakeWord, of kind: WakeWord.Waiter = .lock) -> BackgroundCall<WakeWord.SleepEnd> {
        BackgroundCall {
            let value = wake.register(kind)
            defer { wake.unregister(kind) }
            return wake.sleep(kind, expecting: value, for: WakeWord.slice)
        }
    }

    /// The woken-lock-waiter flag as it is in shared memory.
    private func flag(of block: ScratchControlBlock) -> UInt32 {
        block.control.segment.base.load(fromByteOffset: ControlLayout.wokenLockWaiter, as: UInt32.self)
    }

    /// Two sleepers, two releases: the first wakes one sleeper, the second (the woken one not
    /// settled yet) wakes nobody and marks that it skipped; the other sleeper sleeps its slice.
    @Test func aReleaseWakesOneSleeperAndNoneWhileThatOneTries() throws {
        let block = try ScratchControlBlock()
        let wake = block.control.wake
        let sleepers = [sleepAsWaiter(wake), sleepAsWaiter(wake)]
        while wake.waiterCount != 2 << 16 { usleep(1_000) }
        Thread.sleep(forTimeInterval: 0.03)  // both asleep by now
        let released = ContinuousClock.now
        wake.wakeLockWaiter()
        wake.wakeLockWaiter()
        let ends = sleepers.map { $0.finish() }
        let woken = ends.filter { $0.result == .woken }
        #expect(woken.count == 1)
        #expect(woken.allSatisfy { $0.end - released < .milliseconds(50) }, "woke \(woken.map { $0.end - released })")
        #expect(ends.filter { $0.result == .timedOut }.count == 1)
        #expect(flag(of: block) == 2, "the second release marks its skip")
        wake.lockWaiterSettled()
        #expect(flag(of: block) == 0)
        #expect(wake.waiterCount == 0)
    }

    /// A release that finds the counted waiters awake (between their check and their sleep)
    /// clears the flag again and changes the word, so that they do not sleep.
    @Test func aReleaseThatFindsNobodyAsleepClearsTheFlag() throws {
        let block = try ScratchControlBlock()
        let wake = block.control.wake
        let value = wake.register(.lock)
        wake.wakeLockWaiter()
        #expect(flag(of: block) == 0)
        #expect(wake.sleep(.lock, expecting: value, for: .milliseconds(10)) == .wordChanged)
        wake.unregister(.lock)
    }

    /// A publication wakes the change waiters only; a release, the lock waiters only.
    @Test func eachKindOfWakeWakesItsOwnKind() throws {
        let block = try ScratchControlBlock()
        let wake = block.control.wake
        let lockSleeper = sleepAsWaiter(wake)
        let changeSleeper = sleepAsWaiter(wake, of: .changes)
        while wake.waiterCount != 1 << 16 | 1 { usleep(1_000) }
        Thread.sleep(forTimeInterval: 0.03)
        wake.wakeChangeWaiters()
        #expect(changeSleeper.finish().result == .woken)
        #expect(lockSleeper.finish().result == .timedOut)
    }

    /// A flag left set (a woken waiter killed before it settled, or garbage) makes releases
    /// wake nobody only until a lock waiter has slept a whole slice: that one clears it.
    @Test func aFlagLeftSetLastsOneSliceAtMost() throws {
        let block = try ScratchControlBlock()
        let lock = SharedSpinLock(name: block.name, words: block.words)
        let me = ProcessIdentity.current
        block.recordOwner(pid: me.pid, identity: identity(pid: me.pid, startTime: me.startTime))
        block.control.segment.base.storeBytes(of: 1, toByteOffset: ControlLayout.wokenLockWaiter, as: UInt32.self)
        let waiter = BackgroundCall { Result { try lock.withLock(timeout: .seconds(10)) {} } }
        let deadline = ContinuousClock.now + .seconds(5)
        while flag(of: block) != 0 && ContinuousClock.now < deadline { usleep(5_000) }
        #expect(flag(of: block) == 0, "a waiter that slept a whole slice clears the flag")
        block.recordOwner(pid: 0, byte: 0)  // the simulated owner releases without a wake
        #expect(throws: Never.self) { try waiter.finish().result.get() }
        #expect(block.recorded == (0, 0, 0))
    }

    /// So does a waiter whose timeout is shorter than a slice (its sleep ends at its timeout), or
    /// so short that it passes before the waiter ever sleeps (as any may on a loaded machine).
    @Test(arguments: [Duration.milliseconds(50), .nanoseconds(1)])
    func aShortTimeoutClearsAFlagLeftSetToo(timeout: Duration) throws {
        let block = try ScratchControlBlock()
        let lock = SharedSpinLock(name: block.name, words: block.words)
        let me = ProcessIdentity.current
        block.recordOwner(pid: me.pid, identity: identity(pid: me.pid, startTime: me.startTime))
        defer { block.recordOwner(pid: 0, byte: 0) }
        block.control.segment.base.storeBytes(of: 1, toByteOffset: ControlLayout.wokenLockWaiter, as: UInt32.self)
        let waiter = BackgroundCall { Result { try lock.acquire(timeout: timeout, stealAfterTimeout: false) } }
        #expect(throws: UltraDictError.self) { try waiter.finish().result.get() }
        #expect(flag(of: block) == 0)
    }

    /// A woken waiter that gives up while a release skipped its wake for it passes the wake on:
    /// a sleeper wakes, and the flag marks it awake.
    @Test func aWaiterThatGivesUpPassesOnASkippedWake() throws {
        let block = try ScratchControlBlock()
        let wake = block.control.wake
        block.control.segment.base.storeBytes(of: 2, toByteOffset: ControlLayout.wokenLockWaiter, as: UInt32.self)
        let sleeper = sleepAsWaiter(wake)
        while wake.waiterCount != 1 << 16 { usleep(1_000) }
        Thread.sleep(forTimeInterval: 0.03)
        wake.lockWaiterGaveUp()
        #expect(sleeper.finish().result == .woken)
        #expect(flag(of: block) == 1)
        wake.lockWaiterSettled()
    }
}
