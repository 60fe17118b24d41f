// Five processes count to 100 together. The one that counts to 10 is killed (SIGKILL) while it
// holds the lock; the others take the lock over from the dead process and finish the count.
//
//     swift run RecoverFromStaleLock
//
// `withLock(timeout:stealAfterTimeout:)` waits at most one second for the lock. Then, if the
// owner is dead (no process has its pid, or that process is a zombie or started at another time
// than the owner), it takes the lock over; an owner that is alive is never robbed: the wait ends
// with `lockTimeout` instead, and the worker simply waits again.
import Foundation
import UltraDict

let target = 100
let workers = 5
let crashAt = 10

/// Prints a line at once, even into a pipe, so that a killed worker loses nothing it printed.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

if CommandLine.arguments.count == 3, CommandLine.arguments[1] == "--worker" {
    let shared = try UltraDict<String, Int>(name: CommandLine.arguments[2], create: false)
    let me = getpid()
    var finished = false
    while !finished {
        do {
            finished = try shared.withLock(timeout: .seconds(1), stealAfterTimeout: true) { d in
                let count = d["counter", default: 0]
                guard count < target else { return true }
                d["counter"] = count + 1
                say("pid \(me) counted \(count + 1)")
                if count + 1 == crashAt {
                    say("pid \(me) is killed while it holds the lock")
                    kill(me, SIGKILL)  // no cleanup at all: the lock stays held by a dead pid
                    sleep(10)
                }
                return false
            }
        } catch UltraDictError.lockTimeout {
            say("pid \(me) waited 1 s for a live owner; waiting again")
        }
    }
} else {
    let shared = try UltraDict<String, Int>()
    shared["counter"] = 0

    let children = try (0..<workers).map { _ in
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        child.arguments = ["--worker", shared.name]
        try child.run()
        return child
    }
    var killed = 0
    for child in children {
        child.waitUntilExit()
        switch (child.terminationReason, child.terminationStatus) {
        case (.exit, 0): break
        case (.uncaughtSignal, SIGKILL): killed += 1
        default:
            print("worker \(child.processIdentifier) failed with status \(child.terminationStatus)")
            exit(1)
        }
    }
    print("\(killed) worker killed while holding the lock; the others took it over")
    print("Counter: \(shared["counter"] ?? 0) == \(target)")
    shared.unlink()
}
