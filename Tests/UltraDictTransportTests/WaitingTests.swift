import Atomics
import Foundation
import Testing
import _UltraDictTestSupport
@testable import UltraDictTransport

/// The wake protocol in one process: the waiter's outcomes, its latency, its bookkeeping, and
/// the writer's cost when nobody waits. Multi-process and Python writers are in
/// `MultiProcessTests` and `InteropTests`.
@Suite("Waiting for changes", .serialized)
struct WaitingTests {
    /// A dictionary with one record, and the cursor after it.
    func logWithOneRecord(_ name: String) throws -> (UpdateLog, LogCursor) {
        let log = try UpdateLog.create(name: name, options: options)
        var cursor = LogCursor(counter: 0, position: 0)
        #expect(try log.append([1], cursor: &cursor))
        return (log, cursor)
    }

    @Test func returnsAtOnceWhenBehind() throws {
        let name = uniqueName()
        let (log, cursor) = try logWithOneRecord(name)
        defer { log.unlinkSegments(); #expect(segments(of: name).isEmpty) }
        let start = ContinuousClock.now
        #expect(log.waitForChanges(since: LogCursor(counter: 0, position: 0), timeout: .seconds(5)) == .changed)
        #expect(log.waitForChanges(since: LogCursor(counter: cursor.counter &+ 1, position: cursor.position)) == .changed)
        #expect(ContinuousClock.now - start < .milliseconds(50))
        #expect(log.control.wake.waiterCount == 0)
    }

    @Test func timesOutWhenNothingChanges() throws {
        let name = uniqueName()
        let (log, cursor) = try logWithOneRecord(name)
        defer { log.unlinkSegments() }
        for timeout in [Duration.zero, .milliseconds(30), .milliseconds(250)] {
            let start = ContinuousClock.now
            #expect(log.waitForChanges(since: cursor, timeout: timeout) == .timedOut)
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= timeout && elapsed < timeout + .milliseconds(100), "waited \(elapsed) for \(timeout)")
        }
        #expect(log.control.wake.waiterCount == 0)
    }

    @Test func aTimeoutTooLongToCountInNanosecondsIsWaitedOut() throws {
        let name = uniqueName()
        let (log, cursor) = try logWithOneRecord(name)
        defer { log.unlinkSegments() }
        #expect(Duration.seconds(Int64.max).saturatingNanoseconds == .max)
        #expect((Duration.seconds(Int64.max) * 2).saturatingNanoseconds == .max)
        #expect(Duration.seconds(-Int64.max).saturatingNanoseconds == .min)
        #expect((Duration.seconds(-Int64.max) * 2).saturatingNanoseconds == .min)
        #expect((Duration.seconds(3) + .nanoseconds(7)).saturatingNanoseconds == 3_000_000_007)
        #expect((Duration.seconds(-3) - .nanoseconds(7)).saturatingNanoseconds == -3_000_000_007)
        #expect(Duration.nanoseconds(Int64.max - 1).saturatingNanoseconds == Int64.max - 1)
        for timeout in [Duration.seconds(Int64.max) * 2, .seconds(Int64.max), .seconds(Int64.max / 2)] {
            var looks = 0
            let outcome = log.waitForChanges(since: cursor, timeout: timeout) {
                looks += 1
                return looks > 2  // two whole slices, then a stop: never a time-out
            }
            #expect(outcome == .stopped)
        }
    }

