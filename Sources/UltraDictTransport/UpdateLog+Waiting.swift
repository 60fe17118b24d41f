import UltraDictCore

/// How a wait for changes ended.
package enum WaitOutcome: Sendable, Equatable {
    /// The stream position or the full-dump counter differs from the cursor: read the changes.
    case changed
    /// The timeout passed with nothing published since the cursor.
    case timedOut
    /// The caller's stop condition held at a slice boundary.
    case stopped
}

// Waiting for changes without polling: the wake protocol's waiter (`Docs/FORMAT.md`, "Wake
// protocol"). The writer's side is `WakeWord.wakeChangeWaiters()` after each publication.
extension UpdateLog {
    /// Blocks the calling thread until something is published after `cursor`, `timeout` passes,
    /// or `shouldStop` returns true; takes no lock.
    ///
    /// Returns ``WaitOutcome/changed`` at once when the log is already past `cursor`. Otherwise it
    /// sleeps on the wake word in slices of at most ``WakeWord/slice`` (100 ms), rechecking the
    /// position and the counter after each: a writer of this package wakes it within the
    /// futex's latency, a Python writer (which never wakes anyone) or a writer that died before
    /// its wake within one slice. `shouldStop` is called before each slice once nothing new was
    /// found, on the calling thread: a handle that closes, or a task that is cancelled, sets what
    /// it reads and calls ``interruptWaiters()`` (or, for a waiter of its own process,
    /// ``interruptChangeWaitersOfThisProcess()``) so that the waiter looks now rather than at the
    /// slice's end.
    ///
    /// - Parameters:
    ///   - cursor: what the caller has applied.
    ///   - timeout: the longest to wait; `nil` waits until a change or a stop.
    ///   - shouldStop: checked before the first slice and between slices.
    /// - Returns: why it returned. A wait registers as a waiter only while it sleeps: the waiter
    ///   count is back where it was whichever way it returns.
    package func waitForChanges(
        since cursor: LogCursor, timeout: Duration? = nil, shouldStop: () -> Bool = { false }
    ) -> WaitOutcome {
        // Plain nanoseconds: an idle waiter's slice costs as little as its wake-up allows
        // (`Docs/PERFORMANCE.md`, "Waiting without polling").
        let deadline = timeout.map { timeout in
            let (deadline, overflow) = continuousNanoseconds().addingReportingOverflow(max(timeout.saturatingNanoseconds, 0))
            return overflow ? Int64.max : deadline
        }
        let wake = control.wake
        while true {
            // Registered first: a stop set (and its interrupt) after this look changes the word
            // before the sleep, which then returns at once. A change already published is
            // returned even when the caller should stop: it reads it, and stops at its next wait.
            let value = wake.register(.changes)
            defer { wake.unregister(.changes) }
            if !isCurrent(cursor) { return .changed }
            if shouldStop() { return .stopped }
            var remaining = WakeWord.sliceNanoseconds
            if let deadline {
                remaining = deadline &- continuousNanoseconds()
                if remaining <= 0 { return .timedOut }
            }
            wake.sleep(.changes, expecting: value, nanoseconds: remaining)
        }
    }

    /// Wakes every waiter of this dictionary now, in this process and others (each rechecks
    /// and, if nothing changed and it should not stop, sleeps again): what a handle calls after
    /// setting the stop condition of its own waiters, so that they return within microseconds
    /// rather than at the end of their slice. One atomic increment and one `futex` call.
    package func interruptWaiters() {
        control.wake.wakeAll()
    }

    /// ``interruptWaiters()`` for this process's change waiters alone
    /// (`WakeWord.interruptChangeWaitersOfThisProcess()`): what a waiter of this process with
    /// other work to do now is interrupted with, without waking any other process.
    package func interruptChangeWaitersOfThisProcess() {
        control.wake.interruptChangeWaitersOfThisProcess()
    }
}
