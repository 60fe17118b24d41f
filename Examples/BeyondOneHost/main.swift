// Two processes count to 20,000 under the lock of one dictionary on a Redis server: the same
// `UltraDict` as in shared memory, with `store: .redis(url)` in its configuration. Processes on
// other hosts would share it the same way, each with the server's address.
//
//     ULTRADICT_REDIS_URL=redis://127.0.0.1:6379/0 swift run BeyondOneHost
//
// Without ULTRADICT_REDIS_URL it starts a redis-server of its own (apt install redis-server) on
// a free port, in a temporary directory that it removes at the end.
import Foundation
import UltraDict
import UltraDictRedis

let workers = 2
let incrementsPerWorker = 10_000

if CommandLine.arguments.count == 4, CommandLine.arguments[1] == "--worker" {
    // A worker attaches to the parent's dictionary by name, on the parent's server.
    let store = try UltraDictStore.redis(CommandLine.arguments[3])
    let shared = try UltraDict<String, Int>(name: CommandLine.arguments[2], create: false, configuration: UltraDictConfiguration(store: store))
    for _ in 0..<incrementsPerWorker {
        try shared.withLock { d in d["counter", default: 0] += 1 }
    }
} else {
    let server: any Server = try ProcessInfo.processInfo.environment["ULTRADICT_REDIS_URL"].map(ExternalServer.init) ?? LocalServer()
    defer { server.stop() }
    let shared = try UltraDict<String, Int>(configuration: UltraDictConfiguration(store: .redis(server.url)))
    defer { shared.unlink() }
    shared["counter"] = 0

    let started = ContinuousClock.now
    let children = try (0..<workers).map { _ in
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        child.arguments = ["--worker", shared.name, server.url]
        try child.run()
        return child
    }
    for child in children {
        child.waitUntilExit()
        if child.terminationReason != Process.TerminationReason.exit || child.terminationStatus != 0 {
            print("worker \(child.processIdentifier) failed with status \(child.terminationStatus)")
        }
    }
    let seconds = Double((ContinuousClock.now - started) / .milliseconds(1)) / 1000
    print("\(workers) processes × \(incrementsPerWorker) locked increments on \(server.url) in \(String(format: "%.2f", seconds)) s")
    print("Counter: \(shared["counter"] ?? 0) == \(workers * incrementsPerWorker)")
}
