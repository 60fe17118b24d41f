import Foundation
import UltraDictCore
import UltraDictTransport

extension UltraDict {
    // MARK: Waiting for the lock from async code

    /// ``withLock(timeout:stealAfterTimeout:_:)`` for async code: waits for the lock without
    /// blocking a thread of the cooperative pool, then runs `body`, which stays synchronous (no
    /// lock is ever held across a suspension point).
    ///
    /// It tries the lock on the calling thread without waiting; while another thread or process
    /// holds it, the task waits with the other tasks of this process that wait for the
    /// dictionary's lock, for whom one thread sleeps in the kernel until a release wakes it (a
    /// Python holder's release shows within 100 ms), and tries again. `timeout` bounds the whole
    /// wait; after it, `stealAfterTimeout` takes the lock over from a dead
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
        let words = log.control.lockWords
        while true {
            try Task.checkCancellation()
            let isLastTry = deadline.map { ContinuousClock.now >= $0 } ?? false
            var acquired = false
            do {
                defer { if acquired { LockWaitRoom.lockMayBeFree(words) } }
                return try withLock(timeout: .zero, stealAfterTimeout: isLastTry && stealAfterTimeout) { d in
                    acquired = true
                    return try body(d)
                }
            } catch let error as UltraDictError where error.code == .lockTimeout && !acquired && !isLastTry {
                await LockWaitRoom.waitForRelease(of: words, shared: configuration.lock.kind == .shared)
            }
        }
    }
}
