import Foundation

/// A task executor of `threads` threads of its own: a small stand-in for the cooperative pool,
/// so that a test can show that tasks waiting for a change or a lock leave its threads free,
/// and time how soon they resume, whatever other tests running in parallel do to the shared
/// pool (`Task(executorPreference:)`, `withTaskExecutorPreference`).
@available(macOS 15, *)
package final class ThreadPoolExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopped = false

    /// An executor running jobs on `threads` new threads until ``stop()``.
    package init(threads: Int) {
        for index in 0..<threads {
            let thread = Thread { [self] in run() }
            thread.name = "test executor \(index)"
            thread.start()
        }
    }

    /// Queues `job` for the next free thread.
    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Ends the threads once the queued jobs ran.
    package func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

/// Runs `body` with a ``ThreadPoolExecutor`` of `threads` threads as its tasks' executor (child
/// tasks inherit it; pass it to `Task(executorPreference:)` for others), and stops it after.
@available(macOS 15, *)
package func onThreadsOfItsOwn<T: Sendable>(
    _ threads: Int = 2, _ body: @Sendable (ThreadPoolExecutor) async throws -> T
) async throws -> T {
    let executor = ThreadPoolExecutor(threads: threads)
    defer { executor.stop() }
    return try await withTaskExecutorPreference(executor) { try await body(executor) }
}
