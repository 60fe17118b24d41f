import Foundation
import UltraDict

// Commands about being woken: a writer that writes when told, and a lock waiter that reports
// what its wait cost.

/// write-on-line NAME TIMES: says "ready", then TIMES times reads a line from stdin, writes
/// d["n"] = N (N = 1, 2, …) and says "written N"
func writeOnLine() throws {
    let d = try attach(String.self, Int.self)
    say("ready")
    for written in 1...integer(rest[0]) {
        _ = readLine()
        try d.updateValue(written, forKey: "n")
        say("written \(written)")
    }
}

/// wait-for-lock NAME MILLISECONDS: takes the lock with that timeout and says "acquired cpu
/// MICROSECONDS", the CPU time this process spent in the wait
func waitForLock() throws {
    let d = try attach(String.self, Int.self)
    let before = cpuTime()
    try d.withLock(timeout: .milliseconds(integer(rest[0]))) { _ in }
    say("acquired cpu \(cpuTime() - before)")
}

/// The CPU time (user and system) this process has used so far, in microseconds.
private func cpuTime() -> Int {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Int(time.tv_sec) * 1_000_000 + Int(time.tv_nsec) / 1000
}
