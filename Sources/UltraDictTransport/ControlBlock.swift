import Atomics
import UltraDictCore

/// The byte offsets of the control segment `NAME` (1000 bytes, little-endian).
///
/// Bytes 0 to 274 are Python UltraDict 0.0.6's; from byte 280 on are this package's own fields,
/// which are all zero in a dictionary that a Python process created. `Docs/FORMAT.md` describes each.
package enum ControlLayout {
    /// The control segment's size.
    package static let size = 1000

    // Python UltraDict 0.0.6's fields.
    /// u32: bytes of the update stream in use.
    package static let streamPosition = 0
    /// u32: pid of the shared lock's owner, 0 when free.
    package static let lockOwnerPID = 4
    /// u8: 1 while the shared lock is held (Python reserves two bytes; only the first is used).
    package static let lockByte = 8
    /// u32 (unaligned): number of full dumps published so far.
    package static let fullDumpCounter = 10
    /// u32 (unaligned): size of the static full-dump segment `NAME_full`, 0 for dynamic dumps.
    package static let staticFullDumpSize = 14
    /// ASCII `'1'` when the dictionary uses the shared lock.
    package static let sharedLockFlag = 18
    /// ASCII `'1'` when nested dictionaries are shared too.
    package static let recurseFlag = 19
    /// 255 bytes: name of the current full-dump segment, padded with spaces or NULs.
    package static let fullDumpName = 20
    /// Length of the dump-name field.
    package static let fullDumpNameLength = 255

    // This package's fields.
    /// u32: ``magicValue`` once the creator has written the fields below.
    package static let magic = 280
    /// u16: ``layoutVersionValue``.
    package static let layoutVersion = 284
    /// u8: the ``UltraDictLockKind`` raw value.
    package static let lockKind = 286
    /// 16 bytes: the serializer's identifier, NUL-padded.
    package static let serializerIdentifier = 288
    /// Length of the serializer field; identifiers may use all but its last byte.
    package static let serializerIdentifierLength = 16
    /// u32: pid of the process that created the dictionary.
    package static let creatorPID = 304
    /// u64: the creator's start time (clock ticks since boot).
    package static let creatorStartTime = 312
    /// u64: the lock owner's identity: its pid in the low 32 bits, the low 32 bits of its start
    /// time in the high 32 bits; 0 when free or unknown. It vouches for the start time only
    /// while its pid half equals the owner pid at 4 (a Python owner never writes it).
    package static let lockOwnerIdentity = 320
    /// u64: the publication sequence word, odd while a full dump is being published.
    package static let sequence = 328
    // Bytes 336..344 are reserved (`Docs/FORMAT.md`): nothing reads or writes them.
    /// u64: the capacity of the update stream `NAME_memory` as created.
    package static let streamCapacity = 344
    /// u64: payload bytes of the last full dump this package published, for the dump policy.
    package static let lastSnapshotSize = 352
    /// 16 bytes at 360: the name of the full dump being published (`psm_xxxxxxxx`, NUL-padded),
    /// written before the dump is created and cleared once its publication ended, so that a
    /// repair can finish a publication whose writer died, and nothing is left behind.
    package static let pendingDumpName = 360
    /// 16 bytes at 376: the dynamic dump that the pending one replaces, unlinked at the end of
    /// the publication; empty for a static dump.
    package static let replacedDumpName = 376
    /// Bytes of each of the pending-dump and replaced-dump name fields.
    package static let dumpNameFieldLength = 16
    /// u32 at 392: the wake word, a futex that writers and lock holders bump to wake waiters
    /// (``WakeWord``); any value is valid.
    package static let wakeWord = 392
    /// u32 at 396: the waiter count, change waiters in the low 16 bits and lock waiters in the
    /// high 16 (``WakeWord``); 0 when nobody waits.
    package static let waiterCount = 396
    /// u32 at 400: 0 when no lock waiter that a release woke is awake; 1 while one is awake and
    /// trying for the lock, so that further releases wake nobody meanwhile; 2 once a release
    /// skipped its wake so; any other value counts as 1 (``WakeWord``).
    package static let wokenLockWaiter = 400

    /// `"UDSW"` read as a little-endian u32.
    package static let magicValue: UInt32 = 0x5753_4455
    /// The version of this package's fields described in `Docs/FORMAT.md`.
    package static let layoutVersionValue: UInt16 = 1
}

