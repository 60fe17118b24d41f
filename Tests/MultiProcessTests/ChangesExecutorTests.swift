import Foundation
import Testing
import UltraDict
import _UltraDictTestSupport

/// A change sequence's ``UltraDictChanges/executor``: a task that prefers it gets every change
/// of another process, in order, on the sequence's own thread; other work that prefers it runs
/// while the sequence waits; cancellation ends it; and after the sequence ended, the task goes
/// on (on the global executor).
@Suite("Changes on their executor")
struct ChangesExecutorTests {
    /// The name of the calling thread, as the system has it (the sequence's is "UltraDict feed").
    private static func threadName() -> String {
        let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
        return comm.trimmingCharacters(in: .newlines)
    }

    @Test func aLoopOnTheExecutorGetsEveryChangeOnTheSequencesThread() async throws {
        guard #available(macOS 15, *) else { Issue.record("task executors need macOS 15"); return }
        let fixture = try StoreFixture(.sharedMemory)
        defer { fixture.remove() }
        let name = uniqueName()
        let d: UltraDict<Int, Int> = try fixture.createDictionary(name, serializer: "msgpack")
        defer { d.unlink() }
        let changes = d.changes()
        let consumer = Task(executorPreference: changes.executor) {
            var seen: [UltraDictChange<Int, Int>] = []
            var threads: Set<String> = []
            for try await change in changes {
                seen.append(change)
                threads.insert(Self.threadName())
                if seen.count == 250 { break }
            }
            try await Task.sleep(for: .milliseconds(10))  // the task goes on after its sequence,
            return (seen, threads, Self.threadName())      // on the global executor
        }
        try fixture.runHelper("write-range", name, "0", "200")
        try fixture.runHelper("delete-range", name, "0", "50")
        let (seen, threads, afterwards) = try await consumer.value
        #expect(seen == (0..<200).map { .set($0, $0) } + (0..<50).map { .removed($0) })
        #expect(threads == ["UltraDict feed"])
        #expect(afterwards != "UltraDict feed")
    }

    /// A sequence whose executor ran a task but that nobody iterates ends its thread after a
    /// second with nothing to do (a later task starts another), which frees it (and its
    /// mapping) once the sequence is dropped.
    @Test func anExecutorThatNobodyIteratesLetsItsThreadGo() async throws {
        guard #available(macOS 15, *) else { Issue.record("task executors need macOS 15"); return }
        let d = try UltraDict<String, Int>(name: uniqueName())
        defer { d.unlink() }
        weak var executor: AnyObject?
        do {
            let changes = d.changes()
            executor = changes.executor as AnyObject
            let ranThere = await Task(executorPreference: changes.executor) { Self.threadName() }.value
            #expect(ranThere == "UltraDict feed")
            try await Task.sleep(for: .seconds(1.5))  // the thread ends; the next task starts another
            let ranThereAgain = await Task(executorPreference: changes.executor) { Self.threadName() }.value
            #expect(ranThereAgain == "UltraDict feed")
        }
        let start = ContinuousClock.now
        while executor != nil && ContinuousClock.now - start < .seconds(10) { try await Task.sleep(for: .milliseconds(50)) }
        #expect(executor == nil, "the thread still holds its source")
    }

    /// A child task that prefers the executor (it inherits the preference) runs while its
    /// sibling's sequence waits: each of its jobs interrupts the wait, instead of waiting for
    /// the end of a 100 ms slice.
    @Test func otherWorkOnTheExecutorRunsWhileTheSequenceWaits() async throws {
        guard #available(macOS 15, *) else { Issue.record("task executors need macOS 15"); return }
        let d = try UltraDict<String, Int>(name: uniqueName())
        defer { d.unlink() }
        let changes = d.changes()
        let took = try await Task(executorPreference: changes.executor) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await change in changes where change.key == "done" { return }
                }
                try await Task.sleep(for: .milliseconds(100))  // the sequence is asleep in the kernel
                let start = ContinuousClock.now
                for _ in 0..<50 { try await Task.sleep(for: .milliseconds(1)) }
                let took = ContinuousClock.now - start
                d["done"] = 1
                try await group.waitForAll()
                return took
            }
        }.value
        #expect(took < .seconds(2), "50 sleeps of 1 ms took \(took): without the interrupt, 5 s")
    }

    /// The test's own side runs on threads of its own, so that other tests blocking the shared
    /// cooperative pool meanwhile do not delay it.
    @Test func cancellingATaskOnTheExecutorEndsItsSequence() async throws {
        guard #available(macOS 15, *) else { Issue.record("task executors need macOS 15"); return }
        try await onThreadsOfItsOwn { _ in
            let d = try UltraDict<String, Int>(name: uniqueName())
            defer { d.unlink() }
            let changes = d.changes()
            let consumer = Task(executorPreference: changes.executor) {
                var count = 0
                for try await _ in changes { count += 1 }
                return count
            }
            d["a"] = 1
            try await Task.sleep(for: .milliseconds(200))
            let start = ContinuousClock.now
            consumer.cancel()
            #expect(try await consumer.value == 1)
            #expect(ContinuousClock.now - start < .milliseconds(500))
        }
    }
}
