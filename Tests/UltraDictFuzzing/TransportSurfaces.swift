import UltraDictCore
import UltraDictTransport

/// The transport's readers of untrusted bytes, fed one input each.
enum TransportSurfaces {
    /// Frames the input as a run of stream records, then as a full dump with its trailer.
    static func framing(_ bytes: UnsafeRawBufferPointer) throws {
        try attempt("Frame.forEachPayload") {
            var end = 0
            try Frame.forEachPayload(in: bytes, streamOffset: 0) { payload in
                end = bytes.baseAddress!.distance(to: payload.baseAddress! + payload.count)
                touch(payload)
            }
            try require(end == bytes.count, "Frame.forEachPayload accepted records that end at byte \(end) of \(bytes.count)")
        }
        try attempt("Frame.payloadLength") {
            let length = try Frame.payloadLength(in: bytes, what: "fuzz input")
            try require(length > 0 && Frame.headerSize + length <= bytes.count, "Frame.payloadLength returned \(length) for \(bytes.count) bytes")
            let payload = UnsafeRawBufferPointer(rebasing: bytes[Frame.headerSize ..< Frame.headerSize + length])
            if let trailer = DumpTrailer(reading: UnsafeRawBufferPointer(rebasing: bytes[(Frame.headerSize + length)...])) {
                _ = trailer.matches(payload)
            }
        }
    }

