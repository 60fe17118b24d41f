import Foundation
import Testing
import UltraDictCore
@testable import UltraDictTransport
import _UltraDictTestSupport

/// Fields of the control block that a hostile process writes, and the names it plants there:
/// they may make an operation throw, never trap, allocate without bound, or reach a segment
/// that is not the dictionary's (`Docs/SECURITY.md`).
@Suite("Hostile fields and names")
struct HostileFieldTests {
    /// Writes `value` at byte `offset` of `log`'s control block, as another process would.
    func plant<T: FixedWidthInteger>(_ value: T, at offset: Int, in log: UpdateLog) {
        (log.control.segment.base + offset).storeBytes(of: value.littleEndian, as: T.self)
    }

    @Test(arguments: [UInt64.max, 64 << 30, UInt64(Int.max) + 1])
    func aHostileSnapshotSizeIsClampedToTheSegments(size: UInt64) throws {
        let name = uniqueName()
        let writer = try UpdateLog.create(name: name, options: options)
        defer { writer.unlinkSegments() }
        plant(size, at: ControlLayout.lastSnapshotSize, in: writer)
        #expect(writer.expectedSnapshotSize <= writer.bufferSize + 64)
        #expect(writer.compactionLimit <= writer.bufferSize)
        var cursor = LogCursor(counter: 0, position: 0)
        #expect(try writer.append([1, 2, 3], cursor: &cursor))
        try writer.publishFullDump([4, 5], cursor: &cursor)
        #expect(writer.control.lastSnapshotSize == 2)
    }

    @Test func aDumpNameThatIsNotADumpIsNeverOpened() throws {
        let name = uniqueName()
        let writer = try UpdateLog.create(name: name, options: options)
        defer { writer.unlinkSegments() }
        // A segment of this user's that holds a well-formed dump: a reader must not load it.
        let victim = try SharedMemoryStore().create(name: uniqueName(), size: 64)
        defer { _ = try? SharedMemoryStore().unlink(name: victim.name) }
        [UInt8](repeating: 7, count: 3).withUnsafeBytes { Frame.writeDump($0, counter: 1, at: victim.base) }
        var cursor = LogCursor(counter: 0, position: 0)
        try writer.publishFullDump([1], cursor: &cursor)
        let dump = try #require(try writer.control.fullDumpName())
        defer { _ = try? SharedMemoryStore().unlink(name: dump) }  // no longer named once the field is planted
        for planted in [victim.name, name, UpdateLog.streamName(name), "psm_1234567", "psm_ABCDEF12"] {
            writer.control.publishFullDumpName(planted)
            let reader = try UpdateLog.attach(name: name)
            expectError(.corruptSharedMemory) { try reader.readChanges(since: LogCursor(counter: 0, position: 0), attempts: 2) }
        }
    }

