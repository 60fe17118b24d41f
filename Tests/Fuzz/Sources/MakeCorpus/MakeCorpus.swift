import Foundation
import _UltraDictFuzzing

/// Writes every surface's seeds to `Corpus/<surface>/` beside this package, replacing files of
/// the same name and leaving other files (crash reproducers) alone. Deterministic: run it again
/// after changing a writer or a format, and commit what changed.
@main
enum MakeCorpus {
    static func main() throws {
        // A dictionary's order, and so the bytes of an encoded snapshot, depends on a
        // per-process hash seed unless this variable is set.
        guard ProcessInfo.processInfo.environment["SWIFT_DETERMINISTIC_HASHING"] == "1" else {
            FileHandle.standardError.write(Data("MakeCorpus: run with SWIFT_DETERMINISTIC_HASHING=1, so that every run writes the same bytes\n".utf8))
            exit(2)
        }
        let corpus = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Corpus")
        for surface in FuzzSurface.allCases {
            let directory = corpus.appendingPathComponent(surface.name)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let seeds = try surface.seeds()
            for seed in seeds {
                try Data(seed.bytes).write(to: directory.appendingPathComponent(seed.name))
            }
            print("\(surface.name): \(seeds.count) seeds")
        }
    }
}
