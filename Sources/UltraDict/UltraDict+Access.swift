// How every access to a handle's mutable state is synchronized (the type's documentation says
// why): reads in shared access, changes in exclusive access, through the handle's `HandleLock`.
// The shared paths are always inlined, so that the body (a lookup, mostly) is inlined into them
// rather than passed as a closure.

extension UltraDict {
    // MARK: Access to the handle's state

    /// Runs `body` with shared access to the handle's state, as it is (without applying what was
    /// published); in the exclusive access that this thread holds, if it does. `body` only
    /// reads: it must not take exclusive access, nor shared access again, nor any lock.
    @inlinable @inline(__always)
    func withSharedAccess<Result>(_ body: () throws -> Result) rethrows -> Result {
        guard let slot = handleLock.enterShared() else { return try withExclusiveAccess(body) }
        defer { handleLock.leaveShared(slot) }
        return try body()
    }

    /// Runs `body` with exclusive access to the handle's state; re-entrant. `body` may change the
    /// state; it must not wait for another thread that uses this handle, nor take the
    /// dictionary's lock unless this thread holds it already (the lock comes first).
    @inlinable
    func withExclusiveAccess<Result>(_ body: () throws -> Result) rethrows -> Result {
        handleLock.lockExclusive()
        defer { handleLock.unlockExclusive() }
        return try body()
    }

    /// Runs `body` with access to the handle's state after applying what other processes
    /// published: in shared access when nothing was (two atomic loads), else in exclusive access
    /// after applying it. A failure to apply keeps the last validated state and goes to
    /// ``lastReadError``; after ``close(unlink:)`` the state is empty.
    @inlinable @inline(__always)
    func read<Result>(_ body: () -> Result) -> Result {
        if catchesUpOnRead { catchUpWithServerReportingErrors() }
        if let slot = handleLock.enterShared() {
            if log.isCurrent(cursor) {
                defer { handleLock.leaveShared(slot) }
                return body()
            }
            handleLock.leaveShared(slot)
        }
        return withExclusiveAccess {
            refreshReportingErrors()
            return body()
        }
    }

    /// Lets the remote session bring the replica up to the server's head before a read (when its
    /// store asks for it, or under a tree's lock), a failure going to ``lastReadError``: the read
    /// then serves the replica.
    @usableFromInline
    func catchUpWithServerReportingErrors() {
        do {
            try remote?.catchUpBeforeRead()
        } catch {
            let error = error as? UltraDictError ?? UltraDictError(.connection, "\(error)")
            withExclusiveAccess { readError = error }
        }
    }

    /// ``read(_:)`` that throws when what was published cannot be applied, and `alreadyClosed`
    /// after ``close(unlink:)``.
    @inlinable @inline(__always)
    func readCurrent<Result>(_ body: () throws -> Result) throws -> Result {
        if catchesUpOnRead { try remote?.catchUpBeforeRead() }
        if let slot = handleLock.enterShared() {
            if !isClosed && log.isCurrent(cursor) {
                defer { handleLock.leaveShared(slot) }
                return try body()
            }
            handleLock.leaveShared(slot)
        }
        return try withExclusiveAccess {
            try refreshLocked()
            return try body()
        }
    }
}
