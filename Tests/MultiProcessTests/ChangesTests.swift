import Foundation
import Testing
import UltraDict
import _UltraDictTestSupport

/// `changes()`, `values(forKey:)` and `waitForChanges(timeout:)` with writers in other processes:
/// every change arrives, in order, across full dumps too, and a sequence ends when its task is
/// cancelled, its handle closes or the dictionary is unlinked. The timed tests run their tasks
/// on threads of their own (``ThreadPoolExecutor``), so that other tests blocking the shared
/// cooperative pool meanwhile do not delay them.
@Suite("Changes")
struct ChangesTests {
    /// Applies `changes` to `entries`.
    private func apply(_ changes: [UltraDictChange<Int, Int>], to entries: inout [Int: Int]) {
        for change in changes {
            switch change {
            case .set(let key, let value): entries[key] = value
            case .removed(let key): entries[key] = nil
            }
        }
    }

    @Test(arguments: TestStore.allCases)
    func changesFromAnotherProcessArriveInOrder(store: TestStore) async throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let d: UltraDict<Int, Int> = try fixture.createDictionary(name, serializer: "msgpack")
        defer { d.unlink() }
        d[-1] = -1
        let changes = d.changes()
        try fixture.runHelper("write-range", name, "0", "200")
        try fixture.runHelper("delete-range", name, "0", "50")
        d[-1] = -2  // this process's own writes come too

