import Foundation
import Testing
import UltraDict
import UltraDictConcurrency
import _UltraDictTestSupport

/// `withLockAsync`: waiting for a lock another process holds never blocks a cooperative thread,
/// counts stay exact, and a timeout or a cancellation ends the wait. The tasks run on two
/// threads of their own (``ThreadPoolExecutor``), a pool as small as this machine's cooperative
/// one, which other tests cannot block meanwhile.
@Suite("Async lock")
struct AsyncLockTests {
    /// A counter that tasks increment, to show that the cooperative pool keeps running.
    private final class Ticks: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func tick() { lock.lock(); count += 1; lock.unlock() }
        var value: Int { lock.lock(); defer { lock.unlock() }; return count }
    }

    /// Fifty tasks wait for the lock another process holds for a second, many more than the
    /// pool has threads: a ticking task on the same pool keeps running meanwhile, and once the holder
    /// releases the lock every task gets it, exactly once.
    @Test(arguments: [SharedSpinLock.self, ProcessLocalLock.self] as [any SharedMemoryLock.Type])
    func waitersDoNotBlockTheCooperativePool(lock: any SharedMemoryLock.Type) async throws {
        guard #available(macOS 15, *) else { Issue.record("task executors need macOS 15"); return }
        try await onThreadsOfItsOwn { executor in
            let name = uniqueName()
            let d = try UltraDict<String, Int>(name: name, create: true, configuration: UltraDictConfiguration(lock: lock))
            defer { d.unlink() }
            let holder: ChildProcess? = lock == SharedSpinLock.self ? try ChildProcess("UltraDictTestHelper", ["hold-lock", name, "1"]) : nil
            if let holder { _ = try holdingPID(of: holder) }
            // A process-local lock is held by another thread of this process instead.
            let holding = lock == ProcessLocalLock.self ? Thread {
                let same = try? UltraDict<String, Int>(name: name, create: false, configuration: UltraDictConfiguration(lock: lock))
                try? same?.withLock { _ in Thread.sleep(forTimeInterval: 1) }
                same?.close()
            } : nil
            holding?.start()
            if holding != nil { try await Task.sleep(for: .milliseconds(50)) }

            let ticks = Ticks()
            let ticker = Task(executorPreference: executor) {
                while !Task.isCancelled {
                    ticks.tick()
                    try? await Task.sleep(for: .milliseconds(10))
                }
            }
            let counts = d.name
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        let same = try UltraDict<String, Int>(name: counts, create: false, configuration: UltraDictConfiguration(lock: lock))
                        try await same.withLockAsync { d in d["count", default: 0] += 1 }
                        same.close()
                    }
                }
                try await group.waitForAll()
            }
            ticker.cancel()
            #expect(d["count"] == 50)
            #expect(ticks.value >= 20, "the pool kept running while 50 tasks waited: \(ticks.value) ticks")
            if let holder { #expect(holder.finish().status == 0) }
        }
    }

    /// A new dictionary whose lock a helper process holds until it reads a line, with that
    /// process and its pid.
    private func heldByAnotherProcess() throws -> (UltraDict<String, Int>, ChildProcess, Int32) {
        let d = try UltraDict<String, Int>(name: uniqueName())
        let holder = try ChildProcess("UltraDictTestHelper", ["hold-lock-and-wait", d.name])
        return (d, holder, try holdingPID(of: holder))
    }

    @Test func aTimeoutEndsTheWait() async throws {
        guard #available(macOS 15, *) else { Issue.record("task executors need macOS 15"); return }
        try await onThreadsOfItsOwn { _ in
            let (d, holder, owner) = try heldByAnotherProcess()
            defer { d.unlink() }
            let start = ContinuousClock.now
            do {
                try await d.withLockAsync(timeout: .milliseconds(300)) { _ in }
                Issue.record("took the lock another process holds")
            } catch {
                #expect(UltraDictError.lockTimeout ~= error && "\(error)".hasSuffix("held by pid \(owner)"), "\(error)")
            }
            let waited = ContinuousClock.now - start
            #expect(waited >= .milliseconds(300) && waited < .seconds(2), "\(waited)")
            holder.send("release")
            #expect(holder.finish().status == 0)
        }
    }

    @Test func cancellationEndsTheWaitAtOnce() async throws {
        guard #available(macOS 15, *) else { Issue.record("task executors need macOS 15"); return }
        try await onThreadsOfItsOwn { executor in
            let (d, holder, _) = try heldByAnotherProcess()
            defer { d.unlink() }
            let counts = d.name
            let waiter = Task(executorPreference: executor) {
                let same = try UltraDict<String, Int>(name: counts, create: false)
                defer { same.close() }
                try await same.withLockAsync { d in d["never"] = 1 }
            }
            try await Task.sleep(for: .milliseconds(200))
            let start = ContinuousClock.now
            waiter.cancel()
            await #expect(throws: CancellationError.self) { try await waiter.value }
            #expect(ContinuousClock.now - start < .milliseconds(100))
            holder.send("release")
            #expect(holder.finish().status == 0)
            #expect(d["never"] == nil)
        }
    }

    /// Tasks here and threads in another process increment one counter under the lock, at once.
    @Test func countsStayExactWithAnotherProcess() async throws {
        guard #available(macOS 15, *) else { Issue.record("task executors need macOS 15"); return }
        try await onThreadsOfItsOwn { executor in
            let name = uniqueName()
            let d = try UltraDict<String, Int>(name: name)
            defer { d.unlink() }
            let other = try ChildProcess("UltraDictTestHelper", ["increment-threads", name, "count", "2", "500"])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        let same = try UltraDict<String, Int>(name: name, create: false)
                        defer { same.close() }
                        for _ in 0..<250 { try await same.withLockAsync { d in d["count", default: 0] += 1 } }
                    }
                }
                try await group.waitForAll()
            }
            #expect(other.finish().status == 0)
            #expect(d["count"] == 2000)
        }
    }
}
