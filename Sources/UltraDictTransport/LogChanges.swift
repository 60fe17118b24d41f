import UltraDictCore

/// How far a process has applied a dictionary's shared state: the full dump it loaded (by
/// counter) and the stream bytes it applied after it.
public struct LogCursor: Hashable, Sendable {
    /// The full-dump counter of the snapshot applied last.
    public var counter: UInt32
    /// The stream position applied up to.
    public var position: UInt32

    /// Creates a cursor.
    @inlinable public init(counter: UInt32, position: UInt32) {
        self.counter = counter
        self.position = position
    }

    /// The cursor in one word, for an atomic: the counter in the high half, the position in the low.
    @inlinable package var packed: UInt64 { UInt64(counter) << 32 | UInt64(position) }

    /// The cursor that ``packed`` gave `packed`.
    @inlinable package init(packed: UInt64) {
        self.init(counter: UInt32(truncatingIfNeeded: packed >> 32), position: UInt32(truncatingIfNeeded: packed))
    }
}

/// Validated changes copied out of shared memory, ready to decode.
@usableFromInline
package struct LogChanges {
    /// A full snapshot's payload to load before the records, when a new full dump was published.
    @usableFromInline package var snapshot: [UInt8]?
    /// The stream bytes to apply (whole, checked records), starting at `streamOffset`: a view of
    /// `buffer`, valid until its next read.
    @usableFromInline package let recordBytes: UnsafeRawBufferPointer
    /// The reader's buffer that `recordBytes` views, kept alive with it.
    let buffer: RecordBuffer
    /// Where the records start in the stream, for error messages.
    @usableFromInline package var streamOffset: Int
    /// The cursor after applying these changes.
    @usableFromInline package var cursor: LogCursor
    /// How many copies were thrown away because a writer raced the read (full dumps too fast,
    /// or a reader that fell behind).
    package var retries: Int

    /// A copy of the stream bytes to apply.
    package var records: [UInt8] { Array(recordBytes) }

    /// Calls `body` with each record's payload.
    @inlinable
    package func forEachRecord(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try Frame.forEachPayload(in: recordBytes, streamOffset: streamOffset, body)
    }
}

/// Memory that a reader copies stream records into, kept from one read to the next so that a
/// read allocates only when it needs more room than the reads before it (and gives back a large
/// allocation once reads need far less). One reader at a time.
package final class RecordBuffer {
    private var storage = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    /// Creates an empty buffer; it allocates on its first nonempty fill.
    package init() {}

    deinit { storage.deallocate() }

    /// Copies `count` bytes from `source` over the buffer's contents; returns a view of them,
    /// valid until the next fill.
    func fill(from source: UnsafeRawPointer, count: Int) -> UnsafeRawBufferPointer {
        if count > storage.count || (storage.count > 1 << 20 && count < storage.count / 4) {
            storage.deallocate()
            storage = .allocate(byteCount: max(count, 64), alignment: 8)
        }
        guard count > 0, let base = storage.baseAddress else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        base.copyMemory(from: source, byteCount: count)
        return UnsafeRawBufferPointer(start: base, count: count)
    }
}
