#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Atomics
import UltraDictCore

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
    /// Where the segments live.
    package var store: any SegmentStore { control.segment.store }
    /// Whether a write waits until its record and the stream position are on disk (a durable store).
    @usableFromInline let synchronizesWrites: Bool
    /// The control block.
    @usableFromInline package let control: ControlBlock
    /// The update stream.
    package let stream: MappedSegment
    /// The static full-dump segment, when `fullDumpSize` is set.
    let staticDump: MappedSegment?
    /// Whether this process created the segments.
    package let isCreator: Bool
    /// Whether segments that another user owns are attached (see ``attach(name:in:allowingForeignOwner:)``).
    let allowsForeignOwner: Bool

    /// How often a lock-free read retries after racing a writer before it gives up.
    static let readAttempts = 1000

    private init(
        name: String, control: ControlBlock, stream: MappedSegment, staticDump: MappedSegment?, isCreator: Bool,
        allowsForeignOwner: Bool = false
    ) {
        self.allowsForeignOwner = allowsForeignOwner
        self.name = name
        self.control = control
        self.stream = stream
        self.staticDump = staticDump
        self.isCreator = isCreator
        synchronizesWrites = control.segment.store.isDurable
    }

    /// The update stream segment's name for dictionary `name`.
    package static func streamName(_ name: String) -> String { name + "_memory" }
    /// The static full-dump segment's name for dictionary `name`.
    package static func staticDumpName(_ name: String) -> String { name + "_full" }

    // MARK: Create and attach

    /// Creates the segments of a new dictionary in `store`; throws `alreadyExists` if `name` is taken.
    package static func create(name: String, options: Options, in store: any SegmentStore = SharedMemoryStore()) throws -> UpdateLog {
        try SegmentName.validate(name)
        guard options.bufferSize >= Frame.headerSize + 1, options.bufferSize <= Int(UInt32.max) else {
            throw UltraDictError(.invalidArgument, "bufferSize must be between 7 bytes and 4 GiB, got \(options.bufferSize)")
        }
        if let size = options.fullDumpSize, size < Frame.headerSize + 1 + DumpTrailer.size || size > Int(UInt32.max) {
            throw UltraDictError(.invalidArgument, "fullDumpSize must be between \(Frame.headerSize + 1 + DumpTrailer.size) bytes and 4 GiB, got \(size)")
        }
        let controlSegment = try store.create(name: name, size: ControlLayout.size)
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
            var staticDump: MappedSegment?
            if let size = options.fullDumpSize {
                staticDump = try store.create(name: staticDumpName(name), size: size)
                created.append(staticDumpName(name))
                control.publishFullDumpName(staticDumpName(name))
            }
            // The stream is created last: an attacher that finds it knows the control block is complete.
            try controlSegment.synchronize()
            // Only the part of the stream that writers use before their first dump is reserved;
            // each dump reserves what the next compaction limit lets them use (a file store's).
            let stream = try store.create(name: streamName(name), size: options.bufferSize, reserving: minimumCompactionSize)
            return UpdateLog(name: name, control: control, stream: stream, staticDump: staticDump, isCreator: true)
        } catch {
            for segment in created { _ = try? store.unlink(name: segment) }
            throw error
        }
    }

    /// Attaches to an existing dictionary; throws `cannotAttach` if it does not exist, and never
    /// creates a segment.
    ///
    /// - Parameter allowingForeignOwner: attach a dictionary whose control segment another user
    ///   owns; otherwise it throws `foreignOwner`. Either way, every other segment (stream, dumps)
    ///   must belong to the control segment's owner.
    package static func attach(name: String, in store: any SegmentStore = SharedMemoryStore(), allowingForeignOwner: Bool = false) throws -> UpdateLog {
        try SegmentName.validate(name)
        let control = ControlBlock(segment: try store.attach(
            name: name, minimumSize: ControlLayout.size, allowingForeignOwner: allowingForeignOwner
        ))
        // A creator makes the stream last; give one that is still initializing a moment.
        let stream = try attachStream(of: name, control: control, allowingForeignOwner: allowingForeignOwner)
        guard stream.size <= Int(UInt32.max) else {
            throw UltraDictError(.corruptSharedMemory, "update stream of '\(name)' has \(stream.size) bytes, more than 4 GiB")
        }
        var staticDump: MappedSegment?
        if control.staticFullDumpSize > 0 {
            staticDump = try attachMember(
                staticDumpName(name), minimumSize: Frame.headerSize, of: control, allowingForeignOwner: allowingForeignOwner
            )
        }
        return UpdateLog(
            name: name, control: control, stream: stream, staticDump: staticDump, isCreator: false,
            allowsForeignOwner: allowingForeignOwner
        )
    }

    /// Attaches the update stream of the dictionary `name`, giving a creator that is still
    /// initializing a moment (about 90 ms) to create it; only a missing stream is waited for.
    private static func attachStream(of name: String, control: ControlBlock, allowingForeignOwner: Bool) throws -> MappedSegment {
        var attempt = 0
        while true {
            do {
                return try attachMember(streamName(name), of: control, allowingForeignOwner: allowingForeignOwner)
            } catch UltraDictError.cannotAttach where attempt < 199 {
                Backoff.pause(attempt)
                attempt += 1
            }
        }
    }

    /// Attaches the segment `name` of the dictionary whose control block is `control`: it must
    /// belong to the control segment's owner (which, unless `allowingForeignOwner`, is this
    /// process's user), so that a foreign control block cannot make this process read, or
    /// republish, a segment of its own user's.
    private static func attachMember(
        _ name: String, minimumSize: Int = 1, of control: ControlBlock, allowingForeignOwner: Bool
    ) throws -> MappedSegment {
        try control.segment.store.attach(
            name: name, minimumSize: minimumSize, allowingForeignOwner: allowingForeignOwner,
            requiredOwner: allowingForeignOwner ? control.segment.owner : nil
        )
    }

    /// Attaches the dump segment `name` (see ``attachMember(_:minimumSize:of:allowingForeignOwner:)``).
    func attachDump(_ name: String, minimumSize: Int = 1) throws -> MappedSegment {
        try Self.attachMember(name, minimumSize: minimumSize, of: control, allowingForeignOwner: allowsForeignOwner)
    }

    /// The stream's capacity in bytes.
    package var bufferSize: Int { stream.size }
}

/// Conditions of the update log that its caller handles rather than reports.
package enum LogError: Error {
    /// A full dump's publication has stayed unfinished past the read's patience.
    case publicationInterrupted
}

/// Waiting that does not burn a core: spin briefly, then yield, then sleep in short steps.
package enum Backoff {
    /// The attempts that only spin or yield; from this one on, ``pause(_:)`` sleeps.
    package static let sleepingAttempt = 64

    /// Pauses for the `attempt`-th time (0-based).
    package static func pause(_ attempt: Int) {
        if attempt < 16 { return }
        if attempt < sleepingAttempt { sched_yield(); return }
        usleep(UInt32(sleepTime(attempt) / .microseconds(1)))
    }

    /// How long the `attempt`-th pause sleeps: 10 µs more per attempt from ``sleepingAttempt``
    /// on, up to 1 ms; zero before.
    package static func sleepTime(_ attempt: Int) -> Duration {
        .microseconds(min(1000, 10 * max(0, attempt - sleepingAttempt + 1)))
    }
}