        var seen: [UltraDictChange<Int, Int>] = []
        for try await change in changes {
            seen.append(change)
            if seen.count == 251 { break }
        }
        #expect(seen == (0..<200).map { .set($0, $0) } + (0..<50).map { .removed($0) } + [.set(-1, -2)])
    }

    /// A consumer that falls behind while the writer compacts the stream gets the difference each
    /// full dump made: applied in order from the entries it started with, its changes always lead
    /// to the dictionary's entries.
    @Test(arguments: TestStore.allCases)
    func acrossFullDumpsTheDifferenceArrives(store: TestStore) async throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let d: UltraDict<Int, Int> = try fixture.createDictionary(name, serializer: "msgpack", bufferSize: 4096)
        defer { d.unlink() }
        for key in 0..<100 { d[key] = -key }
        var entries: [Int: Int] = [:]
        var iterator = d.changes(startingWithCurrentEntries: true).makeAsyncIterator()
        try fixture.runHelper("write-range", name, "50", "2000")
        try fixture.runHelper("delete-range", name, "0", "1000")
        let dumps = try d.status().fullDumpCounter
        #expect(dumps > 0)

        var expected: [Int: Int] = [:]
        for key in 1000..<2000 { expected[key] = key }
        while entries != expected, let change = try await iterator.next() { apply([change], to: &entries) }
        #expect(entries == expected && d.snapshot == expected)
    }

    @Test func valuesOfOneKeyStartWithTheCurrentOne() async throws {
        let name = uniqueName()
        let d = try UltraDict<String, Int>(name: name)
        defer { d.unlink() }
        d["other"] = 1
        var values = d.values(forKey: "watched").makeAsyncIterator()
        d["watched"] = 1
        d["other"] = 2
        d["watched"] = 2
        try d.removeValue(forKey: "watched")
        var seen: [Int?] = []
        while seen.count < 4, let value = try await values.next() { seen.append(value) }
        #expect(seen == [nil, 1, 2, nil])
    }

    @Test func cancellationEndsASequenceWithinASlice() async throws {
        guard #available(macOS 15, *) else { Issue.record("task executors need macOS 15"); return }
        try await onThreadsOfItsOwn { executor in
            let d = try UltraDict<String, Int>(name: uniqueName())
            defer { d.unlink() }
            let changes = d.changes()
            let consumer = counting(changes, on: executor)
            try await Task.sleep(for: .milliseconds(200))  // the consumer is asleep in the kernel by now
            let start = ContinuousClock.now
            consumer.cancel()
            #expect(try await consumer.value == 0)
            #expect(ContinuousClock.now - start < .milliseconds(100))
        }
    }

    /// A consumer that stays behind a writer that keeps writing still ends at once when its task
    /// is cancelled: changes already published do not hold the end back.
    @Test func cancellationEndsASequenceBehindABusyWriter() async throws {
        guard #available(macOS 15, *) else { Issue.record("task executors need macOS 15"); return }
        try await onThreadsOfItsOwn { executor in
            let fixture = try StoreFixture(.sharedMemory)
            defer { fixture.remove() }
            let name = uniqueName()
            let d: UltraDict<Int, Int> = try fixture.createDictionary(name, serializer: "msgpack")
            defer { d.unlink() }
            let changes = d.changes()
            let consumer = Task(executorPreference: executor) {
                var count = 0
                for try await _ in changes {
                    count += 1
                    try? await Task.sleep(for: .milliseconds(1))  // slower than the writer
                }
                return count
            }
            let writer = try fixture.helper(["write-range", name, "0", "1000000"])
            defer { writer.process.terminate(); _ = writer.finish() }
            while d.count < 1000 { try await Task.sleep(for: .milliseconds(10)) }
            let start = ContinuousClock.now
            consumer.cancel()
            let received = try await consumer.value
            #expect(received > 0)
            #expect(ContinuousClock.now - start < .milliseconds(500), "ended \(ContinuousClock.now - start) after the cancellation")
        }
    }

    @Test(arguments: TestStore.allCases)
    func unlinkingTheDictionaryEndsEverySequence(store: TestStore) async throws {
        guard #available(macOS 15, *) else { Issue.record("task executors need macOS 15"); return }
        try await onThreadsOfItsOwn { executor in
            let fixture = try StoreFixture(store)
            defer { fixture.remove() }
            let name = uniqueName()
            let d: UltraDict<Int, Int> = try fixture.createDictionary(name, serializer: "msgpack")
            let other: UltraDict<Int, Int> = try UltraDict(name: name, create: false, configuration: UltraDictConfiguration(store: fixture.store))
            let consumers = [d.changes(), other.changes()].map { counting($0, on: executor) }
            d[1] = 1
            try await Task.sleep(for: .milliseconds(200))
            let start = ContinuousClock.now
            try UltraDict<Int, Int>.unlink(name: name, store: fixture.store)
            for consumer in consumers { #expect(try await consumer.value == 1) }
            #expect(ContinuousClock.now - start < .milliseconds(500), "noticed within a slice or two")
            d.close()
            other.close()
        }
    }

    /// An unlink that wakes nobody (Python's, or a hand's `rm`) is seen within about a second
    /// (here given more, for a busy machine), also while a writer that still maps the
    /// removed dictionary keeps writing every 100 ms. After 5 s the handle closes, which ends the
    /// sequence had it missed the unlink.
    @Test(arguments: [false, true])
    func aSequenceEndsWhenItsDictionaryIsRemovedByHand(whileWritten: Bool) async throws {
        guard #available(macOS 15, *) else { Issue.record("task executors need macOS 15"); return }
        try await onThreadsOfItsOwn { executor in
            let name = uniqueName()
            let d = try UltraDict<String, Int>(name: name)
            let consumer = counting(d.changes(), on: executor)
            try await Task.sleep(for: .milliseconds(200))
            let start = ContinuousClock.now
            for segment in [name, name + "_memory"] { try FileManager.default.removeItem(atPath: "/dev/shm/" + segment) }
            let writer = Task(executorPreference: executor) {
                var writes = 0
                while !Task.isCancelled, ContinuousClock.now - start < .seconds(5) {
                    if whileWritten {
                        d["n"] = writes
                        writes += 1
                    }
                    try? await Task.sleep(for: .milliseconds(100))
                }
                d.close()
                return writes
            }
            _ = try await consumer.value
            let took = ContinuousClock.now - start
            writer.cancel()
            let writes = await writer.value
            #expect(took < .seconds(3), "noticed \(took) after the unlink, \(writes) writes later")
        }
    }

    @Test func closingTheHandleEndsItsSequencesAtOnce() async throws {
        guard #available(macOS 15, *) else { Issue.record("task executors need macOS 15"); return }
        try await onThreadsOfItsOwn { executor in
            let d = try UltraDict<String, Int>(name: uniqueName())
            let changes = d.changes()
            let consumer = counting(changes, on: executor)
            try await Task.sleep(for: .milliseconds(200))
            let start = ContinuousClock.now
            d.unlink()
            #expect(try await consumer.value == 0)
            #expect(ContinuousClock.now - start < .milliseconds(100))
        }
    }

    @Test(arguments: TestStore.allCases)
    func waitForChangesReturnsWhenAnotherProcessWrites(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let d: UltraDict<Int, Int> = try fixture.createDictionary(name, serializer: "msgpack")
        defer { d.unlink() }
        #expect(try d.waitForChanges(timeout: .milliseconds(50)) == false)
        let writer = try fixture.helper(["write-range", name, "0", "1"])
        #expect(try d.waitForChanges(timeout: .seconds(30)) == true)
        #expect(writer.finish().status == 0)
        #expect(d[0] == 0)
    }

    /// A task on `executor` that counts the changes `changes` yields until it ends.
    @available(macOS 15, *)
    private func counting<Changes: AsyncSequence & Sendable & SendableMetatype>(
        _ changes: Changes, on executor: ThreadPoolExecutor
    ) -> Task<Int, any Error> {
        Task(executorPreference: executor) {
            var count = 0
            for try await _ in changes { count += 1 }
            return count
        }
    }
}
