import Foundation
import UltraDictConcurrency
import UltraDictCore
import UltraDictTransport

extension UltraDict {
    // MARK: Waiting for the lock from async code

    /// ``withLock(timeout:stealAfterTimeout:_:)`` for async code: waits for the lock without
    /// blocking a thread of the cooperative pool, then runs `body`, which stays synchronous (no
    /// lock is ever held across a suspension point).
    ///
    /// It tries the lock on the calling thread without waiting; while another thread or process
    /// holds it, a thread of its own sleeps in the kernel until the holder's release wakes it
    /// (a Python holder's release shows within 100 ms), and the task tries again. `timeout`
    /// bounds the whole wait; after it, `stealAfterTimeout` takes the lock over from a dead
    /// owner as the blocking form does, else `lockTimeout` is thrown. A cancelled task stops
    /// waiting within microseconds and throws `CancellationError`.
    ///
    /// ```swift
    /// let next = try await jobs.withLockAsync { jobs in
    ///     let next = jobs["next", default: 0] + 1
    ///     jobs["next"] = next
    ///     return next
    /// }
    /// ```
    public func withLockAsync<Result>(
        timeout: Duration? = nil,
        stealAfterTimeout: Bool = false,
        _ body: (UltraDict) throws -> Result
    ) async throws -> Result {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        var attempt = 0
        while true {
            try Task.checkCancellation()
            let isLastTry = deadline.map { ContinuousClock.now >= $0 } ?? false
            var acquired = false
            do {
                return try withLock(timeout: .zero, stealAfterTimeout: isLastTry && stealAfterTimeout) { d in
                    acquired = true
                    return try body(d)
                }
            } catch let error as UltraDictError where error.code == .lockTimeout && !acquired && !isLastTry {
                try await sleepUntilLockReleased(attempt: attempt, deadline: deadline)
                attempt += 1
            }
        }
    }

    /// Sleeps on a thread of its own (never a cooperative one) until the lock's holder releases
    /// it, one slice passes, or the task is cancelled: on the wake word for the shared lock,
    /// whose release wakes its waiters; a short backoff (50 µs doubling to 1 ms) for a
    /// process-local lock, whose release wakes nobody.
    private func sleepUntilLockReleased(attempt: Int, deadline: ContinuousClock.Instant?) async throws {
        let words = log.control.lockWords
        let shared = configuration.lock.kind == .shared
        let longest = shared ? WakeWord.slice : Swift.min(.microseconds(50 << Swift.min(attempt, 5)), .milliseconds(1))
        let slice = deadline.map { Swift.max(.zero, Swift.min(longest, ContinuousClock.now.duration(to: $0))) } ?? longest
        let wake = words.wake
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let sleeper = Thread {
                    let value = wake.register(.lock)
                    if !shared || words.lockByte.load(ordering: .relaxed) != 0 { wake.sleep(expecting: value, for: slice) }
                    wake.unregister(.lock)
                    continuation.resume()
                }
                sleeper.name = "UltraDict lock waiter"
                sleeper.start()
            }
        } onCancel: {
            wake.wakeAll()
        }
        try Task.checkCancellation()
    }
}
