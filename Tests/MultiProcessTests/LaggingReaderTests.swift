import Foundation
import Testing
import UltraDict
import _UltraDictTestSupport

/// The figures a helper prints as `word number word number ...`, by word.
func figures(_ line: String) -> [String: Int] {
    let words = line.split(separator: " ")
    return Dictionary(stride(from: 0, to: words.count - 1, by: 2).compactMap { index in
        Int(words[index + 1]).map { (String(words[index]), $0) }
    }, uniquingKeysWith: { $1 })
}

/// Readers that fall behind a writer publishing thousands of full dumps never see a torn or a
/// backward state (issue 9, item 5), with dynamic dumps and with a static dump rewritten in place.
@Suite("Lagging readers", .serialized)
struct LaggingReaderTests {
    /// How long the writer writes at least, while the readers lag behind it.
    static let writingMilliseconds = 1500
    /// How many full dumps it publishes at least (it writes until it has, for a minute at most).
    static let dumps = 1000
    /// How many readers read meanwhile.
    static let readerCount = 3

    @Test(arguments: TestStore.allCases, serializerNames)
    func readersNeverSeeATornOrBackwardStateAcrossThousandsOfDumps(store: TestStore, serializer: String) throws {
        for fullDumpSize in [nil, 4096] as [Int?] {
            try readersNeverSeeATornOrBackwardState(store: store, serializer: serializer, fullDumpSize: fullDumpSize)
        }
    }

    func readersNeverSeeATornOrBackwardState(store: TestStore, serializer: String, fullDumpSize: Int?) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        // A 64-byte stream holds three records: nearly every other write publishes a full dump.
        let d: UltraDict<String, Int> = try fixture.createDictionary(name, serializer: serializer, bufferSize: 64, fullDumpSize: fullDumpSize)
        defer { d.unlink(); #expect(fixture.segments(of: name).isEmpty) }

        let readers = try (0..<Self.readerCount).map { _ in
            try fixture.helper(["monotonic-reader", name, "--serializer", serializer])
        }
        for reader in readers { #expect(reader.readLine() == "ready") }
        let writer = figures(try fixture.runHelper("monotonic-writer", name, "\(Self.writingMilliseconds)", "\(Self.dumps)", "--serializer", serializer))
        let dumps = try #require(writer["dumps"])
        #expect(dumps >= Self.dumps, "the writer published \(dumps) full dumps in \(writer["writes"] ?? 0) writes")

        for reader in readers {
            let result = reader.finish()
            #expect(result.status == 0, "\(result.errors)")
            let read = figures(result.lastLine)
            #expect(read["violations"] == 0 && read["errors"] == 0, "\(result.lastLine): \(result.errors)")
            #expect((read["reads"] ?? 0) > 0 && (read["dumps"] ?? 0) > 0, "\(result.lastLine)")
            print("lagging reader (\(store), \(serializer), fullDumpSize \(fullDumpSize.map(String.init) ?? "dynamic")): \(result.lastLine) of \(dumps) dumps")
        }
    }
}
