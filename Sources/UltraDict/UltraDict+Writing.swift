import CUltraDictShims
import UltraDictConcurrency
import UltraDictCore
import UltraDictTransport

/// The write side: sets, removals, full dumps and the lock, all of them under the dictionary's
/// lock, and changing the handle's state with exclusive access, taken after the lock.
extension UltraDict {
    /// Sets `value` for `key` in every process; returns the previous value.
    @inlinable @discardableResult
    public func updateValue(_ value: Value, forKey key: Key) throws -> Value? {
        if recurse { return try updateNestedValue(value, forKey: key) }
        return try write(.set(keyConverter.tree(for: key), valueConverter.tree(for: value)), key: key, value: value)
    }

    /// Removes `key` in every process; returns the removed value, or `nil` (writing nothing) if absent.
    @inlinable @discardableResult
    public func removeValue(forKey key: Key) throws -> Value? {
        try withLock { _ in
            guard withSharedAccess({ storage[key] != nil }) else { return nil }
            if recurse { return try removeNestedValue(forKey: key) }
            return try write(.delete(keyConverter.tree(for: key)), key: key, value: nil)
        }
    }

    /// Removes every key, with one full dump.
    public func removeAll() throws {
        try withLock { _ in
            let previous = try withExclusiveAccess {
                let previous = storage
                storage.removeAll()
                do {
                    try publishFullDump()
                } catch {
                    storage = previous
                    throw error
                }
                return previous
            }
            if recurse { try releaseNested(in: previous.values) }
        }
    }

    /// Writes a full dump of the whole dictionary now and starts the stream over (Python's
    /// `dump()`). Writers do this by themselves when the stream is full; call it to make later
    /// attachers load one snapshot instead of replaying the stream. Costs time linear in the size.
    @inlinable
    public func dump() throws {
        try withLock { _ in try publishFullDump() }
    }

    /// Runs `body` holding the dictionary's lock, so that a read-modify-write is atomic:
    /// `try d.withLock { d in d["counter", default: 0] += 1 }`.
    ///
    /// The lock excludes other processes and the other threads of this one, through any handle
    /// of the dictionary; other threads' reads of this handle go on while `body` runs. `body` is
    /// synchronous: the lock is never held across a suspension point.
    ///
    /// - Parameters:
    ///   - timeout: how long to wait for the lock; `nil` waits forever. Throws `lockTimeout` after it.
    ///   - stealAfterTimeout: after the timeout, take the lock over if its owner is dead.
    ///   - body: runs with the lock held; it receives this dictionary.
    @inlinable
    public func withLock<Result>(
        timeout: Duration? = nil,
        stealAfterTimeout: Bool = false,
        _ body: (UltraDict) throws -> Result
    ) throws -> Result {
        try holdingLock(timeout: timeout, stealAfterTimeout: stealAfterTimeout) {
            try remote?.catchUp()
            // The cursor is an atomic: whether anything was published takes no access.
            if log.isPublicationInterrupted || !log.isCurrent(cursor) {
                try withExclusiveAccess { try catchUpLocked() }
            }
            return try body(self)
        }
    }

    /// Runs `body` holding the dictionary's lock and exclusive access, after applying what was
    /// published: ``withLock(timeout:stealAfterTimeout:_:)`` for a change, which needs exclusive
    /// access anyway, and so applies what was published in the same access.
    @inlinable
    func withLockAndExclusiveAccess<Result>(_ body: () throws -> Result) throws -> Result {
        try holdingLock(timeout: nil, stealAfterTimeout: false) {
            try withExclusiveAccess {
                try catchUpLocked()
                return try body()
            }
        }
    }

    /// Runs `body` holding the dictionary's lock; throws `alreadyClosed` without taking it after
    /// ``close(unlink:)``. A call nested in another on the same thread through this handle (a
    /// write inside `withLock`) runs `body` at once, the lock being held already: taking a
    /// re-entrant lock again cost a locked increment 6% more instructions. `UltraDictLock.withLock`
    /// written out: through the existential lock its closure is not inlined, which costs a write
    /// about 8% more instructions (Benchmarks/instruction-counts.sh).
    @inlinable
    func holdingLock<Result>(timeout: Duration?, stealAfterTimeout: Bool, _ body: () throws -> Result) throws -> Result {
        let me = cud_thread_token()
        if lockHolder.load(ordering: .relaxed) == me { return try body() }
        try ensureOpen()
        try lock.acquire(timeout: timeout, stealAfterTimeout: stealAfterTimeout)
        lockHolder.store(me, ordering: .relaxed)
        let result: Result
        do {
            result = try body()
        } catch {
            lockHolder.store(0, ordering: .relaxed)
            try? lock.release()
            throw error
        }
        lockHolder.store(0, ordering: .relaxed)
        try lock.release()
        return result
    }

