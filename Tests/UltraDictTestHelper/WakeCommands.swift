import Foundation
import UltraDict
import UltraDictTransport  // the stream, to publish without waking

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

/// publish-and-die NAME KEY VALUE: under the lock, publishes the record `KEY = VALUE` as a writer
/// does, then kills itself (SIGKILL) before waking anyone: what a writer killed between its
/// publication and its wake-up leaves behind, the lock still recorded as its own.
func publishAndDie() throws {
    let d = try attach(String.self, Int.self)
    let log = try UpdateLog.attach(name: options.name)
    var record: [UInt8] = []
    try d.configuration.serializer.encodeUpdate(.set(.string(rest[0]), .int(Int64(integer(rest[1])))), into: &record)
    try d.withLock { _ in
        let start = Int(log.control.streamPosition)
        guard start + Frame.headerSize + record.count <= log.stream.size else { fail("no room in the stream") }
        record.withUnsafeBytes { log.stream.base.advanced(by: start + Frame.headerSize).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        Frame.writeHeader(length: UInt32(record.count), at: log.stream.base + start)
        log.control.publishStreamPosition(UInt32(start + Frame.headerSize + record.count))
        say("published")
        kill(getpid(), SIGKILL)
    }
}
