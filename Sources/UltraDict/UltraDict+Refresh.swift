import UltraDictCore
import UltraDictTransport

/// A read of published changes that failed, remembered for the published state it was tried at,
/// so that the same bytes are not copied and decoded again until a writer publishes more.
struct FailedRead {
    /// The full-dump counter and stream position that were published when the read failed.
    let published: LogCursor
    /// Why it failed.
    let error: UltraDictError
}

extension UltraDict {
    // MARK: Applying changes

    /// ``refreshLocked()`` for the reads that cannot throw (exclusive access held): a failure
    /// keeps the last validated state and goes to ``lastReadError``.
    @usableFromInline
    func refreshReportingErrors() {
        do {
            try refreshLocked()
        } catch {
            recordReadError(error, "reading new changes failed; serving the last validated state")
        }
    }

    /// Keeps a failed read behind a non-throwing access in ``lastReadError``, and logs it as
    /// `what` when it is not the failure already reported: once per failure, not once per read.
    func recordReadError(_ error: any Error, _ what: String) {
        let error = error as? UltraDictError ?? UltraDictError(.corruptSharedMemory, "\(error)")
        withExclusiveAccess {
            if readError?.code != error.code || readError?.message != error.message {
                loggerSetting.error("\(what): \(error)")
            }
            readError = error
        }
    }

    /// Applies what other processes published since this handle's last access (Python's `apply_update`).
    public func applyUpdates() throws { try refresh() }

    /// Reloads the latest full dump and the stream after it; with `force`, even if this handle
    /// is current or remembers a failed read (Python's `load(force=True)`). A failed reload
    /// throws and leaves the handle as it was: its last validated entries and cursor.
    public func load(force: Bool = false) throws {
        guard force else { return try refresh() }
        try withExclusiveAccess {
            try ensureOpen()
            try applyPublishedChanges(since: LogCursor(counter: 0, position: 0))
        }
    }

    /// A read that had to start over this often says the writers dump faster than readers keep up.
    static var retriesWorthAWarning: Int { 16 }

    /// Applies what other processes published, if anything: two atomic loads when nothing did.
    @inlinable
    func refresh() throws {
        try readCurrent {}
    }

    /// ``refresh()`` for a thread that holds exclusive access.
    @usableFromInline
    func refreshLocked() throws {
        try ensureOpen()
        if !log.isCurrent(cursor) { try applyPublishedChanges() }
    }

    /// Reads what other processes published since `start` (by default this handle's cursor) and
    /// applies it with ``applyChanges``, the decoding loop specialized for `Key` and `Value`: onto
    /// nothing when `start` is given (a reload), else onto this handle's entries. Exclusive
    /// access held.
    ///
    /// A read that fails is remembered with the published state it was tried at: until a writer
    /// publishes again (the position or the full-dump counter moves), reads from the cursor
    /// rethrow it at once, without copying the stream again. A bad record stays in the stream
    /// until the next full dump, so a handle stuck behind one recovers when a writer dumps.
    @usableFromInline
    func applyPublishedChanges(since start: LogCursor? = nil, repairing: Bool = true) throws {
        let control = log.control
        let published = LogCursor(counter: control.fullDumpCounter, position: control.streamPosition)
        if start == nil, let failedRead, failedRead.published == published { throw failedRead.error }
        let changes: LogChanges
        do {
            changes = try readChanges(since: start ?? cursor)
        } catch LogError.publicationInterrupted where repairing {
            // A writer died mid-publication: repair it under the lock, taking it over if it is dead.
            // The lock is taken after exclusive access here, against the rule: its timeout bounds
            // the wait, should another thread hold it and wait for this handle.
            try lock.withLock(timeout: .seconds(1), stealAfterTimeout: true) {
                if log.isPublicationInterrupted { try repairPublication() }
            }
            if start != nil || !log.isCurrent(cursor) { try applyPublishedChanges(since: start, repairing: false) }
            return
        } catch LogError.publicationInterrupted {
            throw UltraDictError(.corruptSharedMemory, "'\(name)': a full dump's publication was left unfinished again right after a repair; some process keeps breaking the protocol")
        } catch {
            throw rememberFailedRead(error, at: published)
        }
        if changes.retries >= Self.retriesWorthAWarning {
            loggerSetting.warning("full dumps replaced the data \(changes.retries) times while this handle read them; consider a larger bufferSize")
        }
        do {
            try applyRead(changes, reloading: start != nil)
        } catch {
            throw rememberFailedRead(error, at: changes.cursor)
        }
        if failedRead != nil { failedRead = nil }
        if readError != nil { readError = nil }
    }

