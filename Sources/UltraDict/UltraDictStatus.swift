import UltraDictCore
import UltraDictTransport

/// A dictionary's shared state and this handle's view of it, for diagnostics.
public struct UltraDictStatus: Sendable, Hashable {
    /// The dictionary's name.
    public var name: String
    /// The published stream position.
    public var streamPosition: Int
    /// The stream's capacity (`bufferSize`).
    public var bufferSize: Int
    /// The published full-dump counter.
    public var fullDumpCounter: Int
    /// The current full-dump segment's name, if any.
    public var fullDumpName: String?
    /// Payload bytes of the last full dump written by this package (0 if none or unknown): the
    /// size of the encoded snapshot, which the dump policy compares the stream with.
    public var lastSnapshotSize: Int
    /// The static full-dump size, or `nil` for a new segment per dump.
    public var fullDumpSize: Int?
    /// Whether the shared lock byte is held, and by which pid (0 when unknown or free).
    public var lockHeld: Bool
    /// The pid recorded as the shared lock's owner, 0 when free.
    public var lockOwnerPID: Int32
    /// The lock kind the creator recorded (`nil` for a Python creator, which records only the flag).
    public var lockKind: UltraDictLockKind?
    /// Python's shared-lock flag (byte 18).
    public var sharedLockFlag: Bool
    /// Python's recursion flag (byte 19).
    public var recurseFlag: Bool
    /// The serializer the creator recorded, if any.
    public var serializerIdentifier: String?
    /// The creator's pid, 0 when unknown (a Python creator).
    public var creatorPID: Int32
    /// The publication sequence word (odd while a full dump is being published).
    public var sequence: UInt64
    /// What this handle has applied.
    public var appliedCursor: LogCursor
    /// Whether this handle created the dictionary.
    public var isCreator: Bool
}

extension UltraDict {
    /// The shared state and this handle's cursor; throws `alreadyClosed` after ``close(unlink:)``.
    public func status() throws -> UltraDictStatus {
        try ensureOpen()
        let appliedCursor = cursor
        let control = log.control
        let lock = control.lockState
        return UltraDictStatus(
            name: name,
            streamPosition: Int(control.streamPosition),
            bufferSize: log.bufferSize,
            fullDumpCounter: Int(control.fullDumpCounter),
            fullDumpName: try control.fullDumpName(),
            lastSnapshotSize: control.lastSnapshotSize,
            fullDumpSize: control.staticFullDumpSize > 0 ? control.staticFullDumpSize : nil,
            lockHeld: lock.isHeld,
            lockOwnerPID: lock.ownerPID,
            lockKind: control.lockKind,
            sharedLockFlag: control.sharedLockFlag,
            recurseFlag: control.recurseFlag,
            serializerIdentifier: try control.serializerIdentifier(),
            creatorPID: control.creator.pid,
            sequence: control.sequence,
            appliedCursor: appliedCursor,
            isCreator: log.isCreator
        )
    }
}