    /// Writes the input's first ``ControlLayout/size`` bytes (zero-padded) into a control block
    /// and reads every field, checking what the validating accessors return.
    static func controlBlock(_ bytes: UnsafeRawBufferPointer) throws {
        let scratch = ScratchLog.shared
        scratch.load(bytes, into: scratch.control.segment)
        let control = scratch.control
        try attempt("ControlBlock.fullDumpName") {
            guard let name = try control.fullDumpName() else { return }
            try require(
                SegmentName.isDumpName(name) || name == UpdateLog.staticDumpName(control.segment.name),
                "fullDumpName returned \(name.debugDescription), which is neither a dump's name nor the static dump's"
            )
        }
        try attempt("ControlBlock.serializerIdentifier") {
            guard let identifier = try control.serializerIdentifier() else { return }
            try require(
                identifier.utf8.count < ControlLayout.serializerIdentifierLength && identifier.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F },
                "serializerIdentifier returned \(identifier.debugDescription)"
            )
        }
        let ownFields = control.hasOwnFields
        try require(
            (control.layoutVersion != nil) == ownFields && (ownFields || control.lockKind == nil),
            "the fields from byte 280 on are read although the magic is \(ownFields ? "" : "not ")set"
        )
        try require(
            control.staticFullDumpSize >= 0 && control.streamCapacity >= 0 && control.lastSnapshotSize >= 0,
            "a size field reads negative: \(control.staticFullDumpSize), \(control.streamCapacity), \(control.lastSnapshotSize)"
        )
    }

    /// Writes the input into the scratch dictionary's segments (see ``UpdateLogInput``) and reads
    /// its changes since the input's cursor without a lock, as a reader does.
    ///
    /// A read that returns must hand over whole records inside the stream, and a second read from
    /// the cursor it returns must find nothing new. An unfinished publication
    /// (`LogError.publicationInterrupted`, which the dictionary repairs under its lock) is an
    /// accepted outcome. The read takes one copy only: nothing races it here, and a retry would
    /// only sleep before failing the same way.
    static func updateLog(_ bytes: UnsafeRawBufferPointer) throws {
        let scratch = ScratchLog.shared
        let input = UpdateLogInput(bytes)
        scratch.load(input.control, into: scratch.control.segment)
        scratch.load(input.stream, into: scratch.stream)
        scratch.load(input.dump, into: scratch.dump)
        if input.repairsFirst, scratch.log.isPublicationInterrupted {
            // A pending-dump name that exists belongs to someone else: never repair with it.
            if let pending = scratch.control.pendingDumpName, SharedMemoryStore().exists(name: pending) { return }
            try attempt("UpdateLog.repairInterruptedPublication") {
                let repaired = try scratch.log.repairInterruptedPublication()
                try require(!repaired || !scratch.log.isPublicationInterrupted, "a repair that succeeded left the publication unfinished")
            }
        }
        let read = { (cursor: LogCursor) in
            try scratch.log.readChanges(since: cursor, ignoringInterruptedPublication: input.ignoresInterruptedPublication, attempts: 1)
        }
        try attempt("UpdateLog.readChanges") {
            let changes: LogChanges
            do {
                changes = try read(input.cursor)
            } catch LogError.publicationInterrupted {
                return
            }
            let end = changes.streamOffset + changes.records.count
            try require(
                end == Int(changes.cursor.position) && end <= scratch.stream.size && (changes.snapshot != nil || changes.streamOffset == Int(input.cursor.position)),
                "readChanges returned \(changes.records.count) bytes from \(changes.streamOffset) for cursor \(changes.cursor) in a stream of \(scratch.stream.size)"
            )
            try require((changes.snapshot?.count ?? 0) <= scratch.dump.size, "readChanges returned a snapshot larger than its segment")
            do {
                try changes.forEachRecord(touch)
                let again = try read(changes.cursor)
                try require(again.snapshot == nil && again.records.isEmpty, "a second read from \(changes.cursor) found changes")
            } catch let error as UltraDictError {
                throw FuzzFinding("changes that readChanges returned cannot be read again: \(error)")
            }
        }
        if input.writesAfterReading { try writeAfterReading(input) }
    }

    /// The writer's path over the input's segments, as the lock holder takes it after a read: a
    /// repair of an unfinished publication, one appended record, then a full dump. Whatever the
    /// fields of ours say (the last snapshot's size, the pending and replaced dump names, the
    /// counter, the sequence word), the writer throws or goes on, never traps; a dump that it
    /// publishes must read back whole, and leave no publication unfinished.
    static func writeAfterReading(_ input: UpdateLogInput) throws {
        let scratch = ScratchLog.shared
        let log = scratch.log, control = scratch.control
        // A dump name of the input that exists belongs to someone else: never unlink it.
        if [control.pendingDumpName, control.replacedDumpName].contains(where: { $0.map { SharedMemoryStore().exists(name: $0) } ?? false }) { return }
        try require(
            log.expectedSnapshotSize <= ScratchLog.dumpSize + 64 && log.compactionLimit <= ScratchLog.streamSize,
            "untrusted sizes escaped their clamp: expected snapshot \(log.expectedSnapshotSize), compaction limit \(log.compactionLimit)"
        )
        try attempt("UpdateLog writer") {
            if log.isPublicationInterrupted, try !log.repairInterruptedPublication() { return }
            var cursor = LogCursor(counter: control.fullDumpCounter, position: control.streamPosition)
            _ = try log.append([0xC0], cursor: &cursor)
            let payload = [UInt8](repeating: 0x90, count: min(log.expectedSnapshotSize, 32))
            try log.publishFullDump(payload, cursor: &cursor)
            try require(
                !log.isPublicationInterrupted && control.pendingDumpName == nil && control.replacedDumpName == nil,
                "a full dump left its publication unfinished"
            )
            let changes = try log.readChanges(since: LogCursor(counter: cursor.counter &- 1, position: 0), attempts: 1)
            try require(changes.snapshot == payload && changes.cursor == cursor, "the dump just published reads back as \(changes.snapshot?.count ?? -1) bytes at \(changes.cursor)")
        }
    }

    /// Reads every byte of `bytes`, so that the address sanitizer checks that they are all in bounds.
    private static func touch(_ bytes: UnsafeRawBufferPointer) {
        _ = DumpTrailer(counter: 0, payload: bytes)
    }
}

/// How an ``FuzzSurface/updateLog`` input is laid out: a flags byte, the reader's cursor, then
/// the bytes of the control block, the update stream and the static full dump. A short input is
/// zero-padded, so that every field has a fixed offset that mutations do not shift.
struct UpdateLogInput {
    /// Bit 0 of the flags byte: read as the lock holder repairing a publication does.
    var ignoresInterruptedPublication: Bool
    /// Bit 1 of the flags byte: first repair an unfinished publication, as the lock holder does.
    var repairsFirst: Bool
    /// Bit 2 of the flags byte: after the read, write as the lock holder does (``TransportSurfaces/writeAfterReading(_:)``).
    var writesAfterReading: Bool
    /// The reader's cursor: u32 counter and u32 position, little-endian, after the flags byte.
    var cursor: LogCursor
    /// The control block's bytes.
    var control: ArraySlice<UInt8>
    /// The update stream's bytes.
    var stream: ArraySlice<UInt8>
    /// The static full dump's bytes.
    var dump: ArraySlice<UInt8>

