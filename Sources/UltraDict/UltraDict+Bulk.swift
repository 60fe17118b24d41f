import UltraDictCore
import UltraDictTransport

// The bulk write: many entries written as one full dump instead of one record each.

extension UltraDict {
    // MARK: Writing many entries

    /// Sets every entry of `other` in every process, under one acquisition of the lock.
    ///
    /// Cost: many entries compared to the dictionary (always into an empty one, from 512
    /// entries) go out as one full dump of the whole result, linear in its size; a few entries
    /// go out as one record each, as ``updateValue(_:forKey:)`` writes them (whichever costs
    /// fewer bytes). A failed dump throws and leaves every process's entries
    /// as they were; a failed record leaves the entries before it written. A ``recurse``
    /// dictionary always writes records, since a nested dictionary needs segments of its own.
    ///
    /// Building a dictionary from a large one is therefore `UltraDict(name:)` followed by this.
    @inlinable
    public func update(with other: [Key: Value]) throws {
        try withLock { _ in
            if !recurse && prefersOneDump(forWriting: other.count) {
                try merge(withOneDump: other)
            } else {
                for (key, value) in other { try updateValue(value, forKey: key) }
            }
        }
    }

    /// Sets every entry of `other` here and publishes the result as one full dump (lock held),
    /// with exclusive access. On failure the previous entries are restored, exactly: no process
    /// sees the change.
    @inlinable
    func merge(withOneDump other: [Key: Value]) throws {
        try withExclusiveAccess {
            let previous = storage
            if storage.isEmpty {
                storage = other  // Shares `other`'s storage: no insert, no hashing.
            } else {
                storage.reserveCapacity(storage.count + other.count)  // One copy of `previous`, no growth.
                storage.merge(other) { _, new in new }
            }
            do {
                try publishFullDump()
            } catch {
                storage = previous
                throw error
            }
        }
    }

    /// Whether `count` entries cost less as one full dump than as one record each (lock held).
    ///
    /// Bytes decide, as they decide when the stream compacts (DESIGN §6): the writer writes them
    /// and every reader copies and decodes them. Both ways publish each new entry once. The
    /// records add their framing, at least ``recordFraming`` bytes each; the dump adds the entries
    /// that stay as they were, at most the current snapshot (the last one plus the stream since,
    /// since a record holds its entry), and the fixed cost of a segment of its own,
    /// ``dumpOverhead``. So one dump is cheaper when the records' framing outweighs those two:
    /// into an empty dictionary, from 512 entries. It is also cheaper when the records, at least
    /// ``recordFraming`` + 2 bytes each, would carry the stream to its compaction limit: a dump
    /// would come anyway, after them.
    @usableFromInline
    func prefersOneDump(forWriting count: Int) -> Bool {
        let position = Int(log.control.streamPosition)
        let snapshotBound = log.control.lastSnapshotSize + position
        return count * Self.recordFraming >= snapshotBound + Self.dumpOverhead
            || position + count * (Self.recordFraming + 2) >= log.compactionLimit
    }

    /// The fewest bytes a record adds beyond its key and value: the frame's header and, in any
    /// format, at least a byte for the record's array and one for its `isSet` flag.
    static var recordFraming: Int { Frame.headerSize + 2 }

    /// What a full dump costs beyond its bytes, in bytes: a segment of its own (at least a 4 KiB
    /// page) that the writer creates and every reader attaches. Measured, publishing an empty
    /// dump takes about as long as writing 200 to 500 records.
    static var dumpOverhead: Int { 4096 }
}
