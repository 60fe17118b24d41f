import UltraDictCore
import UltraDictTransport

/// The changes to a dictionary as they are published, read from its update log without a lock:
/// what `UltraDict.changes()` and `ultradict watch` deliver.
///
/// It lives beside the dictionary's own reading (`UltraDict+Refresh.swift`) so that one module
/// owns how snapshots and records are applied. It does not share the dictionary's decoding loop:
/// that loop is specialized for `Key` and `Value` and keeps no list of changes, and making it
/// report each change would cost every read; this one works on `UltraValue` entries with any
/// serializer and returns what changed.
package struct ChangeFeed {
    /// One change.
    package enum Change {
        /// `key` was set to `value`.
        case set(UltraValue, UltraValue)
        /// `key` was removed.
        case delete(UltraValue)
    }

    private let log: UpdateLog
    private let serializer: any UltraDictSerializer
    private let keyOrder: (UltraValue, UltraValue) -> Bool
    private var cursor = LogCursor(counter: 0, position: 0)
    /// Where each read copies the new records, kept rather than allocated per poll.
    private let records = RecordBuffer()
    /// When ``waitForChangesUntilUnlinked(shouldStop:)`` last looked for the control segment
    /// (`continuousNanoseconds()`).
    private var lastUnlinkLook: Int64?
    /// The entries after the changes returned so far.
    package private(set) var entries: [UltraValue: UltraValue] = [:]

    /// A feed of the dictionary behind `log`, decoded with `serializer`, that has seen nothing
    /// yet; the changes a full dump implies come in `keyOrder`.
    package init(log: UpdateLog, serializer: any UltraDictSerializer, keyOrder: @escaping (UltraValue, UltraValue) -> Bool) {
        self.log = log
        self.serializer = serializer
        self.keyOrder = keyOrder
    }

    /// The longest a waiter goes without looking for the dictionary's control segment, unless
    /// something else than a publication moved the wake word: a look costs a path lookup, about
    /// as much CPU as a slice's wake on a virtual machine, and only an unlink by a process that is
    /// not of this package (Python, or by hand) needs it; an unlink by this package wakes every
    /// waiter. In nanoseconds: the clock is read after every slice, so it is the plainest one.
    static let unlinkLookInterval: Int64 = 1_000_000_000

    /// How ``waitForChangesUntilUnlinked(shouldStop:)`` ended.
    package enum WaitEnd: Equatable {
        /// Something was published that ``changes()`` has not returned.
        case changed
        /// `shouldStop` held, with nothing new.
        case stopped
        /// The dictionary was unlinked.
        case unlinked
    }

    /// Blocks until something is published that ``changes()`` has not returned, `shouldStop`
    /// holds, or the dictionary is unlinked. It sleeps in the kernel, woken by this package's
    /// writers, and rechecks at least every 100 ms (`UpdateLog.waitForChanges`); a change
    /// already published is returned first, whatever `shouldStop` says. The unlink is looked
    /// for when the wake word moved since the wait's last look with nothing new published (an
    /// unlink by a process of this package bumps it and wakes every waiter), and whenever
    /// ``unlinkLookInterval`` has passed since the last look, across calls: an unlink by anyone
    /// else is seen within about a second, also while changes keep coming.
    package mutating func waitForChangesUntilUnlinked(shouldStop: () -> Bool = { false }) -> WaitEnd {
        let wake = log.control.wake
        var lastWord: UInt32?
        var lastLook = lastUnlinkLook ?? continuousNanoseconds()
        var unlinked = false
        defer { lastUnlinkLook = lastLook }
        let outcome = log.waitForChanges(since: cursor) {
            // Called only when nothing new was published since the cursor: a moved word was
            // moved by something else than a publication (the word, not the time slept, since a
            // wake can come as a slice ends).
            let now = continuousNanoseconds()
            let word = wake.value
            defer { lastWord = word }
            guard !shouldStop() else { return true }
            let bumped = lastWord.map { $0 != word } ?? false
            guard bumped || now - lastLook >= Self.unlinkLookInterval else { return false }
            lastLook = now
            unlinked = !dictionaryExists
            return unlinked
        }
        switch outcome {
        case .changed: return .changed
        case .stopped, .timedOut: return unlinked ? .unlinked : .stopped
        }
    }

    /// Wakes the waiters of this process alone (``waitForChangesUntilUnlinked(shouldStop:)``), so
    /// that a waiter whose stop condition now holds, or that has other work, looks at once.
    package func interruptChangeWaitersOfThisProcess() {
        log.interruptChangeWaitersOfThisProcess()
    }

    /// Whether the dictionary's control segment still exists in its store (one system call).
    package var dictionaryExists: Bool { log.store.exists(name: log.name) }

    /// The changes published since the last call, in order (none costs two atomic loads); the
    /// first call returns everything. Every record is a change, even a set to the value the key
    /// had; across a full dump, the changes are the difference between the entries before and
    /// after it (deletions first). Either all of them are applied to ``entries`` or, when one
    /// cannot be decoded, none.
    ///
    /// Throws `LogError.publicationInterrupted` while a full dump's publication stays unfinished.
    package mutating func changes() throws -> [Change] {
        guard !log.isCurrent(cursor) else { return [] }
        let published = try log.readChanges(since: cursor, into: records)
        // Everything is decoded before anything is applied, so that a record that cannot be
        // decoded leaves the entries as they were without a copy of them: a change to a large
        // dictionary costs what the change costs, not what the dictionary holds.
        let dump = try published.snapshot.map { snapshot in
            let tree = try snapshot.withUnsafeBytes { try serializer.decode($0) }
            guard case .dictionary(let map) = tree else {
                throw UltraDictError(.serialization, "the full dump of '\(log.name)' holds \(tree.kindName), not a dictionary")
            }
            return map
        }
        var updates: [UltraDictUpdate] = []
        try published.forEachRecord { payload in updates.append(try serializer.decodeUpdate(payload)) }
        var changes: [Change] = []
        if let dump {
            changes += entries.keys.filter { dump[$0] == nil }.sorted(by: keyOrder).map(Change.delete)
            changes += dump.filter { entries[$0.key] != $0.value }.keys.sorted(by: keyOrder).map { Change.set($0, dump[$0]!) }
            entries = dump
        }
        for update in updates {
            if update.isSet {
                entries[update.key] = update.value
                changes.append(.set(update.key, update.value))
            } else if entries.removeValue(forKey: update.key) != nil {
                changes.append(.delete(update.key))
            }
        }
        cursor = published.cursor
        return changes
    }
}
