import Foundation
import Testing
import UltraDict
import UltraDictTransport  // the update log's waiter, which UltraDict's waiting will build on
import _UltraDictTestSupport

/// The wake protocol between real processes: a writer or a lock holder in the test helper wakes
/// a waiter here, or the helper waits while this process holds the lock.
@Suite("Being woken by another process", .serialized)
struct WakeTests {
    /// Each of five writes in another process wakes a waiter well within one slice (100 ms):
    /// by the futex, since a waiter that only looked at its slice boundaries would see all five
    /// within 30 ms with a chance of 0.3^5.
    @Test func aWriterInAnotherProcessWakesTheWaiter() throws {
        let fixture = try StoreFixture(.sharedMemory)
        defer { fixture.remove() }
        let name = uniqueName()
        let d: UltraDict<String, Int> = try fixture.createDictionary(name, serializer: "msgpack")
        defer { d.unlink(); #expect(fixture.segments(of: name).isEmpty) }
        let log = try UpdateLog.attach(name: name)
        var cursor = try log.readChanges(since: LogCursor(counter: 0, position: 0)).cursor
        let writer = try fixture.helper(["write-on-line", name, "5"])
        #expect(writer.readLine() == "ready")
        for round in 1...5 {
            let since = cursor
            let waiter = BackgroundCall { log.waitForChanges(since: since, timeout: .seconds(10)) }
            Thread.sleep(forTimeInterval: 0.02)  // asleep by now
            let sent = ContinuousClock.now
            writer.send("write")
            let (outcome, end) = waiter.finish()
            #expect(outcome == .changed)
            #expect(end - sent < .milliseconds(30), "round \(round): woke \(end - sent) after the request to write")
            #expect(writer.readLine() == "written \(round)")
            cursor = try log.readChanges(since: cursor).cursor
        }
        #expect(writer.finish().status == 0)
        #expect(log.control.wake.waiterCount == 0)
    }

    /// A process waiting a second for the lock sleeps (it uses a few milliseconds of CPU, where
    /// spinning would use the whole second), and the release wakes it at once.
    @Test func aLockWaiterSleepsUntilTheReleaseWakesIt() throws {
        let fixture = try StoreFixture(.sharedMemory)
        defer { fixture.remove() }
        let name = uniqueName()
        let d: UltraDict<String, Int> = try fixture.createDictionary(name, serializer: "msgpack")
        defer { d.unlink(); #expect(fixture.segments(of: name).isEmpty) }
        let holder = try fixture.helper(["hold-lock-and-wait", name])
        #expect(holder.readLine().hasPrefix("holding "))
        let waiter = try fixture.helper(["wait-for-lock", name, "10000"])
        Thread.sleep(forTimeInterval: 1)
        let released = ContinuousClock.now
        holder.send("release")
        let line = waiter.readLine()
        let woke = ContinuousClock.now - released
        let cpu = try #require(line.hasPrefix("acquired cpu ") ? Int(line.dropFirst("acquired cpu ".count)) : nil, "waiter said \(line)")
        #expect(cpu < 20_000, "the waiter used \(cpu) µs of CPU in about a second of waiting")
        #expect(woke < .milliseconds(50), "the waiter took the lock \(woke) after the release was requested")
        #expect(holder.finish().status == 0 && waiter.finish().status == 0)
        let log = try UpdateLog.attach(name: name)
        #expect(log.control.wake.waiterCount == 0)
    }

    /// A writer killed after publishing a record and before waking anyone (SIGKILL, the lock
    /// still recorded as its own) leaves no waiter asleep past one slice: the waiter sees the
    /// record at its slice's end, and the dictionary stays writable, the record kept.
    @Test func aWriterKilledBeforeWakingLeavesNoWaiterAsleepPastOneSlice() throws {
        let fixture = try StoreFixture(.sharedMemory)
        defer { fixture.remove() }
        let name = uniqueName()
        let d: UltraDict<String, Int> = try fixture.createDictionary(name, serializer: "msgpack")
        defer { d.unlink(); #expect(fixture.segments(of: name).isEmpty) }
        let waiter = BackgroundCall { Result { try d.waitForChanges(timeout: .seconds(10)) } }
        Thread.sleep(forTimeInterval: 0.02)  // asleep by now
        let writer = try fixture.helper(["publish-and-die", name, "left", "7"])
        #expect(writer.readLine() == "published")
        let published = ContinuousClock.now
        let (changed, end) = waiter.finish()
        #expect(try changed.get(), "the waiter timed out")
        #expect(end - published < WakeWord.slice + .milliseconds(100), "the waiter woke \(end - published) after the publication")
        #expect(writer.finish().status == SIGKILL && writer.process.terminationReason == .uncaughtSignal)
        #expect(d["left"] == 7)
        try d.withLock(timeout: .milliseconds(100), stealAfterTimeout: true) { d in d["after"] = 1 }
        #expect(d.count == 2)
    }
}