    /// Where the control block starts in an input.
    static let controlOffset = 9
    /// Where the stream starts in an input.
    static let streamOffset = controlOffset + ControlLayout.size
    /// Where the dump starts in an input.
    static let dumpOffset = streamOffset + ScratchLog.streamSize
    /// The length of a whole input.
    static let size = dumpOffset + ScratchLog.dumpSize

    /// Splits `bytes`, zero-padded to ``size``.
    init(_ bytes: UnsafeRawBufferPointer) {
        let padded = Array(bytes.prefix(Self.size)) + [UInt8](repeating: 0, count: max(0, Self.size - bytes.count))
        ignoresInterruptedPublication = padded[0] & 1 == 1
        repairsFirst = padded[0] & 2 == 2
        writesAfterReading = padded[0] & 4 == 4
        let word = { (offset: Int) in padded[offset ..< offset + 4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
        cursor = LogCursor(counter: word(1), position: word(5))
        control = padded[Self.controlOffset ..< Self.streamOffset]
        stream = padded[Self.streamOffset ..< Self.dumpOffset]
        dump = padded[Self.dumpOffset...]
    }

    /// The input that ``init(_:)`` splits into these parts.
    static func bytes(
        ignoringInterruptedPublication: Bool, repairingFirst: Bool = false, writingAfterReading: Bool = false, cursor: LogCursor,
        control: [UInt8], stream: [UInt8], dump: [UInt8]
    ) -> [UInt8] {
        let word = { (value: UInt32) in (0 ..< 4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        let flags: UInt8 = (ignoringInterruptedPublication ? 1 : 0) | (repairingFirst ? 2 : 0) | (writingAfterReading ? 4 : 0)
        return [flags] + word(cursor.counter) + word(cursor.position) + control + stream + dump
    }
}

/// One dictionary's segments, created once per process and unlinked at once (this process keeps
/// its mappings, so nothing is left in `/dev/shm` even after a crash): every transport input is
/// written into them.
final class ScratchLog: Sendable {
    /// The segments of this process.
    static let shared: ScratchLog = {
        do {
            return try ScratchLog()
        } catch {
            fatalError("cannot create the fuzz targets' scratch segments: \(error)")
        }
    }()

    /// Bytes of the update stream: small, so that inputs stay small.
    static let streamSize = 1024
    /// Bytes of the static full-dump segment.
    static let dumpSize = 1024

    /// The dictionary's update log, with a static full dump so that a hostile dump name never
    /// makes it attach a segment that some other program owns.
    let log: UpdateLog
    /// A second mapping of the update stream, for writing inputs into it.
    let stream: MappedSegment
    /// A second mapping of the static full dump.
    let dump: MappedSegment

    /// The control block.
    var control: ControlBlock { log.control }

    private init() throws {
        let name = SegmentName.random(prefix: "udfuzz_")
        let log = try UpdateLog.create(
            name: name,
            options: .init(lockKind: .shared, serializerIdentifier: "fuzz", recurse: false, bufferSize: Self.streamSize, fullDumpSize: Self.dumpSize)
        )
        defer { log.unlinkSegments() }
        self.log = log
        stream = try SharedMemoryStore().attach(name: UpdateLog.streamName(name))
        dump = try SharedMemoryStore().attach(name: UpdateLog.staticDumpName(name))
    }

    /// Fills `segment` with the start of `bytes`, and zeros after them.
    func load(_ bytes: some Collection<UInt8>, into segment: MappedSegment) {
        let target = UnsafeMutableRawBufferPointer(start: segment.base, count: segment.size)
        let source = bytes.prefix(segment.size)
        target.copyBytes(from: source)
        UnsafeMutableRawBufferPointer(rebasing: target[source.count...]).initializeMemory(as: UInt8.self, repeating: 0)
    }

    /// The bytes of `segment`.
    func contents(of segment: MappedSegment) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: segment.base, count: segment.size))
    }
}