/// The control segment of a dictionary: its shared state, read and written atomically.
///
/// All pointer arithmetic on the control segment is here. Fields written by other processes are
/// untrusted: accessors that return names or sizes validate them.
@usableFromInline
package final class ControlBlock: @unchecked Sendable {
    /// The mapped control segment.
    package let segment: MappedSegment
    @usableFromInline let position: UnsafeAtomic<UInt32>
    @usableFromInline let counterAddress: UnsafeMutableRawPointer
    @usableFromInline let sequenceWord: UnsafeAtomic<UInt64>
    /// The wake word and the waiter count, at bytes 392 and 396.
    @usableFromInline package let wake: WakeWord

    /// Wraps a mapped control segment of at least ``ControlLayout/size`` bytes.
    package init(segment: MappedSegment) {
        precondition(segment.size >= ControlLayout.size, "control segment too small")
        self.segment = segment
        position = Self.atomic(segment.base, ControlLayout.streamPosition)
        counterAddress = segment.base + ControlLayout.fullDumpCounter
        sequenceWord = Self.atomic(segment.base, ControlLayout.sequence)
        wake = WakeWord(in: segment)
    }

    private static func atomic<T: AtomicValue>(_ base: UnsafeMutableRawPointer, _ offset: Int) -> UnsafeAtomic<T> {
        UnsafeAtomic(at: (base + offset).assumingMemoryBound(to: T.AtomicRepresentation.self))
    }

    /// The lock words at bytes 4, 8 and 320, handed to the dictionary's lock.
    package var lockWords: LockWords {
        LockWords(
            ownerPID: LockWord(Self.atomic(segment.base, ControlLayout.lockOwnerPID), in: self),
            lockByte: LockWord(Self.atomic(segment.base, ControlLayout.lockByte), in: self),
            ownerIdentity: LockWord(Self.atomic(segment.base, ControlLayout.lockOwnerIdentity), in: self)
        )
    }

    // MARK: Publication state (the reader's hot path)

    /// The published stream position (acquire).
    @inlinable
    package var streamPosition: UInt32 { position.load(ordering: .acquiring) }

    /// The published full-dump counter (acquire). It sits at an odd-aligned offset; on x86-64 and
    /// arm64 an unaligned 4-byte load within one cache line is a single access.
    @inlinable
    package var fullDumpCounter: UInt32 {
        let value = counterAddress.loadUnaligned(as: UInt32.self)
        atomicMemoryFence(ordering: .acquiring)
        return UInt32(littleEndian: value)
    }

    /// The sequence word (acquire): odd while a full dump is being published.
    @inlinable package var sequence: UInt64 { sequenceWord.load(ordering: .acquiring) }

    /// Publishes a new stream position (release).
    package func publishStreamPosition(_ value: UInt32) {
        position.store(value, ordering: .releasing)
    }

    /// Publishes a new full-dump counter (release).
    package func publishFullDumpCounter(_ value: UInt32) {
        atomicMemoryFence(ordering: .releasing)
        counterAddress.storeBytes(of: value.littleEndian, as: UInt32.self)
    }

    /// Writes the control block to disk and waits, on a durable store (``MappedSegment/synchronize(_:)``).
    package func synchronize() throws {
        try segment.synchronize(0..<ControlLayout.size)
    }

    /// Makes the sequence word odd, unless it is odd already (a repair): a publication begins.
    ///
    /// The seqlock writer's order: the odd store, then a release fence, so that no store of the
    /// publication that follows becomes visible before the odd value (an atomic read-modify-write
    /// alone is not a fence: on AArch64 later plain stores may pass it). A reader that copies a
    /// byte stored after the fence, then issues an acquire fence, then loads the word, sees it odd
    /// or later (`Docs/FORMAT.md`, "Memory order"). Called with the lock held: only one writer.
    package func beginPublication() {
        let value = sequenceWord.load(ordering: .relaxed)
        if value & 1 == 0 { sequenceWord.store(value &+ 1, ordering: .relaxed) }
        atomicMemoryFence(ordering: .releasing)
    }

    /// Makes the sequence word even, unless it is even already, with a release store: every
    /// store of the publication becomes visible before it.
    package func endPublication() {
        let value = sequenceWord.load(ordering: .relaxed)
        if value & 1 == 1 { sequenceWord.store(value &+ 1, ordering: .releasing) }
    }

    // MARK: Configuration fields

    /// Whether this package's fields are present (the magic is set).
    package var hasOwnFields: Bool { load(UInt32.self, at: ControlLayout.magic) == ControlLayout.magicValue }

    /// The lock kind the creator recorded, or `nil` for a Python creator.
    package var lockKind: UltraDictLockKind? {
        hasOwnFields ? UltraDictLockKind(rawValue: load(UInt8.self, at: ControlLayout.lockKind)) : nil
    }

    /// The lock the dictionary uses: the kind the creator recorded or, for a Python creator,
    /// which records only the shared-lock flag, ``UltraDictLockKind/shared`` when that flag is set
    /// and ``UltraDictLockKind/processLocal`` (Python's default lock) when not.
    package var effectiveLockKind: UltraDictLockKind { lockKind ?? (sharedLockFlag ? .shared : .processLocal) }

    /// Python's shared-lock flag (byte 18 is `'1'`).
    package var sharedLockFlag: Bool { load(UInt8.self, at: ControlLayout.sharedLockFlag) == UInt8(ascii: "1") }

    /// Python's recursion flag (byte 19 is `'1'`).
    package var recurseFlag: Bool { load(UInt8.self, at: ControlLayout.recurseFlag) == UInt8(ascii: "1") }

    /// The serializer identifier the creator recorded, or `nil` if none (a Python creator).
    package func serializerIdentifier() throws -> String? {
        guard hasOwnFields else { return nil }
        let bytes = copyBytes(at: ControlLayout.serializerIdentifier, count: ControlLayout.serializerIdentifierLength)
        let text = bytes.prefix { $0 != 0 }
        guard text.count < bytes.count, text.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw UltraDictError(.corruptSharedMemory, "control block of '\(segment.name)': serializer identifier is not NUL-terminated printable ASCII")
        }
        return text.isEmpty ? nil : String(decoding: text, as: UTF8.self)
    }

    /// The static full-dump size, 0 for dynamic dumps.
    package var staticFullDumpSize: Int {
        Int(UInt32(littleEndian: (segment.base + ControlLayout.staticFullDumpSize).loadUnaligned(as: UInt32.self)))
    }

    /// The pid and start time of the creator (zeros for a Python creator).
    package var creator: (pid: Int32, startTime: UInt64) {
        (Int32(bitPattern: load(UInt32.self, at: ControlLayout.creatorPID)), load(UInt64.self, at: ControlLayout.creatorStartTime))
    }

    /// Payload bytes of the last full dump a writer of this package published, 0 if none. The
    /// field is untrusted: it reads as at most 2^32-1, the largest payload a frame's u32 length
    /// can hold, so that sums and products of it cannot overflow.
    package var lastSnapshotSize: Int {
        get { Int(min(load(UInt64.self, at: ControlLayout.lastSnapshotSize), UInt64(UInt32.max))) }
        set { store(UInt64(newValue), at: ControlLayout.lastSnapshotSize) }
    }

    /// The stream capacity the creator recorded, 0 if unknown.
    package var streamCapacity: Int { Int(clamping: load(UInt64.self, at: ControlLayout.streamCapacity)) }

    /// Writes every configuration field of a new dictionary; the magic goes last (release), so a
    /// reader that sees it sees the rest.
    package func initialize(
        lockKind: UltraDictLockKind,
        serializerIdentifier: String,
        recurse: Bool,
        staticFullDumpSize: Int,
        streamCapacity: Int,
        creatorPID: Int32,
        creatorStartTime: UInt64
    ) throws {
        let identifier = Array(serializerIdentifier.utf8)
        guard identifier.count < ControlLayout.serializerIdentifierLength, identifier.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw UltraDictError(.invalidArgument, "a serializer identifier must be 1 to 15 printable ASCII bytes: \(serializerIdentifier.debugDescription)")
        }
        guard staticFullDumpSize >= 0, staticFullDumpSize <= Int(UInt32.max) else {
            throw UltraDictError(.invalidArgument, "fullDumpSize must be below 4 GiB, got \(staticFullDumpSize)")
        }
        if lockKind == .shared { store(UInt8(ascii: "1"), at: ControlLayout.sharedLockFlag) }
        if recurse { store(UInt8(ascii: "1"), at: ControlLayout.recurseFlag) }
        (segment.base + ControlLayout.staticFullDumpSize).storeBytes(of: UInt32(staticFullDumpSize).littleEndian, as: UInt32.self)
        store(ControlLayout.layoutVersionValue, at: ControlLayout.layoutVersion)
        store(lockKind.rawValue, at: ControlLayout.lockKind)
        for (index, byte) in identifier.enumerated() { store(byte, at: ControlLayout.serializerIdentifier + index) }
        store(UInt32(bitPattern: creatorPID), at: ControlLayout.creatorPID)
        store(creatorStartTime, at: ControlLayout.creatorStartTime)
        store(UInt64(streamCapacity), at: ControlLayout.streamCapacity)
        atomicMemoryFence(ordering: .releasing)
        store(ControlLayout.magicValue, at: ControlLayout.magic)
    }

    // MARK: Full-dump name

    /// The current full-dump segment's name, or `nil` if none was published yet.
    ///
    /// Only the two names a dump can have are accepted: a dynamic dump's `psm_xxxxxxxx` and the
    /// static dump `NAME_full` of this dictionary, as Python and this package name them. Any
    /// other throws `corruptSharedMemory`, so that a hostile field never makes a process open,
    /// copy or unlink another dictionary's segments as a dump.
    package func fullDumpName() throws -> String? {
        let raw = copyBytes(at: ControlLayout.fullDumpName, count: ControlLayout.fullDumpNameLength)
        // Python pads with spaces (`ljust`), this package with NULs; strip both at the end.
        var end = raw.count
        while end > 0, raw[end - 1] == 0 || raw[end - 1] == UInt8(ascii: " ") { end -= 1 }
        var start = 0
        while start < end, raw[start] == UInt8(ascii: " ") { start += 1 }
        let bytes = raw[start..<end]
        if bytes.isEmpty { return nil }
        let name = String(decoding: bytes, as: UTF8.self)
        guard SegmentName.isDumpName(name) || name == UpdateLog.staticDumpName(segment.name) else {
            throw UltraDictError(.corruptSharedMemory, "control block of '\(segment.name)': the full-dump name field holds \(name.debugDescription), which is neither a dump's psm_xxxxxxxx nor '\(segment.name)_full'")
        }
        return name
    }

    /// Writes the full-dump segment's name, NUL-padded: the name first, then the padding, so
    /// that a reader that does not hold the lock (``UltraDict/status()``) never sees the field empty.
    package func publishFullDumpName(_ name: String) {
        let bytes = Array(name.utf8.prefix(ControlLayout.fullDumpNameLength))
        let field = segment.base + ControlLayout.fullDumpName
        bytes.withUnsafeBytes { field.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        (field + bytes.count).initializeMemory(as: UInt8.self, repeating: 0, count: ControlLayout.fullDumpNameLength - bytes.count)
    }

    /// The full dump whose publication is under way or was interrupted, or `nil`.
    package var pendingDumpName: String? {
        get { dumpName(at: ControlLayout.pendingDumpName) }
        set { setDumpName(newValue, at: ControlLayout.pendingDumpName) }
    }

    /// The dynamic dump that the pending one replaces, or `nil`.
    package var replacedDumpName: String? {
        get { dumpName(at: ControlLayout.replacedDumpName) }
        set { setDumpName(newValue, at: ControlLayout.replacedDumpName) }
    }

    /// Reads a 16-byte dump-name field. Anything but a `psm_xxxxxxxx` name reads as `nil`, so
    /// that a hostile field can never make a writer copy from or unlink another kind of segment.
    private func dumpName(at offset: Int) -> String? {
        let bytes = copyBytes(at: offset, count: ControlLayout.dumpNameFieldLength)
        let name = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        return SegmentName.isDumpName(name) ? name : nil
    }

    private func setDumpName(_ name: String?, at offset: Int) {
        let field = segment.base + offset
        field.initializeMemory(as: UInt8.self, repeating: 0, count: ControlLayout.dumpNameFieldLength)
        if let bytes = name.map({ Array($0.utf8.prefix(ControlLayout.dumpNameFieldLength - 1)) }) {
            bytes.withUnsafeBytes { field.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
    }

    // MARK: Raw access

    private func load<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        T(littleEndian: (segment.base + offset).loadUnaligned(as: T.self))
    }

    private func store<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        (segment.base + offset).storeBytes(of: value.littleEndian, as: T.self)
    }

    private func copyBytes(at offset: Int, count: Int) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: segment.base + offset, count: count))
    }
}
