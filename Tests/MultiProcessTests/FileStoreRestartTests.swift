import Foundation
import Testing
import UltraDict
import _UltraDictTestSupport

/// A dictionary in files outlives every process that used it: killed or exited, a fresh process
/// that opens the directory finds every write that returned. In both durabilities (each is
/// promised to survive a process crash), with dynamic and static full dumps.
@Suite("File store: every process gone")
struct FileStoreRestartTests {
    /// The durabilities and full-dump sizes each test runs with.
    static let durabilities: [UltraDictStore.Durability] = [.buffered, .synchronous]
    static let fullDumpSizes: [Int?] = [nil, 16384]

    /// The entries that `dump-all` prints in a fresh process, and the full dumps published so far.
    func dumpAll(_ name: String, in fixture: StoreFixture, sourceLocation: SourceLocation = #_sourceLocation) throws -> (entries: [Int: Int], dumps: Int) {
        let result = try fixture.helper(["dump-all", name]).finishWithOutput()
        #expect(result.status == 0, "\(result.errors)", sourceLocation: sourceLocation)
        var entries: [Int: Int] = [:]
        for line in result.lines.dropLast() {
            let fields = line.split(separator: "=").compactMap { Int($0) }
            try #require(fields.count == 2, "dump-all printed \(line)", sourceLocation: sourceLocation)
            entries[fields[0]] = fields[1]
        }
        let totals = figures(result.lines.last ?? "")
        #expect(totals["count"] == entries.count, "\(result.lines.last ?? "")", sourceLocation: sourceLocation)
        return (entries, totals["dumps"] ?? -1)
    }

    @Test(arguments: durabilities, fullDumpSizes)
    func writersAllKilledLoseNoAcknowledgedWrite(durability: UltraDictStore.Durability, fullDumpSize: Int?) throws {
        let fixture = try StoreFixture(.files, durability: durability)
        defer { fixture.remove() }
        let (writers, keysPerWriter) = (3, 100)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5 {
            let name = uniqueName()
            // A 1 KiB stream: a full dump every few dozen writes, so that kills land in dumps too.
            try fixture.runHelper(["create", name] + (fullDumpSize.map { [String($0)] } ?? []) + ["--buffer-size", "1024"])
            defer { #expect((try? UltraDict<Int, Int>.unlink(name: name, store: fixture.store)) == true) }
            let acknowledged = try killAckWriters(name, count: writers, keysPerWriter: keysPerWriter, in: fixture, using: &generator)

            // No process maps the dictionary any more: a fresh one opens the directory.
            let found = try dumpAll(name, in: fixture).entries
            for (writer, acked) in acknowledged.enumerated() {
                let keys = writer * keysPerWriter ..< (writer + 1) * keysPerWriter
                // The write after the last acknowledged one may have landed too: the value after it.
                let unacknowledged = (acked.values.max() ?? 0) + 1
                for key in keys {
                    let allowed = [acked[key]] + (keys.lowerBound + unacknowledged % keysPerWriter == key ? [unacknowledged] : [])
                    #expect(allowed.contains(found[key]), "writer \(writer), key \(key): acknowledged \(String(describing: acked[key])), found \(String(describing: found[key]))")
                }
            }
            #expect(found.keys.allSatisfy { 0 <= $0 && $0 < writers * keysPerWriter }, "keys no writer wrote: \(found.keys.sorted())")
            #expect(acknowledged.allSatisfy { !$0.isEmpty })
        }
    }

    @Test(arguments: durabilities, fullDumpSizes)
    func aDictionaryWhoseWritersAllExitedReopensWhole(durability: UltraDictStore.Durability, fullDumpSize: Int?) throws {
        let fixture = try StoreFixture(.files, durability: durability)
        defer { fixture.remove() }
        let name = uniqueName()
        // Created by a process that exits at once, leaving it; a 1 KiB stream, so that writers dump.
        try fixture.runHelper(["create", name] + (fullDumpSize.map { [String($0)] } ?? []) + ["--buffer-size", "1024"])
        defer { #expect((try? UltraDict<Int, Int>.unlink(name: name, store: fixture.store)) == true) }
        try fixture.runHelpersConcurrently([["write-range", name, "0", "300"], ["write-range", name, "300", "600"], ["write-range", name, "600", "900"]])
        #expect(try fixture.runHelper("delete-range", name, "100", "200") == "count 800")

        let reopened = try dumpAll(name, in: fixture)
        #expect(reopened.entries == Dictionary(uniqueKeysWithValues: (Array(0..<100) + Array(200..<900)).map { ($0, $0) }))
        #expect(reopened.dumps > 0, "the writers published full dumps")
        let inThisProcess = try UltraDict<Int, Int>(name: name, create: false, configuration: UltraDictConfiguration(store: fixture.store))
        #expect(inThisProcess.snapshot == reopened.entries)
    }
}
