import UltraDictCore

/// How far a process has applied a dictionary's shared state: the full dump it loaded (by
/// counter) and the stream bytes it applied after it.
public struct LogCursor: Hashable, Sendable {
    /// The full-dump counter of the snapshot applied last.
    public var counter: UInt32
    /// The stream position applied up to.
    public var position: UInt32

    /// Creates a cursor.
    public init(counter: UInt32, position: UInt32) {
        self.counter = counter
        self.position = position
    }
}

/// Validated changes copied out of shared memory, ready to decode.
@usableFromInline
package struct LogChanges {
    /// A full snapshot's payload to load before the records, when a new full dump was published.
    @usableFromInline package var snapshot: [UInt8]?
    /// The stream bytes to apply (whole, checked records), starting at `streamOffset`.
    package var records: [UInt8]
    /// Where `records` start in the stream, for error messages.
    package var streamOffset: Int
    /// The cursor after applying these changes.
    @usableFromInline package var cursor: LogCursor
    /// How many copies were thrown away because a writer raced the read (full dumps too fast,
    /// or a reader that fell behind).
    package var retries: Int

    /// Calls `body` with each record's payload.
    @usableFromInline
    package func forEachRecord(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try records.withUnsafeBytes { try Frame.forEachPayload(in: $0, streamOffset: streamOffset, body) }
    }
}
