import Foundation
import Testing
import _UltraDictFuzzing

/// `Tests/Fuzz/Corpus`, where each fuzz target's seeds and reproducers are committed.
let corpusDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz/Corpus")

/// The files of `surface`'s corpus, by name.
func corpus(of surface: FuzzSurface) throws -> [(name: String, bytes: [UInt8])] {
    let directory = corpusDirectory.appendingPathComponent(surface.name)
    return try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted().map {
        ($0, Array(try Data(contentsOf: directory.appendingPathComponent($0))))
    }
}

// Serialized: the transport surfaces share one set of scratch segments per process.
@Suite("Fuzz corpus", .serialized)
struct CorpusReplayTests {
    /// Every committed input, seeds and crash reproducers alike, goes through its surface again:
    /// a regression traps here or throws a finding.
    @Test(arguments: FuzzSurface.allCases)
    func everyCommittedInputIsHandled(surface: FuzzSurface) throws {
        let files = try corpus(of: surface)
        #expect(!files.isEmpty)
        for file in files {
            #expect(throws: Never.self, "\(surface.name)/\(file.name)") { try file.bytes.withUnsafeBytes { try surface.run($0) } }
        }
    }

    /// Every seed that `MakeCorpus` writes today is committed (their bytes may differ: snapshots
    /// follow the hash seed of the process that encodes them).
    @Test(arguments: FuzzSurface.allCases)
    func everySeedIsCommitted(surface: FuzzSurface) throws {
        let committed = Set(try corpus(of: surface).map(\.name))
        for seed in try surface.seeds() {
            #expect(committed.contains(seed.name), "\(surface.name)/\(seed.name) is missing: run MakeCorpus (Docs/FUZZING.md)")
        }
    }
}
