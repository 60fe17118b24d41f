import Foundation
import Testing
import UltraDictCore
import _UltraDictTestSupport
@testable import UltraDictTransport

/// The file store: a directory of files mapped `MAP_SHARED`, and its durability.
@Suite("File store")
struct FileStoreTests {
    @Test func segmentsAreFilesOfModeSixHundredThatOutliveTheirMappings() throws {
        let scratch = try ScratchStore(.files)
        defer { scratch.remove() }
        let name = uniqueName()
        do {
            let log = try UpdateLog.create(name: name, options: options, in: scratch.store)
            var cursor = LogCursor(counter: 0, position: 0)
            #expect(try log.append([1, 2, 3], cursor: &cursor))
        }
        #expect(Set(scratch.segments(of: name)) == [name, UpdateLog.streamName(name)])
        let attributes = try FileManager.default.attributesOfItem(atPath: scratch.store.directory + "/" + name)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let changes = try UpdateLog.attach(name: name, in: scratch.store).readChanges(since: LogCursor(counter: 0, position: 0))
        var records: [[UInt8]] = []
        try changes.forEachRecord { records.append(Array($0)) }
        #expect(records == [[1, 2, 3]])
    }

    @Test func theDirectoryIsMadeWithModeSevenHundredOnCreateAndAMissingOneIsNotAttached() throws {
        let scratch = try ScratchStore(.files)
        defer { scratch.remove() }
        let store = FileStore(directory: scratch.store.directory + "/new", durability: .buffered)
        let name = uniqueName()
        expectError(.cannotAttach) { try UpdateLog.attach(name: name, in: store) }
        let log = try UpdateLog.create(name: name, options: options, in: store)
        let attributes = try FileManager.default.attributesOfItem(atPath: store.directory)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        #expect(try UpdateLog.attach(name: name, in: store).name == log.name)
        log.unlinkSegments()
        #expect(try store.names().isEmpty)
    }

    @Test func aSymbolicLinkUnderASegmentsNameIsNeverFollowed() throws {
        let scratch = try ScratchStore(.files)
        defer { scratch.remove() }
        let name = uniqueName()
        let target = scratch.store.directory + "/target"
        #expect(FileManager.default.createFile(atPath: target, contents: Data(count: ControlLayout.size)))
        try FileManager.default.createSymbolicLink(atPath: scratch.store.directory + "/" + name, withDestinationPath: target)
        expectError(.alreadyExists) { try UpdateLog.create(name: name, options: options, in: scratch.store) }
        expectError(.systemCall) { try UpdateLog.attach(name: name, in: scratch.store) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data(count: ControlLayout.size))
    }

    /// A synchronous store writes a record to disk before its position, and the position before
    /// the append returns: a failed `msync` either publishes nothing or leaves the record for
    /// this handle to read, never an acknowledged write that is not on disk.
    @Test func aFailedSyncNeverAcknowledgesAWrite() throws {
        let scratch = try ScratchStore(.files)
        defer { scratch.remove() }
        let name = uniqueName()
        let log = try UpdateLog.create(name: name, options: options, in: scratch.store)
        var cursor = LogCursor(counter: 0, position: 0)
        // The record's msync fails: nothing is published.
        SystemCallFault.inject(SystemCallFault("msync", errno: EIO, times: 1)) {
            expectError(.systemCall) { try log.append([1], cursor: &cursor) }
        }
        #expect(log.control.streamPosition == 0 && cursor.position == 0)
        // The position's msync fails: the record is published, and this handle's cursor stays before it.
        SystemCallFault.inject(SystemCallFault("msync", errno: EIO, after: 1, times: 1)) {
            expectError(.systemCall) { try log.append([2], cursor: &cursor) }
        }
        #expect(log.control.streamPosition > 0 && cursor.position == 0)
        #expect(!log.isCurrent(cursor))
    }

