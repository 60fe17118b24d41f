import Foundation

/// Runs `body(index)` on `count` threads at once, waits for all of them, and throws the first
/// error any of them threw.
package func runConcurrently(threads count: Int, _ body: @escaping @Sendable (Int) throws -> Void) throws {
    let firstError = FirstError()
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        Thread {
            do { try body(index) } catch { firstError.record(error) }
            group.leave()
        }.start()
    }
    group.wait()
    if let error = firstError.error { throw error }
}

/// The first error any thread recorded.
private final class FirstError: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (any Error)?

    func record(_ error: any Error) { lock.withLock { if stored == nil { stored = error } } }
    var error: (any Error)? { lock.withLock { stored } }
}

/// A call running on a thread of its own, started at once; ``finish()`` waits for it and returns
/// its result and when it returned, for tests that measure how promptly something wakes it.
package final class BackgroundCall<Result: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    // Written by the thread before it signals `done`, read after.
    private var outcome: (result: Result, end: ContinuousClock.Instant)?

    /// Starts `body` on a new thread.
    package init(_ body: @escaping @Sendable () -> Result) {
        Thread {
            let result = body()
            self.outcome = (result, .now)
            self.done.signal()
        }.start()
    }

    /// Waits for the call to return; returns its result and the instant it returned.
    package func finish() -> (result: Result, end: ContinuousClock.Instant) {
        done.wait()
        return outcome!
    }
}