    /// Brings this handle up to date with the lock and exclusive access held: throws
    /// `alreadyClosed` if another thread closed it, finishes a publication that a dead writer
    /// left unfinished, and applies what was published.
    @inlinable
    func catchUpLocked() throws {
        try ensureOpen()
        if log.isPublicationInterrupted { try repairPublication() }
        if !log.isCurrent(cursor) { try applyPublishedChanges() }
    }

    /// Applies a change under the lock: `storage[key] = value` here, and the record in the stream
    /// (or a full dump when it does not fit), with exclusive access, so that the entries and the
    /// cursor change together. On failure the local change is undone, so this handle never
    /// differs from the others. Returns the previous value.
    @inlinable
    func write(_ update: UltraDictUpdate, key: Key, value: Value?) throws -> Value? {
        if let remote { return try write(update, key: key, to: remote) }
        return try withLockAndExclusiveAccess {
            // Usually the serializer encodes the record straight into the stream; when it cannot
            // (no room before the next dump, or no in-place encoder) it goes through the buffer.
            if try log.append(cursor: &cursor, encoding: { try serializer.encodeUpdate(update, inPlace: $0) }) {
                return value.map { storage.updateValue($0, forKey: key) } ?? storage.removeValue(forKey: key)
            }
            encodeBuffer.removeAll(keepingCapacity: true)
            try serializer.encodeUpdate(update, into: &encodeBuffer)
            let previous = value.map { storage.updateValue($0, forKey: key) } ?? storage.removeValue(forKey: key)
            do {
                if try !log.append(encodeBuffer, cursor: &cursor) { try publishFullDump() }
            } catch {
                storage[key] = previous
                throw error
            }
            return previous
        }
    }

    /// Writes the whole local dictionary as a full dump (lock held), with exclusive access.
    /// Inlinable, so that a write that dumps runs the loop over the entries specialized for
    /// `Key` and `Value`.
    @inlinable
    func publishFullDump() throws {
        try withExclusiveAccess {
            try ensureOpen()
            var bytes: [UInt8] = []
            bytes.reserveCapacity(log.expectedSnapshotSize)
            try serializer.encodeSnapshot(count: storage.count, into: &bytes) { entry in
                for (key, value) in storage { try entry(keyConverter.tree(for: key), valueConverter.tree(for: value)) }
            }
            try publish(fullDump: bytes)
        }
    }

    /// Publishes an encoded full dump (lock held, exclusive access held).
    @usableFromInline
    func publish(fullDump bytes: [UInt8]) throws {
        guard let remote else { return try log.publishFullDump(bytes, cursor: &cursor) }
        // The lock keeps the server's log where the lock's catch-up left it, unless it was lost.
        guard try remote.publishFullDump(bytes) else {
            throw UltraDictError(.lockStolen, "'\(name)': another writer wrote to \(configuration.store) while this one held the lock")
        }
        try refreshLocked()
    }

    /// Finishes a full dump whose writer died (lock held, exclusive access held).
    @usableFromInline
    func repairPublication() throws {
        loggerSetting.warning("a writer died while publishing a full dump; repairing it")
        if try log.repairInterruptedPublication() { return }
        // Neither a pending dump nor the dump in place is usable (only a writer that does not
        // follow the protocol leaves that): rebuild the snapshot from this handle, if it is current.
        guard cursor.counter == log.control.fullDumpCounter else {
            throw UltraDictError(.corruptSharedMemory, "'\(name)': a full dump's publication was left unfinished with no usable pending dump, and the previous snapshot cannot be read; this handle is too far behind to rebuild it")
        }
        try applyRead(readChanges(since: cursor, ignoringInterruptedPublication: true), reloading: false)
        try publishFullDump()
    }
}
