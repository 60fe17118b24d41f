import Atomics
import UltraDictCore

/// The lock-free read side of the update log: what a reader does on each access.
extension UpdateLog {
    /// Whether nothing was published since `cursor`: two acquire loads.
    @inlinable
    package func isCurrent(_ cursor: LogCursor) -> Bool {
        // `control` read once: the acquire fence after the first load would make it be read again.
        let control = self.control
        return control.fullDumpCounter == cursor.counter && control.streamPosition == cursor.position
    }

    /// The first `count` bytes (or fewer) of the payload a reader meets first: the current full
    /// dump's, else the stream's first record's; `nil` when there is none or its framing is not
    /// valid. For telling a serializer by its header (the command-line tool): copies only those
    /// bytes, and may race a writer, which at worst gives `nil` or another valid payload's start.
    package func firstPayloadPrefix(_ count: Int) -> [UInt8]? {
        let dump: MappedSegment? = staticDump ?? ((try? control.fullDumpName()) ?? nil).flatMap { name in
            SegmentName.isDumpName(name) ? try? attachDump(name) : nil
        }
        if let dump, control.fullDumpCounter > 0, let contents = try? DumpContents(dump) {
            return Array(contents.payload.prefix(count))
        }
        let bytes = UnsafeRawBufferPointer(start: stream.base, count: min(Int(control.streamPosition), stream.size))
        guard let length = Frame.payloadLength(in: bytes, at: 0) else { return nil }
        return Array(bytes[Frame.headerSize..<Frame.headerSize + min(count, length)])
    }

    /// ``readChanges(since:into:ignoringInterruptedPublication:attempts:)`` into a buffer of its own.
    package func readChanges(
        since cursor: LogCursor, ignoringInterruptedPublication: Bool = false, attempts: Int = readAttempts
    ) throws -> LogChanges {
        try readChanges(
            since: cursor, into: RecordBuffer(), ignoringInterruptedPublication: ignoringInterruptedPublication, attempts: attempts
        )
    }

    /// Copies out and validates everything published since `cursor`, without a lock.
    ///
    /// The copy is checked against the sequence word and the counter (a seqlock): a copy that
    /// raced a full dump is thrown away and taken again. Throws
    /// ``LogError/publicationInterrupted`` when a full dump's publication stays unfinished (its
    /// writer probably died): the caller repairs it under the lock.
    ///
    /// - Parameters:
    ///   - buffer: where the stream records are copied; the changes returned view it, so they
    ///     are valid until its next read. A reader keeps one, rather than allocating per read.
    ///   - ignoringInterruptedPublication: read through an odd sequence word; only for the lock
    ///     holder repairing a publication whose writer is dead.
    ///   - attempts: how many copies to take before giving up; ``readAttempts`` unless no writer
    ///     can race the read (the fuzz target, whose input no other process changes).
    package func readChanges(
        since cursor: LogCursor, into buffer: RecordBuffer, ignoringInterruptedPublication: Bool = false,
        attempts: Int = readAttempts
    ) throws -> LogChanges {
        var attempt = 0
        while true {
            defer { attempt += 1 }
            if attempt > 0 { Backoff.pause(attempt) }
            guard attempt <= attempts else {
                throw UltraDictError(.corruptSharedMemory, "'\(name)': the shared state changed under each of \(attempts) copies; a writer publishes faster than this reader can copy, or keeps moving the sequence word")
            }
            let sequence = control.sequence
            if sequence & 1 == 1 && !ignoringInterruptedPublication {
                if attempt >= attempts { throw LogError.publicationInterrupted }
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
                } catch let error as UltraDictError where attempt < attempts && Self.mayBeRaced(error) {
                    continue  // The dump was replaced or unlinked under us: look again.
                }
            }
            let start = snapshot == nil ? Int(cursor.position) : 0
            guard start <= Int(position), Int(position) <= stream.size else {
                if stable(sequence, counter) && attempt >= attempts {
                    throw UltraDictError(.corruptSharedMemory, "update stream of '\(name)': position \(position) is outside 0...\(stream.size) or behind the applied \(start)")
                }
                continue
            }
            let records = buffer.fill(from: stream.base + start, count: Int(position) - start)
            guard stable(sequence, counter) else { continue }
            // Check the framing now, so that a torn copy is retried rather than applied.
            if !Frame.recordsTile(records) {
                if attempt < attempts { continue }
                try Frame.forEachPayload(in: records, streamOffset: start) { _ in }  // Throws what is wrong.
            }
            return LogChanges(
                snapshot: snapshot, recordBytes: records, buffer: buffer, streamOffset: start,
                cursor: LogCursor(counter: counter, position: position), retries: attempt
            )
        }
    }

    /// Whether `error`, met while copying a dump, may come from a writer replacing the dump
    /// under the read (it was unlinked, or torn), so that looking again can cure it.
    private static func mayBeRaced(_ error: UltraDictError) -> Bool {
        error.code == .cannotAttach || error.code == .corruptSharedMemory
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
        return try payload(of: attachDump(dumpName, minimumSize: Frame.headerSize), counter: counter)
    }

    private func payload(of segment: MappedSegment, counter: UInt32) throws -> [UInt8] {
        let dump = try DumpContents(segment)
        if let trailer = dump.trailer, trailer.counter == counter, dump.intactTrailer == nil {
            throw UltraDictError(.corruptSharedMemory, "full dump '\(segment.name)' does not match its checksum")
        }
        return Array(dump.payload)
    }
}