    /// The stream's disk blocks are reserved as far as writers can use them before the next
    /// dump (the compaction limit), not for the whole buffer: a 64 MiB stream takes 1 MiB of disk
    /// until a snapshot of 3 MiB lets the records after it use 3 MiB.
    @Test func theStreamReservesTheDiskItsWritersCanUse() throws {
        let scratch = try ScratchStore(.files)
        defer { scratch.remove() }
        let name = uniqueName()
        let big = UpdateLog.Options(lockKind: .shared, serializerIdentifier: "test", recurse: false, bufferSize: 64 << 20, fullDumpSize: nil)
        let log = try UpdateLog.create(name: name, options: big, in: scratch.store)
        defer { log.unlinkSegments() }
        func reservedBytes() throws -> Int {
            var info = stat()
            #expect(stat(scratch.store.directory + "/" + UpdateLog.streamName(name), &info) == 0)
            return Int(info.st_blocks) * 512
        }
        #expect(try (1 << 20 ..< 2 << 20).contains(reservedBytes()))
        var cursor = LogCursor(counter: 0, position: 0)
        try log.publishFullDump([UInt8](repeating: 7, count: 3 << 20), cursor: &cursor)
        #expect(try (3 << 20 ..< 4 << 20).contains(reservedBytes()))
        // A disk without room fails the dump, before it publishes anything.
        SystemCallFault.inject(SystemCallFault("posix_fallocate", errno: ENOSPC)) {
            expectError(.systemCall) { try log.publishFullDump([UInt8](repeating: 8, count: 5 << 20), cursor: &cursor) }
        }
        #expect(log.control.lastSnapshotSize == 3 << 20 && cursor.counter == 1)
    }

    @Test(arguments: TestStore.allCases)
    func readingRecordsNeverCallsTheStore(kind: TestStore) throws {
        let (name, scratch) = (uniqueName(), try ScratchStore(kind))
        defer { scratch.remove() }
        let writer = try UpdateLog.create(name: name, options: options, in: scratch.store)
        defer { writer.unlinkSegments() }
        let reader = try UpdateLog.attach(name: name, in: scratch.store)
        var cursor = LogCursor(counter: 0, position: 0)
        #expect(try writer.append([1], cursor: &cursor) && writer.append([2], cursor: &cursor))
        let calls = [scratch.openCall, "fstat", "mmap", "msync", "fsync", "posix_fallocate", "opendir"].map { SystemCallFault($0, errno: EIO, times: 0) }
        var records = 0
        try SystemCallFault.inject(calls, during: {
            var seen = LogCursor(counter: 0, position: 0)
            while !reader.isCurrent(seen) {
                let changes = try reader.readChanges(since: seen)
                try changes.forEachRecord { _ in records += 1 }
                seen = changes.cursor
            }
        })
        #expect(records == 2)
        for call in calls { #expect(call.callCount == 0, "\(call.call)") }
    }

    @Test(arguments: [UltraDictStore.Durability.buffered, .synchronous])
    func eachDurabilitySyncsWhatItSays(durability: UltraDictStore.Durability) throws {
        let scratch = try ScratchStore(.files)
        defer { scratch.remove() }
        let store = FileStore(directory: scratch.store.directory, durability: durability)
        let name = uniqueName()
        let log = try UpdateLog.create(name: name, options: options, in: store)
        defer { log.unlinkSegments() }
        var cursor = LogCursor(counter: 0, position: 0)
        let msync = SystemCallFault("msync", errno: EIO, times: 0)
        let fsync = SystemCallFault("fsync", errno: EIO, times: 0)
        try SystemCallFault.inject(msync, fsync) {
            #expect(try log.append([1], cursor: &cursor))
            try log.publishFullDump([2], cursor: &cursor)
        }
        // A write: the record, then the position. A dump: the control block with the pending
        // name, the dump, the control block when the sequence goes odd and when it goes even;
        // the new dump's directory entry, and the replaced dump's removal (none here: the first
        // dump replaces nothing).
        #expect(msync.callCount == (durability == .synchronous ? 6 : 0))
        #expect(fsync.callCount == (durability == .synchronous ? 1 : 0))
    }
}
