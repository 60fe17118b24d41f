import Foundation
import Testing
import UltraDictCore
@testable import UltraDictTransport
import _UltraDictTestSupport

let options = UpdateLog.Options(lockKind: .shared, serializerIdentifier: "test", recurse: false, bufferSize: 256, fullDumpSize: nil)

@Suite("Segments and names")
struct SegmentTests {
    @Test func createAttachUnlink() throws {
        let name = uniqueName()
        let created = try SharedMemoryStore().create(name: name, size: 100)
        created.base.storeBytes(of: 42, as: UInt8.self)
        let attached = try SharedMemoryStore().attach(name: name)
        #expect(attached.size == 100 && attached.base.load(as: UInt8.self) == 42)
        expectError(.alreadyExists) { try SharedMemoryStore().create(name: name, size: 100) }
        expectError(.corruptSharedMemory) { try SharedMemoryStore().attach(name: name, minimumSize: 101) }
        #expect(try SharedMemoryStore().unlink(name: name))
        #expect(try !SharedMemoryStore().unlink(name: name))
        expectError(.cannotAttach) { try SharedMemoryStore().attach(name: name) }
        #expect(segments(of: name).isEmpty)
    }

    @Test func segmentsAreCreatedWithMode0600() throws {
        let name = uniqueName()
        let segment = try SharedMemoryStore().create(name: name, size: 10)
        defer { _ = try? SharedMemoryStore().unlink(name: segment.name) }
        let attributes = try FileManager.default.attributesOfItem(atPath: "/dev/shm/" + name)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test(arguments: ["", "a/b", "/abs", ".", "..", "nul\u{0}x", String(repeating: "n", count: 241)])
    func invalidNamesAreRefused(name: String) {
        expectError(.invalidArgument) { try SegmentName.validate(name) }
    }

    @Test func validNamesAndRandomNames() throws {
        try SegmentName.validate(String(repeating: "n", count: 240))
        try SegmentName.validate("ünïcode name")
        let random = SegmentName.random()
        #expect(random.count == 12 && random.hasPrefix("psm_"))
    }
}

@Suite("Framing")
struct FramingTests {
    func frames(_ bytes: [UInt8]) throws -> [[UInt8]] {
        var payloads: [[UInt8]] = []
        try bytes.withUnsafeBytes { try Frame.forEachPayload(in: $0, streamOffset: 0) { payloads.append(Array($0)) } }
        return payloads
    }

    @Test func wellFormedRecordsTileTheBytes() throws {
        #expect(try frames([0xFF, 2, 0, 0, 0, 0xFF, 7, 8, 0xFF, 1, 0, 0, 0, 0xFF, 9]) == [[7, 8], [9]])
        #expect(try frames([]) == [])
    }

    @Test(arguments: [
        [0xFF, 2, 0, 0, 0] as [UInt8],          // short header
        [0xFE, 1, 0, 0, 0, 0xFF, 1],            // bad opening marker
        [0xFF, 1, 0, 0, 0, 0x00, 1],            // bad closing marker
        [0xFF, 0, 0, 0, 0, 0xFF],               // empty payload
        [0xFF, 5, 0, 0, 0, 0xFF, 1, 2],         // length past the end
        [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1], // huge length
    ])
    func malformedRecordsAreCorrupt(bytes: [UInt8]) {
        expectError(.corruptSharedMemory) { try frames(bytes) }
    }

    @Test func trailerDetectsAChangedPayload() {
        let payload: [UInt8] = [1, 2, 3]
        let trailer = payload.withUnsafeBytes { DumpTrailer(counter: 7, payload: $0) }
        var bytes = [UInt8](repeating: 0, count: DumpTrailer.size)
        bytes.withUnsafeMutableBytes { trailer.write(at: $0.baseAddress!) }
        let read = bytes.withUnsafeBytes { DumpTrailer(reading: $0) }
        #expect(read == trailer)
        #expect([UInt8]([1, 2, 4]).withUnsafeBytes { !trailer.matches($0) })
        #expect([UInt8](repeating: 0, count: 16).withUnsafeBytes { DumpTrailer(reading: $0) } == nil)
    }

