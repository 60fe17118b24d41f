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
    /// Fifty tasks wait for the lock that another process (or, for a process-local lock, another
    /// thread) holds, many more than the pool has threads: while they wait, a probe task on the
    /// same two threads runs to its end, and once the holder releases the lock every task gets
    /// it, exactly once. Timing-independent: the holder releases only after the probe ended, or
    /// after a watchdog's 20 seconds, which the test then reports as blocked threads.
    @Test(arguments: [SharedSpinLock.self, ProcessLocalLock.self] as [any SharedMemoryLock.Type])
    func waitersDoNotBlockTheCooperativePool(lock: any SharedMemoryLock.Type) async throws {
        guard #available(macOS 15, *) else { Issue.record("task executors need macOS 15"); return }
        try await onThreadsOfItsOwn { executor in
            let name = uniqueName()
            let configuration = UltraDictConfiguration(lock: lock)
            let d = try UltraDict<String, Int>(name: name, create: true, configuration: configuration)
            defer { d.unlink() }
            let holder = try LockHolder(name: name, configuration: configuration, inAnotherProcess: lock == SharedSpinLock.self)
            let watchdog = Watchdog(after: 20) { holder.release() }

            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        let same = try UltraDict<String, Int>(name: name, create: false, configuration: configuration)
                        defer { same.close() }
                        try await same.withLockAsync { d in d["count", default: 0] += 1 }
                    }
                }
                // Each yield puts the probe behind the waiting tasks' next steps on the two threads.
                let probe = Task(executorPreference: executor) {
                    for _ in 0..<200 { await Task.yield() }
                }
                await probe.value
                #expect(!watchdog.fired, "the 50 waiting tasks blocked the pool's threads until the lock was released")
                #expect(d["count"] == nil, "a task took the lock while it was held")
                holder.release()
                try await group.waitForAll()
            }
            watchdog.cancel()
            #expect(d["count"] == 50)
            #expect(holder.finish())
        }
    }

    /// Holds a dictionary's lock until ``release()``: a helper process, or a thread of this one.
    private final class LockHolder: @unchecked Sendable {
        private let process: ChildProcess?
        private let thread: Thread?
        private let released = DispatchSemaphore(value: 0)
        private let finished = DispatchSemaphore(value: 0)
        private let once = NSLock()
        private var didRelease = false

        init(name: String, configuration: UltraDictConfiguration, inAnotherProcess: Bool) throws {
            if inAnotherProcess {
                let process = try ChildProcess("UltraDictTestHelper", ["hold-lock-and-wait", name])
                _ = try holdingPID(of: process)
                (self.process, thread) = (process, nil)
                return
            }
            process = nil
            let holding = DispatchSemaphore(value: 0)
            let (released, finished) = (released, finished)
            let thread = Thread {
                let same = try? UltraDict<String, Int>(name: name, create: false, configuration: configuration)
                try? same?.withLock { _ in
                    holding.signal()
                    released.wait()
                }
                same?.close()
                finished.signal()
            }
            self.thread = thread
            thread.start()
            holding.wait()
        }

        /// Releases the lock (once, whoever calls first).
        func release() {
            guard once.withLock({ defer { didRelease = true }; return !didRelease }) else { return }
            if let process { process.send("release") } else { released.signal() }
        }

        /// Waits for the holder to end; whether it ended well.
        func finish() -> Bool {
            if let process { return process.finish().status == 0 }
            finished.wait()
            return true
        }
    }

    /// Runs `action` on a thread of its own after `seconds`, unless cancelled first.
    private final class Watchdog: @unchecked Sendable {
        private let condition = NSCondition()
        private var cancelled = false
        private var didFire = false
        /// Whether the action ran.
        var fired: Bool { condition.withLock { didFire } }

        init(after seconds: Double, _ action: @escaping @Sendable () -> Void) {
            Thread {
                let deadline = Date(timeIntervalSinceNow: seconds)
                let fire: Bool = self.condition.withLock {
                    while !self.cancelled && self.condition.wait(until: deadline) {}
                    self.didFire = !self.cancelled
                    return self.didFire
                }
                if fire { action() }
            }.start()
        }

        /// Keeps the action from running, unless it ran already.
        func cancel() { condition.withLock { cancelled = true; condition.signal() } }
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
