import Foundation
import Testing
import UltraDict
import UltraDictTransport  // the update log's waiter
import _UltraDictTestSupport

/// Python UltraDict 0.0.6 writers and lock holders never wake anyone: a Swift waiter sees their
/// changes, and takes the lock they release, by looking again at the end of each slice.
@Suite("Waiting on Python UltraDict 0.0.6")
struct WakeInteropTests {
    @Test func aPythonWriterIsSeenWithinOneSlice() throws {
        let s = InteropSession(.msgpack)
        defer { s.finish() }
        let (_, python): (UltraDict<String, UltraValue>, PythonAgent) = try s.open(creator: .python, bufferSize: 1 << 16)
        let log = try UpdateLog.attach(name: s.name)
        for round in 0..<3 {
            let cursor = try log.readChanges(since: LogCursor(counter: 0, position: 0)).cursor
            let waiter = BackgroundCall { log.waitForChanges(since: cursor, timeout: .seconds(10)) }
            Thread.sleep(forTimeInterval: 0.02)
            let sent = ContinuousClock.now
            try python.run("set py\(round).")
            let (outcome, end) = waiter.finish()
            #expect(outcome == .changed)
            #expect(end - sent < WakeWord.slice + .milliseconds(100), "round \(round): saw Python's write \(end - sent) after asking for it")
        }
        #expect(log.control.wake.waiterCount == 0)
    }

    /// `changes()` with a Python writer (Python's defaults but the shared lock): every change
    /// arrives, in order, each within one slice of Python writing it. On two threads of its own,
    /// so that tests blocking the shared pool meanwhile do not delay it.
    @Test func changesFromAPythonWriterArriveInOrderWithinOneSlice() async throws {
        guard #available(macOS 15, *) else { Issue.record("task executors need macOS 15"); return }
        try await onThreadsOfItsOwn { _ in
            let s = InteropSession(.pickle)
            defer { s.finish() }
            let (d, python): (UltraDict<Int, Int>, PythonAgent) = try s.open(creator: .python, bufferSize: 1 << 16)
            var changes = d.changes().makeAsyncIterator()
            for round in 0..<3 {
                let start = round * 10
                let sent = ContinuousClock.now
                try python.run("write-range \(start) \(start + 10)")
                var seen: [UltraDictChange<Int, Int>] = []
                while seen.count < 10, let change = try await changes.next() { seen.append(change) }
                #expect(seen == (start..<start + 10).map { .set($0, $0) })
                #expect(ContinuousClock.now - sent < WakeWord.slice + .milliseconds(300), "round \(round)")
            }
        }
    }

    /// A Python holder's release wakes nobody: a Swift waiter behind it sleeps in short steps
    /// (the recorded owner names no start time), so it takes the lock within milliseconds of the
    /// release, not at the end of a 100 ms slice.
    @Test func aLockReleasedByPythonIsTakenPromptly() throws {
        let s = InteropSession(.msgpack)
        defer { s.finish() }
        let (_, python): (UltraDict<String, Int>, PythonAgent) = try s.open(creator: .swift, bufferSize: 1 << 16)
        let name = s.name
        let lockByte = try UpdateLog.attach(name: s.name).control.lockWords.lockByte
        for round in 0..<3 {
            python.start("hold-lock-for 0.5")
            while lockByte.load(ordering: .acquiring) == 0 { Thread.sleep(forTimeInterval: 0.001) }
            let waiter = BackgroundCall {
                Result {
                    let lock = SharedSpinLock(name: name, words: try UpdateLog.attach(name: name).control.lockWords)
                    try lock.acquire(timeout: .seconds(10), stealAfterTimeout: false)
                    try lock.release()
                }
            }
            _ = try python.answer(to: "hold-lock-for 0.5")
            let answered = ContinuousClock.now
            let (result, end) = waiter.finish()
            #expect(throws: Never.self) { try result.get() }
            #expect(end - answered < .milliseconds(30), "round \(round): took the lock \(end - answered) after Python answered")
        }
    }
}