    @Test func unlinkingADictionaryNeverRemovesAnotherOne() throws {
        let name = uniqueName(), other = uniqueName()
        let log = try UpdateLog.create(name: name, options: options)
        let otherLog = try UpdateLog.create(name: other, options: options)
        defer { otherLog.unlinkSegments(); #expect(segments(of: other).isEmpty) }
        for planted in [other, UpdateLog.streamName(other), UpdateLog.staticDumpName(other)] {
            log.control.publishFullDumpName(planted)
            #expect(try UpdateLog.unlinkSegments(name: name))
            #expect(SharedMemoryStore().exists(name: other) && SharedMemoryStore().exists(name: UpdateLog.streamName(other)))
            _ = try UpdateLog.create(name: name, options: options)
        }
        let recreated = try UpdateLog.attach(name: name)
        recreated.control.publishFullDumpName(other)
        recreated.unlinkSegments()
        #expect(SharedMemoryStore().exists(name: other) && segments(of: name).isEmpty)
    }

    @Test func pendingAndReplacedFieldsNameOnlyDumps() throws {
        let name = uniqueName(), other = uniqueName()
        let log = try UpdateLog.create(name: name, options: options)
        let otherLog = try UpdateLog.create(name: other, options: options)
        defer { otherLog.unlinkSegments() }
        for offset in [ControlLayout.pendingDumpName, ControlLayout.replacedDumpName] {
            Array(other.utf8.prefix(15)).withUnsafeBytes { (log.control.segment.base + offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
        #expect(log.control.pendingDumpName == nil && log.control.replacedDumpName == nil)
        var cursor = LogCursor(counter: 0, position: 0)
        try log.publishFullDump([1], cursor: &cursor)
        log.unlinkSegments()
        #expect(SharedMemoryStore().exists(name: other) && segments(of: name).isEmpty)
    }

    @Test func theCountersAlignedCopyIsNoLongerWritten() throws {
        let name = uniqueName()
        let log = try UpdateLog.create(name: name, options: options)
        defer { log.unlinkSegments() }
        var cursor = LogCursor(counter: 0, position: 0)
        try log.publishFullDump([1], cursor: &cursor)
        #expect(log.control.segment.base.loadUnaligned(fromByteOffset: 336, as: UInt64.self) == 0)
    }

    @Test func beginningOrEndingAPublicationTwiceMovesTheSequenceWordOnce() throws {
        let name = uniqueName()
        let log = try UpdateLog.create(name: name, options: options)
        defer { log.unlinkSegments() }
        var cursor = LogCursor(counter: 0, position: 0)
        try log.publishFullDump([1], cursor: &cursor)
        #expect(log.control.sequence == 2)
        log.control.beginPublication()
        log.control.beginPublication()
        #expect(log.control.sequence == 3)
        log.control.endPublication()
        log.control.endPublication()
        #expect(log.control.sequence == 4)
    }
}

/// Every error path of creating and attaching segments, with errno values forced on the system
/// calls (`SystemCallFault`): each becomes its own clear error at once, and nothing is left behind.
@Suite("System call failures")
struct SystemCallFailureTests {
    static let attachFailures: [(Int32, UltraDictError.Code)] = [(EACCES, .permissionDenied), (EPERM, .permissionDenied), (EMFILE, .tooManyOpenFiles), (ENFILE, .tooManyOpenFiles), (EIO, .systemCall)]

    @Test(arguments: TestStore.allCases, attachFailures)
    func attachFailuresOtherThanAMissingStreamAreNotRetried(kind: TestStore, failure: (errno: Int32, code: UltraDictError.Code)) throws {
        let (name, scratch) = (uniqueName(), try ScratchStore(kind))
        defer { scratch.remove() }
        let log = try UpdateLog.create(name: name, options: options, in: scratch.store)
        defer { log.unlinkSegments() }
        // The control segment opens; the stream's open fails: no waiting for it to appear.
        let fault = SystemCallFault(scratch.openCall, errno: failure.errno, after: 1)
        SystemCallFault.inject(fault) { expectError(failure.code) { try UpdateLog.attach(name: name, in: scratch.store) } }
        #expect(fault.hitCount == 1)
    }

    @Test(arguments: TestStore.allCases, [("fstat", EIO), ("mmap", ENOMEM)])
    func anAttachThatCannotReadOrMapASegmentThrowsAtOnce(kind: TestStore, fault: (call: String, errno: Int32)) throws {
        let (name, scratch) = (uniqueName(), try ScratchStore(kind))
        defer { scratch.remove() }
        let log = try UpdateLog.create(name: name, options: options, in: scratch.store)
        defer { log.unlinkSegments() }
        let injected = SystemCallFault(fault.call, errno: fault.errno)
        SystemCallFault.inject(injected) { expectError(.systemCall) { try UpdateLog.attach(name: name, in: scratch.store) } }
        #expect(injected.hitCount == 1)
        #expect(try UpdateLog.attach(name: name, in: scratch.store).name == name)
    }

    @Test(arguments: TestStore.allCases, [(EACCES, UltraDictError.Code.permissionDenied), (EMFILE, .tooManyOpenFiles), (ENOSPC, .systemCall), (EEXIST, .alreadyExists)])
    func createFailuresHaveTheirOwnErrors(kind: TestStore, failure: (errno: Int32, code: UltraDictError.Code)) throws {
        let (name, scratch) = (uniqueName(), try ScratchStore(kind))
        defer { scratch.remove() }
        SystemCallFault.inject(SystemCallFault(scratch.openCall, errno: failure.errno)) {
            expectError(failure.code) { try UpdateLog.create(name: name, options: options, in: scratch.store) }
        }
        #expect(scratch.segments(of: name).isEmpty)
    }

    /// The calls after a segment's open that can fail while a dictionary is created.
    static let sizingCalls = [(TestStore.sharedMemory, "ftruncate"), (.sharedMemory, "mmap"), (.files, "ftruncate"), (.files, "posix_fallocate"), (.files, "mmap"), (.files, "fsync"), (.files, "msync")]

    @Test(arguments: sizingCalls)
    func aCreateThatFailsAfterItsFirstSegmentLeavesNothing(kind: TestStore, call: String) throws {
        let (name, scratch) = (uniqueName(), try ScratchStore(kind))
        defer { scratch.remove() }
        // The control segment is made; sizing, mapping or syncing a later step fails (the one
        // msync of a create is the control block's, after the control segment is made).
        SystemCallFault.inject(SystemCallFault(call, errno: ENOSPC, after: call == "msync" ? 0 : 1)) {
            expectError(.systemCall) { try UpdateLog.create(name: name, options: options, in: scratch.store) }
        }
        #expect(scratch.segments(of: name).isEmpty)
    }

    @Test(arguments: TestStore.allCases)
    func aDumpThatCannotBeCreatedChangesNothing(kind: TestStore) throws {
        let (name, scratch) = (uniqueName(), try ScratchStore(kind))
        defer { scratch.remove() }
        let log = try UpdateLog.create(name: name, options: options, in: scratch.store)
        defer { log.unlinkSegments(); #expect(scratch.segments(of: name).isEmpty) }
        var cursor = LogCursor(counter: 0, position: 0)
        try log.publishFullDump([1], cursor: &cursor)
        let before = cursor
        var faults = [(scratch.openCall, ENOSPC), (scratch.openCall, EMFILE), ("ftruncate", ENOSPC), ("mmap", ENOMEM)]
        if kind == .files {
            // The dump's blocks, its directory entry, and its own bytes, all before the publication.
            faults += [("posix_fallocate", ENOSPC), ("fsync", EIO), ("msync", EIO)]
        }
        for fault in faults.map({ SystemCallFault($0, errno: $1, times: 1) }) {
            SystemCallFault.inject(fault) { expectError(fault.errno == EMFILE ? .tooManyOpenFiles : .systemCall) { try log.publishFullDump([2], cursor: &cursor) } }
            #expect(fault.hitCount == 1, "\(fault.call) was not reached")
            #expect(cursor == before && log.control.pendingDumpName == nil && !log.isPublicationInterrupted, "\(fault.call)")
        }
        let changes = try UpdateLog.attach(name: name, in: scratch.store).readChanges(since: LogCursor(counter: 0, position: 0))
        #expect(changes.snapshot == [1])
        if kind == .files {
            // A directory of its own: every dump in it is this dictionary's, and only the current one is left.
            #expect(scratch.segments(of: "psm_") == [try #require(try log.control.fullDumpName())])
        }
    }

    @Test(arguments: TestStore.allCases)
    func interruptedCallsAreRetried(kind: TestStore) throws {
        let (name, scratch) = (uniqueName(), try ScratchStore(kind))
        defer { scratch.remove() }
        let fault = SystemCallFault(scratch.openCall, errno: EINTR, times: 3)
        let log = try SystemCallFault.inject(fault) { try UpdateLog.create(name: name, options: options, in: scratch.store) }
        defer { log.unlinkSegments() }
        #expect(fault.hitCount == 3)
        let ftruncate = SystemCallFault("ftruncate", errno: EINTR, times: 2)
        var cursor = LogCursor(counter: 0, position: 0)
        try SystemCallFault.inject(ftruncate) { try log.publishFullDump([1], cursor: &cursor) }
        #expect(ftruncate.hitCount == 2 && cursor.counter == 1)
    }
}

/// A control block that another user owns, attached by a caller that opted in: its dump names
/// may reach only that user's segments, never this process's own (`Docs/SECURITY.md`). These
/// tests need root, to `chown` the segments they create.
@Suite("Foreign control blocks", .enabled(if: geteuid() == 0, "chown needs root"))
struct ForeignControlBlockTests {
    let foreignUID: uid_t = 65534

    func giveAway(_ names: [String]) {
        for name in names { #expect(chown("/dev/shm/" + name, foreignUID, foreignUID) == 0, "chown \(name): errno \(errno)") }
    }

    /// This user's dictionary with a dynamic dump, and a foreign one whose dump name points at it.
    func plantedPair() throws -> (ours: UpdateLog, ourDump: String, foreign: String) {
        let ours = try UpdateLog.create(name: uniqueName(), options: options)
        var cursor = LogCursor(counter: 0, position: 0)
        try ours.publishFullDump([1, 2, 3], cursor: &cursor)
        let ourDump = try #require(try ours.control.fullDumpName())
        let foreign = try UpdateLog.create(name: uniqueName(), options: options)
        foreign.control.publishFullDumpName(ourDump)
        foreign.control.publishFullDumpCounter(1)
        giveAway([foreign.name, UpdateLog.streamName(foreign.name)])
        return (ours, ourDump, foreign.name)
    }

    @Test func itsDumpNameCannotMakeThisProcessReadItsOwnSegment() throws {
        let (ours, _, foreign) = try plantedPair()
        defer { ours.unlinkSegments(); _ = try? UpdateLog.unlinkSegments(name: foreign) }
        let reader = try UpdateLog.attach(name: foreign, allowingForeignOwner: true)
        expectError(.foreignOwner) { try reader.readChanges(since: LogCursor(counter: 0, position: 0), attempts: 2) }
    }

    @Test func itsDumpNameCannotMakeThisProcessUnlinkItsOwnSegment() throws {
        let (ours, ourDump, foreign) = try plantedPair()
        defer { ours.unlinkSegments() }
        try UpdateLog.attach(name: foreign, allowingForeignOwner: true).unlinkSegments()
        #expect(!SharedMemoryStore().exists(name: foreign) && SharedMemoryStore().exists(name: ourDump))
        #expect(try UpdateLog.attach(name: ours.name).readChanges(since: LogCursor(counter: 0, position: 0)).snapshot == [1, 2, 3])
    }

    @Test func aStreamOfAnotherOwnerThanTheControlBlockIsRefused() throws {
        let log = try UpdateLog.create(name: uniqueName(), options: options)
        defer { log.unlinkSegments() }
        giveAway([log.name])
        expectError(.foreignOwner) { try UpdateLog.attach(name: log.name, allowingForeignOwner: true) }
    }
}

/// Opens that a hostile process tries to keep waiting end at once.
@Suite("Bounded waits", .timeLimit(.minutes(1)))
struct BoundedWaitTests {
    @Test(arguments: TestStore.allCases)
    func aFIFOUnderASegmentsNameIsRefusedWithoutWaiting(kind: TestStore) throws {
        let (name, scratch) = (uniqueName(), try ScratchStore(kind))
        defer { scratch.remove() }
        #expect(mkfifo(scratch.store.directory + "/" + name, 0o600) == 0)
        defer { unlink(scratch.store.directory + "/" + name) }
        expectError(.corruptSharedMemory) { try scratch.store.attach(name: name) }
        expectError(.corruptSharedMemory) { try UpdateLog.attach(name: name, in: scratch.store) }
        #expect(scratch.store.exists(name: name))
        #expect(try scratch.store.owner(of: name) == geteuid())
        #expect(try UpdateLog.unlinkSegments(name: name, in: scratch.store))  // the name is the dictionary's own
    }
}
