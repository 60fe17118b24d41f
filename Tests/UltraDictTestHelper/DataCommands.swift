import Foundation
import UltraDict

// Commands that write and read entries: each attaches the dictionary under test, or creates it.

/// write-range NAME START END: d[i] = i for i in START..<END
func writeRange() throws {
    let d = try attach(Int.self, Int.self)
    for key in integer(rest[0])..<integer(rest[1]) { try d.updateValue(key, forKey: key) }
    say("count \(d.count)")
}

/// ack-writer NAME START KEYS: d[START + i % KEYS] = i for i = 1, 2, ..., saying "ack KEY VALUE"
/// after each write returned, until killed
func ackWriter() throws {
    let d = try attach(Int.self, Int.self)
    let (start, keys) = (integer(rest[0]), integer(rest[1]))
    for value in 1... {
        let key = start + value % keys
        try d.updateValue(value, forKey: key)
        say("ack \(key) \(value)")
    }
}

/// delete-range NAME START END
func deleteRange() throws {
    let d = try attach(Int.self, Int.self)
    for key in integer(rest[0])..<integer(rest[1]) { try d.removeValue(forKey: key) }
    say("count \(d.count)")
}

/// count NAME
func count() throws {
    let d = try attach(Int.self, Int.self)
    say("count \(d.count)")
}

/// create NAME [FULLDUMPSIZE]: creates NAME (Int keys and values), with a static full dump of
/// that size if given, which stays when the helper exits (autoUnlink false)
func create() throws {
    var configuration = options.configuration(keyType: Int.self)
    configuration.fullDumpSize = rest.first.map(integer)
    configuration.autoUnlink = false
    _ = try UltraDict<Int, Int>(name: options.name, create: true, configuration: configuration)
    say("created")
}

/// dump-all NAME: one line "KEY=VALUE" per entry (Int keys and values), by key, then
/// "count N dumps M" (M: the full dumps published so far)
func dumpAll() throws {
    let d = try attach(Int.self, Int.self)
    let entries = d.snapshot
    for key in entries.keys.sorted() { say("\(key)=\(entries[key]!)") }
    say("count \(entries.count) dumps \(try d.status().fullDumpCounter)")
}

/// increment NAME KEY TIMES: locked read-modify-write
func increment() throws {
    let d = try attach(String.self, Int.self)
    for _ in 0..<integer(rest[1]) {
        try d.withLock { d in d[rest[0], default: 0] += 1 }
    }
    say("value \(try d.value(forKey: rest[0]) ?? 0)")
}

/// string-length NAME KEY: length of a string value
func stringLength() throws {
    let d = try attach(String.self, String.self)
    say("length \(try d.value(forKey: rest[0])?.utf8.count ?? -1)")
}

/// lagging-reader NAME: reads, waits for a line on stdin, reads again
func laggingReader() throws {
    let d = try attach(String.self, Int.self)
    say("before \(d["value"] ?? -1)")
    _ = readLine()
    let status = try d.status()
    say("after \(try d.value(forKey: "value") ?? -1) dumps \(status.fullDumpCounter)")
}
