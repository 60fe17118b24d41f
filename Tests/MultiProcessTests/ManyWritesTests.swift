import Foundation
import Testing
import UltraDict
import _UltraDictTestSupport

/// A hundred thousand writes from other processes, seen whole by every process: a suite of its
/// own, which runs beside "Multi-process sharing" (each one test at a time).
@Suite("Many writes between processes", .serialized)
struct ManyWritesTests {
    @Test(arguments: TestStore.allCases, serializerNames)
    func twoWritersEachWriteHalfAndBothSeeAll(store: TestStore, serializer: String) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let d: UltraDict<Int, Int> = try fixture.createDictionary(name, serializer: serializer)
        defer { d.unlink(); #expect(fixture.segments(of: name).isEmpty) }

        try fixture.runHelpersConcurrently([
            ["write-range", name, "0", "50000", "--serializer", serializer],
            ["write-range", name, "50000", "100000", "--serializer", serializer],
        ])
        let counts = try fixture.runHelpersConcurrently([["count", name, "--serializer", serializer], ["count", name, "--serializer", serializer]])
        #expect(counts == ["count 100000", "count 100000"])
        #expect(d.count == 100_000)
        #expect(d[77_777] == 77_777)
        #expect(try d.status().fullDumpCounter > 0, "100,000 records outgrow the snapshot, so the stream compacts")
    }

    @Test(arguments: TestStore.allCases, serializerNames)
    func hundredThousandKeysWrittenThenDeletedLeaveNothing(store: TestStore, serializer: String) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let d: UltraDict<Int, Int> = try fixture.createDictionary(name, serializer: serializer)
        defer { d.unlink(); #expect(fixture.segments(of: name).isEmpty) }

        #expect(try fixture.runHelper("write-range", name, "0", "100000", "--serializer", serializer) == "count 100000")
        #expect(try fixture.runHelper("delete-range", name, "0", "100000", "--serializer", serializer) == "count 0")
        #expect(try fixture.runHelper("count", name, "--serializer", serializer) == "count 0")
        #expect(d.count == 0)
    }
}
