import Foundation
import UltraDict

// Writers for tests that take a host's link away: they go on after a failed write, and say what
// each write and read did.

/// partition-writer NAME PREFIX MILLISECONDS: says "ready", then writes d[PREFIX + I] = I for
/// I = 1, 2, … (String keys, Int values), one write every MILLISECONDS, until told to stop.
///
/// After each write it says "ack I AT" when the write returned, "error CODE TOOK AT" when it
/// threw (TOOK: how long the write took, AT: when it ended, both in milliseconds, AT on
/// CLOCK_MONOTONIC, which every process of the machine shares). A failed key is never written
/// again: its reply may have been lost after the server applied it, and a retry would apply it
/// twice.
///
/// On stdin, "status KEY" answers "status ERROR COUNT VALUE", read from another handle (the
/// replica): its `lastReadError`'s code or "none", its count, KEY's value or "none"; "stop" (or
/// the end of the input) ends the writes, and the writer says "done I" with the last I written.
func partitionWriter() throws {
    let writer = try attach(String.self, Int.self)
    let reader = try attach(String.self, Int.self)
    let (prefix, interval) = (rest[0], Double(integer(rest[1])) / 1000)
    let stop = StopSignal()
    Thread {
        while let line = readLine(), line != "stop" {
            let words = line.split(separator: " ").map(String.init)
            guard words.count == 2, words[0] == "status" else { fail("unknown request \(line)") }
            let value = reader[words[1]]
            say("status \(reader.lastReadError.map { "\($0.code)" } ?? "none") \(reader.count) \(value.map(String.init) ?? "none")")
        }
        stop.signal()
    }.start()
    say("ready")
    var (index, failedBefore) = (0, false)
    while !stop.isSignalled {
        index += 1
        let start = monotonicMilliseconds()
        do {
            try writer.updateValue(index, forKey: prefix + String(index))
            say("ack \(index) \(monotonicMilliseconds())")
        } catch let error as UltraDictError {
            let end = monotonicMilliseconds()
            say("error \(error.code) \(end - start) \(end)")
            // Only the first: the test reads standard error at the end, and a full pipe would block.
            if !failedBefore { FileHandle.standardError.write(Data("first error: \(error)\n".utf8)) }
            failedBefore = true
        }
        Thread.sleep(forTimeInterval: interval)
    }
    say("done \(index)")
}

/// A flag that one thread sets and another reads.
private final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var signalled = false
    func signal() { lock.withLock { signalled = true } }
    var isSignalled: Bool { lock.withLock { signalled } }
}

/// CLOCK_MONOTONIC in milliseconds: the same clock in every process of the machine.
func monotonicMilliseconds() -> Int {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Int(time.tv_sec) * 1000 + Int(time.tv_nsec) / 1_000_000
}

/// write-lines NAME: says "ready", then for each line "KEY VALUE" on stdin writes d[KEY] = VALUE
/// (String keys, Int values) and says "ack KEY VALUE" when the write returned, "error CODE TOOK"
/// when it threw (TOOK: how long it took, in milliseconds); ends with the input
func writeLines() throws {
    let d = try attach(String.self, Int.self)
    say("ready")
    while let line = readLine() {
        let words = line.split(separator: " ").map(String.init)
        guard words.count == 2 else { fail("not KEY VALUE: \(line)") }
        let start = monotonicMilliseconds()
        do {
            try d.updateValue(integer(words[1]), forKey: words[0])
            say("ack \(words[0]) \(words[1])")
        } catch let error as UltraDictError {
            say("error \(error.code) \(monotonicMilliseconds() - start)")
        }
    }
}
