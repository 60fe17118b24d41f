import Foundation
import UltraDict

// A writer publishing full dumps as fast as it can, and readers that check every state they see.

/// The value monotonic-writer stores under "derived" beside `counter`, so that a torn read shows.
func derived(from counter: Int) -> Int { 3 * counter + 1 }

/// monotonic-writer NAME MILLISECONDS DUMPS: counter += 1, then derived, for at least that long
/// and until it published DUMPS full dumps (for 60 seconds at the most); then done = 1
func monotonicWriter() throws {
    let d = try attach(String.self, Int.self)
    let dumpsBefore = try d.status().fullDumpCounter
    let start = ContinuousClock.now
    let (minimum, dumps) = (start + .milliseconds(integer(rest[0])), integer(rest[1]))
    var counter = try d.value(forKey: "counter") ?? 0
    /// Past the minimum with the dumps published, or past the limit; checked every 64 writes.
    func done() throws -> Bool {
        let now = ContinuousClock.now
        if now >= start + .seconds(60) { return true }
        guard now >= minimum else { return false }
        return try d.status().fullDumpCounter - dumpsBefore >= dumps
    }
    while try counter % 64 != 0 || !done() {
        counter += 1
        try d.updateValue(counter, forKey: "counter")
        try d.updateValue(derived(from: counter), forKey: "derived")
    }
    try d.updateValue(1, forKey: "done")
    say("writes \(counter) dumps \(try d.status().fullDumpCounter - dumpsBefore)")
}

/// monotonic-reader NAME: says "ready", then reads until done is set, checking every read
///
/// A read sees counter c with derived(c), or derived(c - 1) between the writer's two
/// records; anything else is a torn read, and a counter below the last one a backward read.
/// An absent key reads as its value before the first write: counter 0, derived(0).
/// Random pauses, now and then of tens of milliseconds, make it lag across many dumps.
func monotonicReader() throws {
    let d = try attach(String.self, Int.self)
    d.logger.logLevel = .error  // falling behind is the point; its warnings would fill the stderr pipe
    say("ready")
    var (reads, violations, errors, lastCounter, maxLag) = (0, 0, 0, Int.min, 0)
    let firstDump = try d.status().appliedCursor.counter
    var lastDump = firstDump
    while true {
        do {
            try d.applyUpdates()
        } catch {
            errors += 1
            if errors == 1 { FileHandle.standardError.write(Data("read failed: \(error)\n".utf8)) }
            continue
        }
        let entries = d.snapshot
        let dump = try d.status().appliedCursor.counter
        reads += 1
        maxLag = max(maxLag, Int(dump &- lastDump))
        lastDump = dump
        let counter = entries["counter"] ?? 0
        if counter < lastCounter || ![derived(from: counter), derived(from: counter - 1)].contains(entries["derived"] ?? derived(from: 0)) {
            violations += 1
            FileHandle.standardError.write(Data("violation after counter \(lastCounter): \(entries)\n".utf8))
        }
        lastCounter = max(lastCounter, counter)
        if entries["done"] != nil { break }
        switch UInt32.random(in: 0..<100) {
        case 0..<60: break
        case 60..<97: usleep(UInt32.random(in: 0..<500))
        default: usleep(UInt32.random(in: 0..<30_000))
        }
    }
    say("reads \(reads) dumps \(lastDump &- firstDump) maxlag \(maxLag) violations \(violations) errors \(errors)")
}
