// A dictionary that outlives every process: its segments are files, each write on disk before it
// returns.
//
//     swift run Durable
//
// Three processes run one after another, as three runs of a program would, or three boots of a
// machine: each opens the dictionary in the same directory, counts its visit under the lock, and
// exits without unlinking it. Then this process reads what they left, and removes it.
import Foundation
import UltraDict

/// The dictionary's settings: files in `directory`, every write synced to disk before it returns.
func configuration(in directory: String) -> UltraDictConfiguration {
    UltraDictConfiguration(store: .files(in: directory, durability: .synchronous))
}

let runs = 3

if CommandLine.arguments.count == 3, CommandLine.arguments[1] == "--visit" {
    // A run: opens the dictionary (creating it the first time) and counts itself. A file store's
    // dictionary is never unlinked by default, not even by its creator.
    let visits = try UltraDict<String, Int>(name: "visits", configuration: configuration(in: CommandLine.arguments[2]))
    try visits.withLock { visits in
        let visit = visits["count", default: 0] + 1
        visits["count"] = visit
        visits["pid of visit \(visit)"] = Int(getpid())
    }
} else {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ultradict-durable-\(getpid())").path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    for _ in 0..<runs {
        let run = Process()
        run.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        run.arguments = ["--visit", directory]
        try run.run()
        run.waitUntilExit()
        guard run.terminationStatus == 0 else {
            FileHandle.standardError.write(Data("error: a run failed with status \(run.terminationStatus)\n".utf8))
            exit(1)
        }
    }
    // Every run has exited: what they wrote is in the files.
    let visits = try UltraDict<String, Int>(name: "visits", create: false, configuration: configuration(in: directory))
    for key in visits.keys.sorted() where key.hasPrefix("pid") { print("\(key): \(visits[key]!)") }
    print("Visits: \(visits["count"] ?? 0) == \(runs)")
    visits.unlink()
}
