import UltraDictCore

// The write side of the stream: room, records and their publication (lock held).
extension UpdateLog {
    /// The stream bytes below which a writer appends rather than dumps: the stream's capacity,
    /// or sooner once the stream has grown as large as the last snapshot (at least
    /// ``minimumCompactionSize``), so that the cost of dumps per write stays flat as the
    /// dictionary grows — the compaction rule of a log-structured store.
    package var compactionLimit: Int {
        compactionLimit(afterSnapshotOf: control.lastSnapshotSize)
    }

    /// The ``compactionLimit`` once a snapshot of `snapshotSize` bytes is the last one.
    func compactionLimit(afterSnapshotOf snapshotSize: Int) -> Int {
        min(stream.size, max(Self.minimumCompactionSize, snapshotSize))
    }

    /// Room to reserve for the next snapshot's encoding: the last snapshot's size (field 352,
    /// untrusted) clamped to what the segments can hold, so that a hostile size never reaches an
    /// allocation, plus a little. A hint only: a larger snapshot grows its buffer.
    @usableFromInline
    package var expectedSnapshotSize: Int {
        min(control.lastSnapshotSize, staticDump?.size ?? stream.size) + 64
    }

    /// The stream never compacts below this many bytes: 1 MiB, so that small dictionaries with
    /// large values do not pay for a dump every few writes.
    package static let minimumCompactionSize = 1 << 20

    /// Appends one record to the stream and publishes it; returns `false`, changing nothing, when
    /// the stream has no room for it within ``compactionLimit`` (the caller then writes a full dump).
    /// Throws only what ``publishAppended(from:length:cursor:)`` throws on a durable store.
    @usableFromInline
    package func append(_ payload: [UInt8], cursor: inout LogCursor) throws -> Bool {
        try payload.withUnsafeBytes { payload in
            try append(cursor: &cursor) { room in
                guard payload.count <= room.count else { return nil }
                room.copyMemory(from: payload)
                return payload.count
            }
        }
    }

    /// Appends one record that `encode` writes in place, into the stream's free room within
    /// ``compactionLimit`` after the record's header, and publishes it. `encode` returns the
    /// payload's length, or `nil` when it does not fit (or cannot be written in place): then this
    /// returns `false` and publishes nothing. An error from `encode` is rethrown, also publishing
    /// nothing; whatever `encode` wrote past the published position stays unread.
    @inlinable
    package func append(
        cursor: inout LogCursor, encoding encode: (UnsafeMutableRawBufferPointer) throws -> Int?
    ) throws -> Bool {
        guard let (start, room) = roomToAppend, let length = try encode(room), length > 0, length <= room.count else {
            return false
        }
        try publishAppended(from: start, length: length, cursor: &cursor)
        return true
    }

    /// Where the next record starts, and the room for its payload: none when the position is
    /// out of bounds or not even a header fits below ``compactionLimit``.
    @usableFromInline
    var roomToAppend: (start: Int, room: UnsafeMutableRawBufferPointer)? {
        let start = Int(control.streamPosition)
        let end = min(compactionLimit, start + Frame.headerSize + Int(UInt32.max))
        guard start <= stream.size, start + Frame.headerSize < end else { return nil }
        return (start, UnsafeMutableRawBufferPointer(start: stream.base + start + Frame.headerSize, count: end - start - Frame.headerSize))
    }

    /// Frames the `length` payload bytes written after `start`, publishes the new position, and
    /// wakes the waiters for changes if there are any (``WakeWord/wakeChangeWaiters()``).
    ///
    /// On a durable store the record reaches the disk before the position that publishes it, and
    /// the position before this returns. A failed `msync` throws `systemCall`: before the
    /// position is published nothing is; after it, the record is published (other handles read
    /// it) but not known to be on disk, and `cursor` stays before it, so this handle reads it too.
    @usableFromInline
    func publishAppended(from start: Int, length: Int, cursor: inout LogCursor) throws {
        let end = start + Frame.headerSize + length
        Frame.writeHeader(length: UInt32(length), at: stream.base + start)
        if synchronizesWrites { try stream.synchronize(start..<end) }
        control.publishStreamPosition(UInt32(end))
        control.wake.wakeChangeWaiters()
        if synchronizesWrites { try control.synchronize() }
        if cursor.position == UInt32(start) { cursor.position = UInt32(end) }
    }
}
