import Atomics
import UltraDictCore

// Full dumps: their publication, and the repair of one whose writer died (lock held).
extension UpdateLog {
    /// Publishes a full dump of `payload` and starts the stream over.
    ///
    /// Order: a fresh dump name recorded as pending (with the dump it replaces); the dump written
    /// whole to that new segment with its checksum trailer; sequence odd; the dump copied into
    /// the static segment, or its name published; position reset to 0; counter incremented;
    /// sequence even; the replaced dump (or the static dump's shadow) unlinked; the pending
    /// fields cleared. A writer that dies anywhere leaves either the previous state or a complete
    /// pending dump that ``repairInterruptedPublication()`` publishes, and no segment that the
    /// next publication does not remove. Throws `fullDumpMemoryFull`, changing nothing, if a
    /// static dump is too small.
    ///
    /// On a durable store each step reaches the disk before the next can: the pending and
    /// replaced names before the dump's file exists, the file and its directory entry before
    /// the sequence word goes odd, the control block after it goes
    /// odd and after it goes even, a static dump's copy before it goes even; the replaced dump
    /// is removed only after. So after a power loss the files hold a state that a process crash
    /// at that step would have left. A failed `msync` throws `systemCall`; from the odd step on
    /// the publication is then left interrupted, for the next writer to repair.
    package func publishFullDump(_ payload: [UInt8], cursor: inout LogCursor) throws {
        let needed = Frame.dumpSize(payloadCount: payload.count)
        if let staticDump, needed > staticDump.size {
            throw UltraDictError(.fullDumpMemoryFull, "full dump of '\(name)' needs \(needed) bytes but fullDumpSize is \(staticDump.size)")
        }
        guard payload.count <= Int(UInt32.max) - Frame.headerSize - DumpTrailer.size else {
            throw UltraDictError(.invalidArgument, "full dump of '\(name)' would be \(payload.count) bytes, more than 4 GiB")
        }
        // The records after this dump may fill the stream up to the new compaction limit: a file
        // store reserves its blocks now, so that no write into it can fail for want of space.
        try store.reserve(compactionLimit(afterSnapshotOf: payload.count), of: stream)
        discardAbandonedPublication()
        let counter = control.fullDumpCounter &+ 1
        control.replacedDumpName = staticDump == nil ? (try? control.fullDumpName()) ?? nil : nil
        let dump = try createPendingDump(size: needed)
        payload.withUnsafeBytes { Frame.writeDump($0, counter: counter, at: dump.base) }
        do {
            try dump.synchronize()
        } catch {
            control.unlinkDump(dump.name)
            control.pendingDumpName = nil
            throw error
        }
        atomicMemoryFence(ordering: .releasing)
        control.beginPublication()
        try complete(dump, length: payload.count, counter: counter)
        cursor = LogCursor(counter: counter, position: 0)
    }

    /// Publishes the pending `dump` from the sequence word's odd step on, and wakes the waiters
    /// for changes once it is visible. Every step is idempotent, so a repair runs them all again.
    private func complete(_ dump: MappedSegment, length: Int, counter: UInt32) throws {
        try control.synchronize()
        if let staticDump {
            staticDump.base.copyMemory(from: dump.base, byteCount: Frame.dumpSize(payloadCount: length))
            try staticDump.synchronize(0..<Frame.dumpSize(payloadCount: length))
        } else {
            control.publishFullDumpName(dump.name)
        }
        atomicMemoryFence(ordering: .releasing)
        control.publishStreamPosition(0)
        control.publishFullDumpCounter(counter)
        control.lastSnapshotSize = length
        control.endPublication()
        control.wake.wakeChangeWaiters()
        try control.synchronize()
        if staticDump != nil {
            control.unlinkDump(dump.name)  // It was only the static dump's shadow.
        } else if let replaced = control.replacedDumpName, replaced != dump.name {
            control.unlinkDump(replaced)
        }
        control.pendingDumpName = nil
        control.replacedDumpName = nil
    }

    /// Removes what a writer that died outside a publication's odd window left in the pending
    /// fields: its pending dump if the publication never began (or was a static dump's shadow),
    /// the replaced dump if it ended.
    private func discardAbandonedPublication() {
        guard let pending = control.pendingDumpName else { return }
        if staticDump == nil, (try? control.fullDumpName()) == pending {
            if let replaced = control.replacedDumpName, replaced != pending { control.unlinkDump(replaced) }
        } else {
            control.unlinkDump(pending)
        }
        control.pendingDumpName = nil
        control.replacedDumpName = nil
    }

    /// Creates a new dump segment under a random `psm_xxxxxxxx` name, recorded as pending (on a
    /// durable store, on disk) before the segment exists, so that a writer that dies right after
    /// creating it, or a power loss, leaves it named.
    private func createPendingDump(size: Int) throws -> MappedSegment {
        while true {
            let name = SegmentName.random()
            control.pendingDumpName = name
            do {
                try control.synchronize()
                return try store.create(name: name, size: size)
            } catch UltraDictError.alreadyExists {
                continue  // Another dump took that name: draw again.
            } catch {
                control.pendingDumpName = nil
                throw error
            }
        }
    }

    /// Whether a full dump's publication was left unfinished (the sequence word is odd).
    @inlinable
    package var isPublicationInterrupted: Bool { control.sequence & 1 == 1 }

    /// Finishes a publication whose writer died, with the lock held.
    ///
    /// The pending dump is complete (it was checksummed and named before the sequence word went
    /// odd), so the publication is carried to its end. Without a usable pending dump (a hostile
    /// field), the dump in place must still be the previous, intact one, and the previous state
    /// stands. Returns `false` when neither holds: the caller must then publish a full dump of
    /// its own, complete state. Throws only when a durable store cannot write a step to disk.
    package func repairInterruptedPublication() throws -> Bool {
        guard isPublicationInterrupted else { return true }
        let counter = control.fullDumpCounter
        if let pending = control.pendingDumpName, let dump = try? attachDump(pending),
           let contents = try? DumpContents(dump), let trailer = contents.intactTrailer,
           trailer.counter == counter &+ 1 || trailer.counter == counter,
           Frame.dumpSize(payloadCount: contents.payload.count) <= staticDump?.size ?? .max {
            try complete(dump, length: contents.payload.count, counter: trailer.counter)
            return true
        }
        // No usable pending dump: the previous state stands if the dump in place is intact (its
        // trailer matches the current counter, or it is a trailer-less Python dump of its own).
        guard let current = staticDump ?? (try? control.fullDumpName()).flatMap({ $0.flatMap { try? attachDump($0) } }) else {
            // No dump was ever published (counter 0), or it is missing.
            control.endPublication()
            return counter == 0
        }
        guard let contents = try? DumpContents(current),
              contents.trailer == nil ? staticDump == nil : contents.intactTrailer?.counter == counter else { return false }
        control.endPublication()
        return true
    }
}
