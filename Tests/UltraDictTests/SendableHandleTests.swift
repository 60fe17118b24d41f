import Foundation
import Testing
import UltraDict
import _UltraDictTestSupport

// Each form of sharing one handle across tasks that the README shows, compiled in Swift 6 mode
// and run: a global, a static let, an actor, Task.detached and a task group.

/// A handle in a global `let`, opened on first use.
let globalScores = try! UltraDict<String, Int>(name: uniqueName("globalScores"))

/// A handle in a `static let`.
enum Scoreboard {
    static let shared = try! UltraDict<String, Int>(name: uniqueName("Scoreboard"))
}

/// A handle as an actor's property.
actor ScoreKeeper {
    let scores: UltraDict<String, Int>
    init(scores: UltraDict<String, Int>) { self.scores = scores }

    /// Adds one to `player`'s score, atomically across processes.
    func score(_ player: String) throws {
        try scores.withLock { d in d[player, default: 0] += 1 }
    }
}

@Suite("A Sendable handle")
struct SendableHandleTests {
    @Test func aGlobalHandleIsUsedFromTasks() async throws {
        defer { globalScores.unlink() }
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<4 { group.addTask { globalScores["task\(task)"] = task } }
        }
        #expect(globalScores.count == 4 && globalScores["task3"] == 3)
    }

    @Test func aStaticHandleIsUsedFromTasks() async throws {
        defer { Scoreboard.shared.unlink() }
        try await Task.detached { try Scoreboard.shared.withLock { d in d["detached", default: 0] += 1 } }.value
        #expect(Scoreboard.shared["detached"] == 1)
    }

    @Test func anActorKeepsAHandle() async throws {
        let scores = try UltraDict<String, Int>(name: uniqueName())
        defer { scores.unlink() }
        let keeper = ScoreKeeper(scores: scores)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<10 { group.addTask { try await keeper.score("alice") } }
            try await group.waitForAll()
        }
        #expect(scores["alice"] == 10)
    }

    @Test func aDetachedTaskCapturesAHandle() async throws {
        let d = try UltraDict<Int, String>(name: uniqueName())
        defer { d.unlink() }
        let written = await Task.detached { () -> Int? in
            d[1] = "one"
            return d.count
        }.value
        #expect(written == 1 && d[1] == "one")
    }

    @Test func aTaskGroupSharesAHandle() async throws {
        let d = try UltraDict<Int, Int>(name: uniqueName())
        defer { d.unlink() }
        let sum = await withTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for i in 0..<100 { d[task * 100 + i] = i }
                    return (0..<100).reduce(0) { $0 + (d[task * 100 + $1] ?? -1_000_000) }
                }
            }
            return await group.reduce(0, +)
        }
        #expect(sum == 8 * 4950 && d.count == 800)
    }

    /// Readers on several threads, a writer on another and a `close()` from yet another: nothing
    /// crashes, every read finds the value written or nothing, and after the close every read
    /// finds nothing.
    @Test func readersWriterAndCloseOnOneHandle() throws {
        let d = try UltraDict<Int, Int>(name: uniqueName())
        defer { d.unlink() }
        let name = d.name
        try runConcurrently(threads: 5) { thread in
            switch thread {
            case 0:  // The writer: key k is only ever set to k * 10, or removed.
                var round = 0
                while true {
                    do {
                        for key in 0..<100 { try d.updateValue(key * 10, forKey: key) }
                        for key in stride(from: 0, to: 100, by: 3) { try d.removeValue(forKey: key) }
                    } catch UltraDictError.alreadyClosed {
                        return
                    }
                    round += 1
                }
            case 1:  // The closer.
                Thread.sleep(forTimeInterval: 0.3)
                d.close()
            default:  // The readers.
                while !d.closed {
                    for key in 0..<100 {
                        let value = d[key]
                        try #require(value == nil || value == key * 10, "read \(String(describing: value)) for \(key)")
                    }
                    _ = d.count
                }
                #expect(d[5] == nil && d.isEmpty && d.lastReadError?.code == .alreadyClosed)
            }
        }
        #expect(segments(of: name).isEmpty)
    }

    /// More threads than a handle has reader slots (16) read while one writes: the threads
    /// beyond the first numbers share a slot, and every read still finds the value written.
    @Test func moreThreadsThanReaderSlots() throws {
        let d = try UltraDict<Int, Int>(name: uniqueName())
        defer { d.unlink() }
        try runConcurrently(threads: 24) { thread in
            for round in 1...200 {
                if thread == 0 {
                    for key in 0..<50 { d[key] = round * 1_000 + key }
                } else {
                    for key in 0..<50 {
                        let value = d[key]
                        try #require(value == nil || value! % 1_000 == key, "read \(String(describing: value)) for \(key)")
                    }
                }
            }
        }
        #expect(d[7] == 200_007)
    }

    /// Threads reading and writing one handle while another handle of the dictionary writes:
    /// the reads see each thread's own writes at once, and the locked counter is exact.
    @Test func threadsShareOneHandleWhileAnotherWrites() throws {
        let d = try UltraDict<String, Int>(name: uniqueName())
        defer { d.unlink() }
        let other = try UltraDict<String, Int>(name: d.name, create: false)
        defer { other.close() }
        let (threads, times) = (4, 300)
        try runConcurrently(threads: threads + 1) { thread in
            for i in 1...times {
                if thread == threads {
                    try other.withLock { o in o["counter", default: 0] += 1 }
                    continue
                }
                try d.withLock { d in d["counter", default: 0] += 1 }
                d["thread\(thread)"] = i
                try #require(d["thread\(thread)"] == i)
            }
        }
        #expect(d["counter"] == (threads + 1) * times && other["counter"] == (threads + 1) * times)
        #expect((0..<threads).allSatisfy { d["thread\($0)"] == times })
    }
}
