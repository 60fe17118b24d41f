// Four processes add 25,000 each to one counter, under the dictionary's lock.
//
//     swift run -c release Parallel
//
// The parent creates the dictionary under a random name and starts this same program four times
// as a worker, passing the name. `withLock` makes each read-modify-write atomic across processes
// (the shared spinlock is the default lock); without it, increments would be lost.
import Foundation
import UltraDict

let workers = 4
let incrementsPerWorker = 25_000

if CommandLine.arguments.count == 3, CommandLine.arguments[1] == "--worker" {
    // A worker attaches to the parent's dictionary by name.
    let shared = try UltraDict<String, Int>(name: CommandLine.arguments[2], create: false)
    for _ in 0..<incrementsPerWorker {
        try shared.withLock { d in d["counter", default: 0] += 1 }
    }
} else {
    // No name: a new dictionary with a random one, which the workers attach by.
    let shared = try UltraDict<String, Int>()
    shared["counter"] = 0

    let started = ContinuousClock.now
    let children = try (0..<workers).map { _ in
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        child.arguments = ["--worker", shared.name]
        try child.run()
        return child
    }
    for child in children {
        child.waitUntilExit()
        guard child.terminationReason == .exit, child.terminationStatus == 0 else {
            print("worker \(child.processIdentifier) failed with status \(child.terminationStatus)")
            exit(1)
        }
    }
    let seconds = Double((ContinuousClock.now - started) / .milliseconds(1)) / 1000
    print("\(workers) processes × \(incrementsPerWorker) increments in \(String(format: "%.2f", seconds)) s")
    print("Counter: \(shared["counter"] ?? 0) == \(workers * incrementsPerWorker)")
    shared.unlink()
}