    @Test(arguments: [false, true])
    func aWriterWakesItPromptly(dump: Bool) throws {
        let name = uniqueName()
        let (log, cursor) = try logWithOneRecord(name)
        defer { log.unlinkSegments() }
        let writer = try UpdateLog.attach(name: name)
        let waiter = BackgroundCall { log.waitForChanges(since: cursor, timeout: .seconds(10)) }
        Thread.sleep(forTimeInterval: 0.05)  // asleep by now
        #expect(log.control.wake.waiterCount == 1)
        var writerCursor = cursor
        let written = ContinuousClock.now
        if dump { try writer.publishFullDump([2], cursor: &writerCursor) } else { #expect(try writer.append([2], cursor: &writerCursor)) }
        let (outcome, end) = waiter.finish()
        #expect(outcome == .changed)
        #expect(end - written < .milliseconds(20), "woke \(end - written) after the write")
        #expect(log.control.wake.waiterCount == 0)
    }

    /// A Python 0.0.6 writer, or one killed between its publication and its wake, publishes
    /// without waking: the waiter sees it at its next slice.
    @Test func aWriterThatNeverWakesIsSeenWithinOneSlice() throws {
        let name = uniqueName()
        let (log, cursor) = try logWithOneRecord(name)
        defer { log.unlinkSegments() }
        let waiter = BackgroundCall { log.waitForChanges(since: cursor, timeout: .seconds(10)) }
        Thread.sleep(forTimeInterval: 0.05)
        let written = ContinuousClock.now
        log.control.publishStreamPosition(cursor.position &+ 7)  // the position alone, no wake
        let (outcome, end) = waiter.finish()
        #expect(outcome == .changed)
        #expect(end - written <= WakeWord.slice + .milliseconds(50), "saw it \(end - written) after the write")
        #expect(log.control.wake.waiterCount == 0)
    }

    @Test func aStopConditionEndsTheWaitWhenInterrupted() throws {
        let name = uniqueName()
        let (log, cursor) = try logWithOneRecord(name)
        defer { log.unlinkSegments() }
        let stop = ManagedAtomic(false)
        let waiter = BackgroundCall { log.waitForChanges(since: cursor) { stop.load(ordering: .acquiring) } }
        Thread.sleep(forTimeInterval: 0.05)
        let stopped = ContinuousClock.now
        stop.store(true, ordering: .releasing)
        log.interruptWaiters()
        let (outcome, end) = waiter.finish()
        #expect(outcome == .stopped)
        #expect(end - stopped < .milliseconds(20), "stopped \(end - stopped) after the request")
        #expect(log.waitForChanges(since: cursor) { true } == .stopped)
        #expect(log.control.wake.waiterCount == 0)
    }

    /// An interrupt of this process's change waiters wakes them at once, and no sleeper with
    /// another process's bit (here a thread sleeping as one would), nor any lock waiter.
    @Test func anInterruptOfThisProcessWakesNoOtherProcess() throws {
        let name = uniqueName()
        let (log, cursor) = try logWithOneRecord(name)
        defer { log.unlinkSegments() }
        let wake = log.control.wake
        let otherBit: UInt32 = WakeWord.processBit == 1 << 31 ? 1 << 30 : WakeWord.processBit << 1
        let sleepers = [1 | otherBit, WakeWord.Waiter.lock.sleepBitset].map { bitset in
            BackgroundCall { system_futex_wait(wake.address, wake.word.load(ordering: .relaxed), nanoseconds: 300_000_000, bitset: bitset) }
        }
        let stop = ManagedAtomic(false)
        let waiter = BackgroundCall { log.waitForChanges(since: cursor) { stop.load(ordering: .acquiring) } }
        Thread.sleep(forTimeInterval: 0.05)  // all asleep by now
        let interrupted = ContinuousClock.now
        stop.store(true, ordering: .releasing)
        log.interruptChangeWaitersOfThisProcess()
        let (outcome, end) = waiter.finish()
        #expect(outcome == .stopped)
        #expect(end - interrupted < .milliseconds(20), "stopped \(end - interrupted) after the interrupt")
        for sleeper in sleepers { #expect(sleeper.finish().result == .timedOut) }
    }

    /// With nobody waiting for changes (lock waiters do not count), a write makes no `futex`
    /// call; with a change waiter registered, each publication makes one.
    @Test func writesWakeOnlyWhenSomeoneWaitsForChanges() throws {
        let name = uniqueName()
        let (log, _) = try logWithOneRecord(name)
        defer { log.unlinkSegments() }
        var cursor = LogCursor(counter: 0, position: 0)
        _ = try log.readChanges(since: cursor)
        let wake = log.control.wake
        func futexCalls(_ body: () throws -> Void) throws -> Int {
            let counter = SystemCallFault("futex", errno: 0, times: 0)
            try SystemCallFault.inject(counter) { try body() }
            return counter.callCount
        }
        let twoWrites = {
            #expect(try log.append([3], cursor: &cursor))
            try log.publishFullDump([4], cursor: &cursor)
        }
        #expect(try futexCalls(twoWrites) == 0)
        _ = wake.register(.lock)
        #expect(try futexCalls(twoWrites) == 0)
        wake.unregister(.lock)
        _ = wake.register(.changes)
        #expect(try futexCalls(twoWrites) == 2)
        wake.unregister(.changes)
        #expect(wake.waiterCount == 0)
    }

    /// The words are untrusted: a garbage count costs a wake that finds nobody, and a waiter
    /// leaves it as it found it; a failing `futex` only makes the waiter look again.
    @Test func garbageWordsAndFailingSleepsAreHarmless() throws {
        let name = uniqueName()
        let (log, cursor) = try logWithOneRecord(name)
        defer { log.unlinkSegments() }
        let base = log.control.segment.base
        base.storeBytes(of: UInt32.max, toByteOffset: ControlLayout.waiterCount, as: UInt32.self)
        base.storeBytes(of: UInt32.max, toByteOffset: ControlLayout.wakeWord, as: UInt32.self)
        #expect(log.waitForChanges(since: cursor, timeout: .milliseconds(20)) == .timedOut)
        #expect(log.control.wake.waiterCount == UInt32.max)
        var writerCursor = cursor
        #expect(try log.append([5], cursor: &writerCursor))  // wakes nobody, wraps the word
        #expect(base.load(fromByteOffset: ControlLayout.wakeWord, as: UInt32.self) == 0)
        base.storeBytes(of: 0, toByteOffset: ControlLayout.waiterCount, as: UInt32.self)
        for errno in [EINTR, EFAULT] {
            let start = ContinuousClock.now
            let outcome = SystemCallFault.inject(SystemCallFault("futex", errno: errno)) {
                log.waitForChanges(since: writerCursor, timeout: .milliseconds(30))
            }
            #expect(outcome == .timedOut && ContinuousClock.now - start < .milliseconds(200))
            #expect(log.control.wake.waiterCount == 0)
        }
    }
}
