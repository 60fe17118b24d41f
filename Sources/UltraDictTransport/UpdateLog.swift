#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Atomics
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
package struct LogChanges {
    /// A full snapshot's payload to load before the records, when a new full dump was published.
    package var snapshot: [UInt8]?
    /// The stream bytes to apply (whole, checked records), starting at `streamOffset`.
    package var records: [UInt8]
    /// Where `records` start in the stream, for error messages.
    package var streamOffset: Int
    /// The cursor after applying these changes.
    package var cursor: LogCursor
    /// How many copies were thrown away because a writer raced the read (full dumps too fast,
    /// or a reader that fell behind).
    package var retries: Int

    /// Calls `body` with each record's payload.
    package func forEachRecord(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try records.withUnsafeBytes { try Frame.forEachPayload(in: $0, streamOffset: streamOffset, body) }
    }
}

/// The segments of one dictionary, and the protocol that moves bytes through them.
///
/// Owns the control segment `NAME`, the update stream `NAME_memory` and, with a static
/// `fullDumpSize`, the full-dump segment `NAME_full`; dynamic full dumps live in a fresh
/// `psm_xxxxxxxx` segment each. Readers call ``readChanges(since:)`` without a lock; every other
/// mutating method must be called with the dictionary's lock held. `Docs/FORMAT.md` gives the protocol.
@usableFromInline
package final class UpdateLog: @unchecked Sendable {
    /// The options a dictionary is created with.
    package struct Options {
        /// The lock kind to record.
        package var lockKind: UltraDictLockKind
        /// The serializer identifier to record.
        package var serializerIdentifier: String
        /// Whether nested dictionaries are shared.
        package var recurse: Bool
        /// Bytes of the update stream.
        package var bufferSize: Int
        /// Bytes of the static full-dump segment, or `nil` for a new segment per dump.
        package var fullDumpSize: Int?

        /// Creates options.
        package init(lockKind: UltraDictLockKind, serializerIdentifier: String, recurse: Bool, bufferSize: Int, fullDumpSize: Int?) {
            self.lockKind = lockKind
            self.serializerIdentifier = serializerIdentifier
            self.recurse = recurse
            self.bufferSize = bufferSize
            self.fullDumpSize = fullDumpSize
        }
    }

    /// The dictionary's name (the control segment's).
    package let name: String
    /// The control block.
    @usableFromInline package let control: ControlBlock
    /// The update stream.
    let stream: SharedMemorySegment
    /// The static full-dump segment, when `fullDumpSize` is set.
    let staticDump: SharedMemorySegment?
    /// Whether this process created the segments.
    package let isCreator: Bool

    /// How often a lock-free read retries after racing a writer before it gives up.
    static let readAttempts = 1000

    private init(name: String, control: ControlBlock, stream: SharedMemorySegment, staticDump: SharedMemorySegment?, isCreator: Bool) {
        self.name = name
        self.control = control
        self.stream = stream
        self.staticDump = staticDump
        self.isCreator = isCreator
    }

    /// The update stream segment's name for dictionary `name`.
    package static func streamName(_ name: String) -> String { name + "_memory" }
    /// The static full-dump segment's name for dictionary `name`.
    package static func staticDumpName(_ name: String) -> String { name + "_full" }

    // MARK: Create and attach

    /// Creates the segments of a new dictionary; throws `alreadyExists` if `name` is taken.
    package static func create(name: String, options: Options) throws -> UpdateLog {
        try SegmentName.validate(name)
        guard options.bufferSize >= Frame.headerSize + 1, options.bufferSize <= Int(UInt32.max) else {
            throw UltraDictError(.invalidArgument, "bufferSize must be between 7 bytes and 4 GiB, got \(options.bufferSize)")
        }
        if let size = options.fullDumpSize, size < Frame.headerSize + 1 + DumpTrailer.size || size > Int(UInt32.max) {
            throw UltraDictError(.invalidArgument, "fullDumpSize must be between \(Frame.headerSize + 1 + DumpTrailer.size) bytes and 4 GiB, got \(size)")
        }
        let controlSegment = try SharedMemorySegment.create(name: name, size: ControlLayout.size)
        var created = [name]
        do {
            let control = ControlBlock(segment: controlSegment)
            let creator = ProcessIdentity.current
            try control.initialize(
                lockKind: options.lockKind,
                serializerIdentifier: options.serializerIdentifier,
                recurse: options.recurse,
                staticFullDumpSize: options.fullDumpSize ?? 0,
                streamCapacity: options.bufferSize,
                creatorPID: creator.pid,
                creatorStartTime: creator.startTime
            )
            var staticDump: SharedMemorySegment?
            if let size = options.fullDumpSize {
                staticDump = try SharedMemorySegment.create(name: staticDumpName(name), size: size)
                created.append(staticDumpName(name))
                control.publishFullDumpName(staticDumpName(name))
            }
            // The stream is created last: an attacher that finds it knows the control block is complete.
            let stream = try SharedMemorySegment.create(name: streamName(name), size: options.bufferSize)
            return UpdateLog(name: name, control: control, stream: stream, staticDump: staticDump, isCreator: true)
        } catch {
            for segment in created { _ = try? SharedMemorySegment.unlink(name: segment) }
            throw error
        }
    }

    /// Attaches to an existing dictionary; throws `cannotAttach` if it does not exist, and never
    /// creates a segment.
    package static func attach(name: String) throws -> UpdateLog {
        try SegmentName.validate(name)
        let control = ControlBlock(segment: try SharedMemorySegment.attach(name: name, minimumSize: ControlLayout.size))
        // A creator makes the stream last; give one that is still initializing a moment.
        var stream: SharedMemorySegment?
        for attempt in 0..<200 where stream == nil {
            do {
                stream = try SharedMemorySegment.attach(name: streamName(name))
            } catch UltraDictError.cannotAttach where attempt < 199 {
                Backoff.pause(attempt)
            }
        }
        guard let stream else { throw UltraDictError(.cannotAttach, "update stream of '\(name)' does not exist") }
        guard stream.size <= Int(UInt32.max) else {
            throw UltraDictError(.corruptSharedMemory, "update stream of '\(name)' has \(stream.size) bytes, more than 4 GiB")
        }
        var staticDump: SharedMemorySegment?
        if control.staticFullDumpSize > 0 {
            staticDump = try SharedMemorySegment.attach(name: staticDumpName(name), minimumSize: Frame.headerSize)
        }
        return UpdateLog(name: name, control: control, stream: stream, staticDump: staticDump, isCreator: false)
    }

    /// The stream's capacity in bytes.
    package var bufferSize: Int { stream.size }

    // MARK: Reading (no lock)

    /// Whether nothing was published since `cursor`: two acquire loads.
    @inlinable
    package func isCurrent(_ cursor: LogCursor) -> Bool {
        control.fullDumpCounter == cursor.counter && control.streamPosition == cursor.position
    }

    /// Copies out and validates everything published since `cursor`, without a lock.
    ///
    /// The copy is checked against the sequence word and the counter (a seqlock): a copy that
    /// raced a full dump is thrown away and taken again. Throws
    /// ``LogError/publicationInterrupted`` when a full dump's publication stays unfinished (its
    /// writer probably died): the caller repairs it under the lock.
    ///
    /// - Parameter ignoringInterruptedPublication: read through an odd sequence word; only for
    ///   the lock holder repairing a publication whose writer is dead.
    package func readChanges(since cursor: LogCursor, ignoringInterruptedPublication: Bool = false) throws -> LogChanges {
        var attempt = 0
        while true {
            defer { attempt += 1 }
            if attempt > 0 { Backoff.pause(attempt) }
            let sequence = control.sequence
            if sequence & 1 == 1 && !ignoringInterruptedPublication {
                if attempt >= Self.readAttempts { throw LogError.publicationInterrupted }
                continue
            }
            let counter = control.fullDumpCounter
            let position = control.streamPosition
            var snapshot: [UInt8]?
            // A position behind the cursor under an unchanged counter happens only after a Python
            // writer's dump was paired with the previous epoch's position: reload the dump.
            if counter != cursor.counter || position < cursor.position {
                do {
                    snapshot = try readFullDump(counter: counter)
                } catch let error as UltraDictError where attempt < Self.readAttempts {
                    _ = error  // The dump was replaced or unlinked under us: look again.
                    continue
                }
            }
            let start = snapshot == nil ? Int(cursor.position) : 0
            guard start <= Int(position), Int(position) <= stream.size else {
                if stable(sequence, counter) && attempt >= Self.readAttempts {
                    throw UltraDictError(.corruptSharedMemory, "update stream of '\(name)': position \(position) is outside 0...\(stream.size) or behind the applied \(start)")
                }
                continue
            }
            let records = Array(UnsafeRawBufferPointer(start: stream.base + start, count: Int(position) - start))
            guard stable(sequence, counter) else { continue }
            let changes = LogChanges(
                snapshot: snapshot, records: records, streamOffset: start,
                cursor: LogCursor(counter: counter, position: position), retries: attempt
            )
            // Check the framing now, so that a torn copy is retried rather than applied.
            do {
                try changes.forEachRecord { _ in }
            } catch where attempt < Self.readAttempts {
                continue
            }
            return changes
        }
    }

    /// Whether neither the sequence word nor the counter moved since they were read.
    private func stable(_ sequence: UInt64, _ counter: UInt32) -> Bool {
        atomicMemoryFence(ordering: .acquiring)
        return control.sequence == sequence && control.fullDumpCounter == counter
    }

    /// Copies the payload of the current full dump, checked against its trailer when it has one.
    private func readFullDump(counter: UInt32) throws -> [UInt8] {
        if let staticDump { return try payload(of: staticDump, counter: counter) }
        guard let dumpName = try control.fullDumpName() else {
            throw UltraDictError(.corruptSharedMemory, "control block of '\(name)': full-dump counter is \(counter) but no dump name is published")
        }
        return try payload(of: SharedMemorySegment.attach(name: dumpName, minimumSize: Frame.headerSize), counter: counter)
    }

    private func payload(of segment: SharedMemorySegment, counter: UInt32) throws -> [UInt8] {
        let bytes = UnsafeRawBufferPointer(start: segment.base, count: segment.size)
        let length = try Frame.payloadLength(in: bytes, what: "full dump '\(segment.name)'")
        let payload = UnsafeRawBufferPointer(rebasing: bytes[Frame.headerSize..<(Frame.headerSize + length)])
        if let trailer = DumpTrailer(reading: UnsafeRawBufferPointer(rebasing: bytes[(Frame.headerSize + length)...])),
           trailer.counter == counter, !trailer.matches(payload) {
            throw UltraDictError(.corruptSharedMemory, "full dump '\(segment.name)' does not match its checksum")
        }
        return Array(payload)
    }

    // MARK: Writing (lock held)

    /// The stream bytes below which a writer appends rather than dumps: the stream's capacity,
    /// or sooner once the stream has grown as large as the last snapshot (at least
    /// ``minimumCompactionSize``), so that the cost of dumps per write stays flat as the
    /// dictionary grows — the compaction rule of a log-structured store.
    package var compactionLimit: Int {
        min(stream.size, max(Self.minimumCompactionSize, control.lastSnapshotSize))
    }

    /// The stream never compacts below this many bytes: 1 MiB, so that small dictionaries with
    /// large values do not pay for a dump every few writes.
    package static let minimumCompactionSize = 1 << 20

    /// Appends one record to the stream and publishes it; returns `false`, changing nothing, when
    /// the stream has no room for it within ``compactionLimit`` (the caller then writes a full dump).
    @usableFromInline
    package func append(_ payload: [UInt8], cursor: inout LogCursor) -> Bool {
        let start = Int(control.streamPosition)
        let end = start + Frame.headerSize + payload.count
        guard start <= stream.size, end <= compactionLimit, payload.count <= Int(UInt32.max) else { return false }
        Frame.writeHeader(length: UInt32(payload.count), at: stream.base + start)
        payload.withUnsafeBytes { (stream.base + start + Frame.headerSize).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        control.publishStreamPosition(UInt32(end))
        if cursor.position == UInt32(start) { cursor.position = UInt32(end) }
        return true
    }

    /// Publishes a full dump of `payload` and starts the stream over.
    ///
    /// Order: sequence odd; dump written (a new segment, or the static one in place); its name
    /// published; position reset to 0; counter incremented; sequence even; previous dump unlinked.
    /// Throws `fullDumpMemoryFull`, changing nothing, if a static dump is too small.
    package func publishFullDump(_ payload: [UInt8], cursor: inout LogCursor) throws {
        let needed = Frame.headerSize + payload.count + DumpTrailer.size
        if let staticDump, needed > staticDump.size {
            throw UltraDictError(.fullDumpMemoryFull, "full dump of '\(name)' needs \(needed) bytes but fullDumpSize is \(staticDump.size)")
        }
        guard payload.count <= Int(UInt32.max) - Frame.headerSize - DumpTrailer.size else {
            throw UltraDictError(.invalidArgument, "full dump of '\(name)' would be \(payload.count) bytes, more than 4 GiB")
        }
        let counter = control.fullDumpCounter &+ 1
        let previous = staticDump == nil ? try? control.fullDumpName() : nil
        let target = try staticDump ?? SharedMemorySegment.create(name: freshDumpName(), size: needed)

        // The checksum is computed before the publication starts, so that a static dump is
        // overwritten in place only for as long as the copy takes.
        let trailer = payload.withUnsafeBytes { DumpTrailer(counter: counter, payload: $0) }
        beginPublication()
        Frame.writeHeader(length: UInt32(payload.count), at: target.base)
        payload.withUnsafeBytes { bytes in
            (target.base + Frame.headerSize).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        }
        trailer.write(at: target.base + Frame.headerSize + payload.count)
        atomicMemoryFence(ordering: .releasing)
        if staticDump == nil { control.publishFullDumpName(target.name) }
        control.publishStreamPosition(0)
        control.publishFullDumpCounter(counter)
        control.lastSnapshotSize = payload.count
        endPublication()

        cursor = LogCursor(counter: counter, position: 0)
        if let previous, previous != target.name { _ = try? SharedMemorySegment.unlink(name: previous) }
    }

    /// A random `psm_xxxxxxxx` name not in use.
    private func freshDumpName() -> String {
        var candidate = SegmentName.random()
        while SharedMemorySegment.exists(name: candidate) { candidate = SegmentName.random() }
        return candidate
    }

    /// Makes the sequence word odd, unless a repair finds it odd already.
    private func beginPublication() {
        if control.sequence & 1 == 0 { control.advanceSequence() }
    }

    /// Makes the sequence word even.
    private func endPublication() {
        if control.sequence & 1 == 1 { control.advanceSequence() }
    }

    /// Whether a full dump's publication was left unfinished (the sequence word is odd).
    @usableFromInline
    package var isPublicationInterrupted: Bool { control.sequence & 1 == 1 }

    /// Finishes or rolls back a publication whose writer died, with the lock held.
    ///
    /// A dump that is complete (its trailer carries the next counter and matches) and named is
    /// published to the end; otherwise the previous state stands. Returns `false` when the
    /// previous snapshot is gone (a static dump overwritten in place): the caller must then
    /// publish a full dump of its own, complete state.
    package func repairInterruptedPublication() -> Bool {
        guard isPublicationInterrupted else { return true }
        let counter = control.fullDumpCounter
        let dump: SharedMemorySegment? = staticDump ?? (try? control.fullDumpName()).flatMap { $0.flatMap { try? SharedMemorySegment.attach(name: $0) } }
        guard let dump else {
            // No dump was ever published (counter 0) or it is missing: nothing to finish.
            endPublication()
            return counter == 0
        }
        let bytes = UnsafeRawBufferPointer(start: dump.base, count: dump.size)
        guard let length = try? Frame.payloadLength(in: bytes, what: dump.name) else { return false }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[Frame.headerSize..<(Frame.headerSize + length)])
        let trailer = DumpTrailer(reading: UnsafeRawBufferPointer(rebasing: bytes[(Frame.headerSize + length)...]))
        if let trailer, trailer.matches(payload), trailer.counter == counter &+ 1 {
            control.publishStreamPosition(0)
            control.publishFullDumpCounter(trailer.counter)
        } else if let trailer, !(trailer.matches(payload) && trailer.counter == counter) {
            return false
        } else if trailer == nil && staticDump != nil {
            // A static dump overwritten in place with no trailer where its header says: torn, the previous one is gone.
            return false
        }
        endPublication()
        return true
    }

    // MARK: Removal

    /// Unlinks every segment of this dictionary: control, stream, and the current full dump.
    package func unlinkSegments() {
        let dumpName = try? control.fullDumpName()
        _ = try? SharedMemorySegment.unlink(name: name)
        _ = try? SharedMemorySegment.unlink(name: Self.streamName(name))
        if let dumpName { _ = try? SharedMemorySegment.unlink(name: dumpName) }
    }

    /// Unlinks the segments of the dictionary `name` without attaching it as a dictionary;
    /// returns whether its control segment existed.
    package static func unlinkSegments(name: String) throws -> Bool {
        try SegmentName.validate(name)
        if let control = try? SharedMemorySegment.attach(name: name, minimumSize: ControlLayout.size),
           let dumpName = try? ControlBlock(segment: control).fullDumpName() {
            _ = try? SharedMemorySegment.unlink(name: dumpName)
        }
        _ = try? SharedMemorySegment.unlink(name: streamName(name))
        _ = try? SharedMemorySegment.unlink(name: staticDumpName(name))
        return try SharedMemorySegment.unlink(name: name)
    }
}

/// Conditions of the update log that its caller handles rather than reports.
package enum LogError: Error {
    /// A full dump's publication has stayed unfinished past the read's patience.
    case publicationInterrupted
}

/// Waiting that does not burn a core: spin briefly, then yield, then sleep in short steps.
package enum Backoff {
    /// Pauses for the `attempt`-th time (0-based).
    package static func pause(_ attempt: Int) {
        if attempt < 16 { return }
        if attempt < 64 { sched_yield(); return }
        usleep(UInt32(min(1000, 10 * (attempt - 63))))
    }
}