    /// Copies what was published since `start` into ``recordBuffer``; throws `invalidArgument`
    /// when the handle is applying records from it already (a read from inside a key or value
    /// type's decoding), which must not have its records overwritten.
    func readChanges(since start: LogCursor, ignoringInterruptedPublication: Bool = false) throws -> LogChanges {
        guard !isApplyingRecords else {
            throw UltraDictError(.invalidArgument, "'\(name)' was read while it applied changes, from inside the decoding of a key or value; a handle cannot read itself while it decodes")
        }
        return try log.readChanges(since: start, into: recordBuffer, ignoringInterruptedPublication: ignoringInterruptedPublication)
    }

    /// Applies changes that ``readChanges(since:ignoringInterruptedPublication:)`` copied, with
    /// ``applyChanges``.
    func applyRead(_ changes: LogChanges, reloading: Bool) throws {
        isApplyingRecords = true
        defer { isApplyingRecords = false }
        try applyChanges(self, changes, reloading)
    }

    /// Remembers that reading the state `published` failed with `error`, when the bytes are at
    /// fault (`corruptSharedMemory`, `serialization`, `typeMismatch`); returns the error. A
    /// failure of the machine (descriptors, memory, a dump being replaced) is not remembered:
    /// the next read tries again.
    private func rememberFailedRead(_ error: any Error, at published: LogCursor) -> UltraDictError {
        let error = error as? UltraDictError ?? UltraDictError(.corruptSharedMemory, "'\(name)': \(error)")
        if [.corruptSharedMemory, .serialization, .typeMismatch].contains(error.code) {
            failedRead = FailedRead(published: published, error: error)
        }
        return error
    }

    /// Decodes validated changes and applies them, onto this handle's entries or, when
    /// `reloading` or the changes start with a snapshot, onto nothing. When a record fails, the
    /// records before it stay applied (applying them again is harmless: each sets or removes one
    /// key) and the cursor stays where it was; when a snapshot fails, or anything fails while
    /// `reloading`, the entries stay as they were.
    @inlinable
    func apply(_ changes: LogChanges, reloading: Bool = false) throws {
        if changes.snapshot == nil && !reloading {
            try applyRecords(of: changes, to: &storage)
        } else {
            var next: [Key: Value] = [:]
            try changes.snapshot.map { try loadSnapshot($0, into: &next) }
            try applyRecords(of: changes, to: &next)
            storage = next
        }
        cursor = changes.cursor
    }

    /// Decodes the entries of a full snapshot's payload into `entries`, with room reserved first
    /// for the count the serializer announces (``entriesToReserve(announced:payloadSize:)``).
    @inlinable
    func loadSnapshot(_ snapshot: [UInt8], into entries: inout [Key: Value]) throws {
        var failedKey: UltraValue?  // Set only on failure, so that the error can name the key.
        do {
            try snapshot.withUnsafeBytes { bytes in
                try serializer.decodeSnapshot(bytes, announcing: { count in
                    entries.reserveCapacity(Self.entriesToReserve(announced: count, payloadSize: bytes.count))
                }) { key, value in
                    do {
                        entries[try keyConverter.value(from: key)] = try valueConverter.value(from: value)
                    } catch {
                        failedKey = key
                        throw error
                    }
                }
            }
        } catch {
            throw applyError(error, key: failedKey)
        }
    }

    /// Room to reserve for a snapshot that announces `announced` entries in `payloadSize` bytes.
    /// The announcement is untrusted: never more entries than the bytes could hold, two bytes
    /// each (a key and a value take at least a byte each in any format, MessagePack's smallest),
    /// so that a hostile count cannot make a huge allocation.
    @usableFromInline
    static func entriesToReserve(announced: Int, payloadSize: Int) -> Int {
        Swift.max(0, Swift.min(announced, payloadSize / 2))
    }

    /// Decodes the stream records of `changes` and applies them to `entries`, in order.
    @inlinable
    func applyRecords(of changes: LogChanges, to entries: inout [Key: Value]) throws {
        var failedKey: UltraValue?  // Set only on failure, so that the error can name the key.
        do {
            try changes.forEachRecord { payload in
                let update = try serializer.decodeUpdate(payload)
                do {
                    let key = try keyConverter.value(from: update.key)
                    if update.isSet {
                        entries[key] = try valueConverter.value(from: update.value)
                    } else {
                        entries.removeValue(forKey: key)
                    }
                } catch {
                    failedKey = update.key
                    throw error
                }
            }
        } catch {
            throw applyError(error, key: failedKey)
        }
    }

    /// `error`, raised while applying changes, with the dictionary's name and the `key` of the
    /// entry, when known, in front of its message: `'scores', key "bob": expected Int, found string "one"`.
    @usableFromInline
    func applyError(_ error: any Error, key: UltraValue?) -> UltraDictError {
        let error = error as? UltraDictError ?? UltraDictError(.serialization, "\(error)")
        let subject = key.map { "'\(name)', key \($0)" } ?? "'\(name)'"
        return UltraDictError(error.code, "\(subject): \(error.message)", underlying: error.underlying)
    }
}
