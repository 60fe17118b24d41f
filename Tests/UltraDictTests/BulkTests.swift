import Foundation
import Testing
import UltraDict
import _UltraDictTestSupport

/// `count` entries `i: i * 3`, from `start`.
private func entries(_ count: Int, from start: Int = 0) -> [Int: Int] {
    Dictionary(uniqueKeysWithValues: (start ..< start + count).map { ($0, $0 * 3) })
}

/// The payload of the full dump `d` published last, read from its segment in /dev/shm as a
/// Python reader reads it: `0xFF`, a u32 little-endian length, `0xFF`, then the payload.
private func publishedDump(of d: UltraDict<Int, Int>) throws -> [UInt8] {
    let name = try #require(try d.status().fullDumpName)
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "/dev/shm/" + name)))
    try #require(bytes.count >= 6 && bytes[0] == 0xFF && bytes[5] == 0xFF)
    let length = bytes[1 ..< 5].reversed().reduce(0) { $0 << 8 | Int($1) }
    return Array(bytes[6 ..< 6 + length])
}

/// MessagePack that announces a snapshot of `announced` entries whatever the bytes hold, as a
/// hostile or broken serializer might.
private struct OverAnnouncingSerializer: UltraDictSerializer {
    static let identifier = "overannounce"
    let announced: Int

    func encode(_ value: UltraValue, into buffer: inout [UInt8]) throws { try MessagePackSerializer().encode(value, into: &buffer) }
    func decode(_ bytes: UnsafeRawBufferPointer) throws -> UltraValue { try MessagePackSerializer().decode(bytes) }
    func decodeSnapshot(
        _ bytes: UnsafeRawBufferPointer, announcing announce: (Int) throws -> Void, _ body: (UltraValue, UltraValue) throws -> Void
    ) throws {
        try announce(announced)
        try MessagePackSerializer().decodeSnapshot(bytes, body)
    }
}

@Suite("Bulk writes and loads")
struct BulkTests {
    @Test func manyEntriesGoOutAsOneFullDump() throws {
        let d = try UltraDict<Int, Int>(name: uniqueName())
        let other = try UltraDict<Int, Int>(name: d.name, create: false)
        defer { d.unlink(); #expect(segments(of: d.name).isEmpty) }
        d[-1] = -1
        let before = try d.status().fullDumpCounter
        let added = entries(10_000)
        try d.update(with: added)
        let status = try d.status()
        #expect(status.fullDumpCounter == before + 1 && status.streamPosition == 0)

        var expected = added
        expected[-1] = -1
        #expect(d.snapshot == expected && other.snapshot == expected)
        #expect(try UltraDict<Int, Int>(name: d.name, create: false).snapshot == expected)
        // A normal full dump: the map Python's msgpack.loads reads.
        let payload = try publishedDump(of: d)
        let map = try payload.withUnsafeBytes { try MessagePackSerializer().decode($0) }
        #expect(map == .dictionary(Dictionary(uniqueKeysWithValues: expected.map { (.int(Int64($0.key)), .int(Int64($0.value))) })))
    }

    @Test func creatingFromALargeDictionaryTakesOneDumpAndAFewEntriesTakeRecords() throws {
        let d = try UltraDict<Int, Int>(name: uniqueName())
        defer { d.unlink() }
        try d.update(with: entries(10))
        #expect(try d.status().fullDumpCounter == 0)
        try d.update(with: entries(5_000, from: 10))
        #expect(try d.status().fullDumpCounter == 1)
        // A few entries into a large dictionary: one record each, no dump.
        let position = try d.status().streamPosition
        try d.update(with: entries(20, from: 100_000))
        let status = try d.status()
        #expect(status.fullDumpCounter == 1 && status.streamPosition > position)
        #expect(try UltraDict<Int, Int>(name: d.name, create: false).count == 5_030)
    }

    @Test func aBulkUpdateThatCannotBeEncodedChangesNothing() throws {
        let d = try UltraDict<String, UltraValue>(name: uniqueName())
        let other = try UltraDict<String, UltraValue>(name: d.name, create: false)
        defer { d.unlink() }
        d["kept"] = 1
        let before = d.snapshot
        let counter = try d.status().fullDumpCounter
        var tooDeep: UltraValue = 0
        for _ in 0 ..< 40 { tooDeep = [tooDeep] }  // MessagePack writes at most 32 levels
        var update = Dictionary(uniqueKeysWithValues: (0 ..< 2_000).map { ("k\($0)", UltraValue.int(Int64($0))) })
        update["kept"] = 2
        update["deep"] = tooDeep
        expectError(.serialization) { try d.update(with: update) }
        #expect(d.snapshot == before && other.snapshot == before)
        #expect(try d.status().fullDumpCounter == counter)
    }

    @Test func aBulkUpdateThatDoesNotFitTheStaticDumpChangesNothing() throws {
        let d = try UltraDict<Int, Int>(name: uniqueName(), fullDumpSize: 1_000)
        let other = try UltraDict<Int, Int>(name: d.name, create: false)
        defer { d.unlink() }
        d[1] = 1
        expectError(.fullDumpMemoryFull) { try d.update(with: entries(1_000, from: 10)) }
        #expect(d.snapshot == [1: 1] && other.snapshot == [1: 1])
        #expect(try d.status().fullDumpCounter == 0)
        try d.update(with: entries(3))
        #expect(other.snapshot == entries(3))
    }

    @Test func recursiveDictionariesWriteRecordsAndKeepTheirNestedValues() throws {
        let d = try UltraDict<String, UltraValue>(name: uniqueName(), recurse: true)
        defer { d.unlink() }
        var update = Dictionary(uniqueKeysWithValues: (0 ..< 1_000).map { ("k\($0)", UltraValue.int(Int64($0))) })
        update["nested"] = ["counter": 1]
        try d.update(with: update)
        #expect(try d.status().fullDumpCounter == 0)
        let other = try UltraDict<String, UltraValue>(name: d.name, create: false, recurse: true)
        #expect(other.count == 1_001 && other["nested"] == ["counter": 1])
        try d.nested("nested")?.updateValue(2, forKey: "counter")
        #expect(other["nested"] == ["counter": 2])
    }

    @Test func aHostileAnnouncedCountReservesOnlyWhatTheBytesCanHold() throws {
        let name = uniqueName()
        let d = try UltraDict<Int, Int>(name: name, serializer: OverAnnouncingSerializer(announced: .max))
        defer { d.unlink() }
        try d.update(with: entries(1_000))
        for announced in [Int.max, Int(UInt32.max), -1] {
            let reader = try UltraDict<Int, Int>(name: name, create: false, serializer: OverAnnouncingSerializer(announced: announced))
            #expect(reader.snapshot == entries(1_000))
        }
    }

    @Test func aDumpDeclaringFourBillionEntriesIsRefusedWithoutAllocating() throws {
        let d = try UltraDict<Int, Int>(name: uniqueName())
        defer { d.unlink() }
        try d.update(with: entries(1_000))
        // A dump as Python writes it (no trailer): a map header that claims 2^32-1 entries.
        let dump = try #require(try d.status().fullDumpName)
        try overwrite([0xFF, 5, 0, 0, 0, 0xFF, 0xDF, 0xFF, 0xFF, 0xFF, 0xFF], at: 0, ofSegment: dump)
        expectError(.serialization) { try UltraDict<Int, Int>(name: d.name, create: false) }
    }
}