    @Test func checksumSeesEveryByteAndTheLength() {
        // Whole words and a zero-padded tail: any one changed byte, or one more zero byte, changes it.
        for length in 1...24 {
            let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let checksum = payload.withUnsafeBytes(DumpTrailer.checksum(of:))
            for index in payload.indices {
                var changed = payload
                changed[index] ^= 0x40
                #expect(changed.withUnsafeBytes(DumpTrailer.checksum(of:)) != checksum)
            }
            #expect((payload + [0]).withUnsafeBytes(DumpTrailer.checksum(of:)) != checksum)
        }
    }
}

@Suite("Update log", .serialized)
struct UpdateLogTests {
    @Test func appendThenReadAndDumpThenRead() throws {
        let name = uniqueName()
        let writer = try UpdateLog.create(name: name, options: options)
        defer { writer.unlinkSegments(); #expect(segments(of: name).isEmpty) }
        let reader = try UpdateLog.attach(name: name)
        var writerCursor = LogCursor(counter: 0, position: 0)
        #expect(try writer.append([1, 2, 3], cursor: &writerCursor))
        #expect(!reader.isCurrent(LogCursor(counter: 0, position: 0)))
        var changes = try reader.readChanges(since: LogCursor(counter: 0, position: 0))
        var payloads: [[UInt8]] = []
        try changes.forEachRecord { payloads.append(Array($0)) }
        #expect(payloads == [[1, 2, 3]] && changes.snapshot == nil && changes.cursor == writerCursor)

        #expect(try !writer.append([UInt8](repeating: 0, count: 300), cursor: &writerCursor))
        try writer.publishFullDump([9, 9], cursor: &writerCursor)
        #expect(writerCursor == LogCursor(counter: 1, position: 0))
        changes = try reader.readChanges(since: changes.cursor)
        #expect(changes.snapshot == [9, 9] && changes.records.isEmpty)
        #expect(reader.control.hasOwnFields)
        #expect(try reader.control.serializerIdentifier() == "test")
    }

    @Test func dynamicDumpsReplaceTheirPredecessor() throws {
        let name = uniqueName()
        let writer = try UpdateLog.create(name: name, options: options)
        defer { writer.unlinkSegments() }
        var cursor = LogCursor(counter: 0, position: 0)
        try writer.publishFullDump([1], cursor: &cursor)
        let first = try #require(try writer.control.fullDumpName())
        try writer.publishFullDump([2], cursor: &cursor)
        let second = try #require(try writer.control.fullDumpName())
        #expect(first != second && !SharedMemoryStore().exists(name: first) && SharedMemoryStore().exists(name: second))
        writer.unlinkSegments()
        #expect(!SharedMemoryStore().exists(name: second))
    }

    @Test func attachingNeverCreatesSegments() {
        let name = uniqueName()
        expectError(.cannotAttach) { try UpdateLog.attach(name: name) }
        #expect(segments(of: name).isEmpty)
    }

    @Test func hostileControlFieldsThrowInBoundedTime() throws {
        let name = uniqueName()
        let writer = try UpdateLog.create(name: name, options: options)
        defer { writer.unlinkSegments() }
        let control = writer.control.segment.base
        let reader = try UpdateLog.attach(name: name)

        // A stream position past the buffer.
        control.storeBytes(of: UInt32(10_000).littleEndian, as: UInt32.self)
        expectError(.corruptSharedMemory) { try reader.readChanges(since: LogCursor(counter: 0, position: 0)) }

        // A position inside the buffer over bytes that are not records.
        control.storeBytes(of: UInt32(20).littleEndian, as: UInt32.self)
        expectError(.corruptSharedMemory) { try reader.readChanges(since: LogCursor(counter: 0, position: 0)) }

        // A new counter whose dump name holds a '/', then one with no dump at all.
        control.storeBytes(of: UInt32(0), as: UInt32.self)
        (control + ControlLayout.fullDumpCounter).storeBytes(of: UInt32(3).littleEndian, as: UInt32.self)
        for (index, byte) in "../etc/passwd".utf8.enumerated() { (control + ControlLayout.fullDumpName + index).storeBytes(of: byte, as: UInt8.self) }
        expectError(.corruptSharedMemory) { try reader.readChanges(since: LogCursor(counter: 0, position: 0)) }
        writer.control.publishFullDumpName("")
        expectError(.corruptSharedMemory) { try reader.readChanges(since: LogCursor(counter: 0, position: 0)) }
        writer.control.publishFullDumpName("psm_00000000")
        expectError(.cannotAttach) { try reader.readChanges(since: LogCursor(counter: 0, position: 0)) }

        // A dump name that fills the field with no terminator.
        for index in 0..<ControlLayout.fullDumpNameLength { (control + ControlLayout.fullDumpName + index).storeBytes(of: UInt8(ascii: "a"), as: UInt8.self) }
        #expect(throws: UltraDictError.self) { try reader.readChanges(since: LogCursor(counter: 0, position: 0)) }

        // A dump whose header claims 4 GiB.
        var cursor = LogCursor(counter: 0, position: 0)
        try writer.publishFullDump([1, 2, 3], cursor: &cursor)
        let dump = try SharedMemoryStore().attach(name: try #require(try writer.control.fullDumpName()))
        Frame.writeHeader(length: .max, at: dump.base)
        expectError(.corruptSharedMemory) { try reader.readChanges(since: LogCursor(counter: 0, position: 0)) }

        // A counter that went backwards behind a reader: it reloads the dump rather than trusting its copy.
        Frame.writeHeader(length: 3, at: dump.base)
        #expect(try reader.readChanges(since: LogCursor(counter: cursor.counter + 5, position: 0)).snapshot == [1, 2, 3])
    }

    @Test func pythonStyleSpacePaddedDumpNameIsRead() throws {
        let name = uniqueName()
        let writer = try UpdateLog.create(name: name, options: options)
        defer { writer.unlinkSegments() }
        let field = writer.control.segment.base + ControlLayout.fullDumpName
        let padded = Array("psm_1234abcd".utf8) + [UInt8](repeating: UInt8(ascii: " "), count: 255 - 12)
        for (index, byte) in padded.enumerated() { (field + index).storeBytes(of: byte, as: UInt8.self) }
        #expect(try writer.control.fullDumpName() == "psm_1234abcd")
        (field + 3).storeBytes(of: 0xC3, as: UInt8.self)  // invalid UTF-8
        expectError(.corruptSharedMemory) { try writer.control.fullDumpName() }
    }

    /// A full dump's publication, step by step as `UpdateLog.publishFullDump` takes them, so that
    /// a test can stop it where a writer could die. `halfDone` stands for a writer that died in
    /// the middle of copying the dump in place (static) or of writing its name (dynamic).
    enum PublicationStep: Int, CaseIterable, CustomTestStringConvertible {
        case pendingNamed = 1, dumpWritten, sequenceOdd, halfDone, inPlaceOrNamed, positionReset, counterPublished, sequenceEven,
             obsoleteUnlinked, pendingCleared
        var testDescription: String { "stopped after \(self)" }
    }

    /// Publishes `payload` as a writer that dies after `stop` would; returns the dump segment's name.
    func publish(_ payload: [UInt8], on log: UpdateLog, stoppingAfter stop: PublicationStep) throws -> String {
        let length = Frame.dumpSize(payloadCount: payload.count)
        let dumpName = SegmentName.random()
        let replaced = log.staticDump == nil ? try log.control.fullDumpName() : nil
        var dump: MappedSegment?
        let inPlace = { (bytes: Int) in
            if let staticDump = log.staticDump {
                staticDump.base.copyMemory(from: dump!.base, byteCount: bytes)
            } else {
                let name = Array(dumpName.utf8)
                let field = log.control.segment.base + ControlLayout.fullDumpName
                for index in 0..<min(name.count, bytes) { (field + index).storeBytes(of: name[index], as: UInt8.self) }
            }
        }
        let steps: [PublicationStep: () throws -> Void] = [
            .pendingNamed: {
                log.control.replacedDumpName = replaced
                log.control.pendingDumpName = dumpName
            },
            .dumpWritten: {
                let segment = try SharedMemoryStore().create(name: dumpName, size: length)
                payload.withUnsafeBytes { Frame.writeDump($0, counter: log.control.fullDumpCounter + 1, at: segment.base) }
                dump = segment
            },
            .sequenceOdd: { log.control.beginPublication() },
            .halfDone: { inPlace(log.staticDump == nil ? dumpName.utf8.count / 2 : length / 2) },
            .inPlaceOrNamed: { inPlace(length) },
            .positionReset: { log.control.publishStreamPosition(0) },
            .counterPublished: { log.control.publishFullDumpCounter(log.control.fullDumpCounter + 1) },
            .sequenceEven: { log.control.endPublication() },
            .obsoleteUnlinked: { _ = try SharedMemoryStore().unlink(name: log.staticDump == nil ? replaced! : dumpName) },
            .pendingCleared: {
                log.control.pendingDumpName = nil
                log.control.replacedDumpName = nil
            },
        ]
        for step in PublicationStep.allCases where step.rawValue <= stop.rawValue { try steps[step]!() }
        return dumpName
    }

    /// A new update log, with a 256-byte static full dump if `staticDump`, that published a
    /// first full dump of `[1, 2, 3, 4]`; returns it and its writer's cursor.
    func logWithFirstDump(_ name: String, staticDump: Bool) throws -> (UpdateLog, LogCursor) {
        var logOptions = options
        logOptions.fullDumpSize = staticDump ? 256 : nil
        let log = try UpdateLog.create(name: name, options: logOptions)
        var cursor = LogCursor(counter: 0, position: 0)
        try log.publishFullDump([1, 2, 3, 4], cursor: &cursor)
        return (log, cursor)
    }

    @Test(arguments: [false, true], PublicationStep.allCases)
    func aPublicationStoppedAnywhereLeavesAReadableDictionary(staticDump: Bool, stop: PublicationStep) throws {
        let name = uniqueName()
        let (writer, firstCursor) = try logWithFirstDump(name, staticDump: staticDump)
        defer { writer.unlinkSegments() }
        var cursor = firstCursor
        let firstDump = try writer.control.fullDumpName()!
        #expect(try writer.append([7], cursor: &cursor) && writer.append([8], cursor: &cursor))

        let interrupted = try publish([5, 6, 7, 8, 9], on: writer, stoppingAfter: stop)

        // The survivor that takes the lock over repairs; a reader that was far behind then sees
        // the previous state (a publication that had not begun) or the new dump, never a mixture.
        let survivor = try UpdateLog.attach(name: name)
        #expect(try survivor.repairInterruptedPublication())
        #expect(!survivor.isPublicationInterrupted)
        let changes = try survivor.readChanges(since: LogCursor(counter: 0, position: 0))
        var records: [[UInt8]] = []
        try changes.forEachRecord { records.append(Array($0)) }
        if stop.rawValue < PublicationStep.sequenceOdd.rawValue {
            #expect(changes.snapshot == [1, 2, 3, 4] && records == [[7], [8]] && changes.cursor.counter == 1)
        } else {
            #expect(changes.snapshot == [5, 6, 7, 8, 9] && records.isEmpty && changes.cursor.counter == 2)
        }

        // The next publication works and discards what the dead writer left pending.
        var survivorCursor = changes.cursor
        try survivor.publishFullDump([10, 11], cursor: &survivorCursor)
        #expect(try UpdateLog.attach(name: name).readChanges(since: LogCursor(counter: 0, position: 0)).snapshot == [10, 11])
        let currentDump = try survivor.control.fullDumpName()!
        survivor.unlinkSegments()
        let leftovers = [firstDump, interrupted, currentDump, name, UpdateLog.streamName(name)].filter { SharedMemoryStore().exists(name: $0) }
        #expect(leftovers.isEmpty)
    }

    @Test func repairNeverCopiesAPendingDumpLargerThanTheStaticOne() throws {
        let name = uniqueName()
        let (writer, _) = try logWithFirstDump(name, staticDump: true)
        defer { writer.unlinkSegments() }
        // A hostile process names a complete dump of 1,000 bytes as pending and makes the
        // sequence word odd: copying it in place would write past the 256-byte static dump.
        let payload = [UInt8](repeating: 7, count: 1000)
        let pending = try SharedMemoryStore().create(name: SegmentName.random(), size: Frame.dumpSize(payloadCount: payload.count))
        defer { _ = try? SharedMemoryStore().unlink(name: pending.name) }
        payload.withUnsafeBytes { Frame.writeDump($0, counter: 2, at: pending.base) }
        writer.control.pendingDumpName = pending.name
        writer.control.beginPublication()
        // The dump in place is still the intact previous one: it stands.
        #expect(try writer.repairInterruptedPublication())
        #expect(try UpdateLog.attach(name: name).readChanges(since: LogCursor(counter: 0, position: 0)).snapshot == [1, 2, 3, 4])
    }

    @Test func repairRefusesAStaticDumpTornInPlaceWithoutAPendingDump() throws {
        let name = uniqueName()
        let (writer, _) = try logWithFirstDump(name, staticDump: true)
        defer { writer.unlinkSegments() }
        // A hostile process (or a writer of no pending dump) overwrote the static dump in place
        // and made the sequence word odd: the previous snapshot is gone.
        writer.control.beginPublication()
        let dump = try SharedMemoryStore().attach(name: UpdateLog.staticDumpName(name))
        Frame.writeHeader(length: 40, at: dump.base)
        for offset in 0..<10 { (dump.base + Frame.headerSize + offset).storeBytes(of: 9, as: UInt8.self) }
        // The caller must rebuild it rather than keep the torn one.
        #expect(try !writer.repairInterruptedPublication())
        #expect(writer.isPublicationInterrupted)
    }
}
