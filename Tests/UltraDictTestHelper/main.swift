// A small program that multi-process tests launch: each command opens a dictionary by name,
// does one thing, and prints its result on the last line of stdout.
import Foundation
import UltraDict

/// Prints a line at once (unbuffered), so that a test reading the pipe sees it.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func integer(_ text: String) -> Int {
    guard let value = Int(text) else { fail("not an integer: \(text)") }
    return value
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(2)
}

/// Options come after the positional arguments: `--serializer NAME`.
let (arguments, serializerName): ([String], String) = {
    var arguments = Array(CommandLine.arguments.dropFirst())
    guard let index = arguments.firstIndex(of: "--serializer"), index + 1 < arguments.count else { return (arguments, "msgpack") }
    let serializerName = arguments[index + 1]
    arguments.removeSubrange(index...(index + 1))
    return (arguments, serializerName)
}()
guard arguments.count >= 2 else { fail("usage: UltraDictTestHelper COMMAND NAME [ARGS...] [--serializer NAME]") }
let (command, name, rest) = (arguments[0], arguments[1], Array(arguments.dropFirst(2)))

/// Attaches the dictionary under test with the serializer named on the command line.
@MainActor
func attach<Key, Value>(_: Key.Type = Key.self, _: Value.Type = Value.self) throws -> UltraDict<Key, Value> {
    switch serializerName {
    case "msgpack": return try UltraDict(name: name, create: false, serializer: MessagePackSerializer())
    default: fail("unknown serializer \(serializerName)")
    }
}

do {
    switch command {
    case "write-range":  // write-range NAME START END: d[i] = i for i in START..<END
        let d = try attach(Int.self, Int.self)
        for key in integer(rest[0])..<integer(rest[1]) { try d.updateValue(key, forKey: key) }
        say("count \(d.count)")

    case "delete-range":  // delete-range NAME START END
        let d = try attach(Int.self, Int.self)
        for key in integer(rest[0])..<integer(rest[1]) { try d.removeValue(forKey: key) }
        say("count \(d.count)")

    case "count":  // count NAME
        let d = try attach(Int.self, Int.self)
        say("count \(d.count)")

    case "increment":  // increment NAME KEY TIMES: locked read-modify-write
        let d = try attach(String.self, Int.self)
        for _ in 0..<integer(rest[1]) {
            try d.withLock { d in d[rest[0], default: 0] += 1 }
        }
        say("value \(try d.value(forKey: rest[0]) ?? 0)")

    case "string-length":  // string-length NAME KEY: length of a string value
        let d = try attach(String.self, String.self)
        say("length \(try d.value(forKey: rest[0])?.utf8.count ?? -1)")

    case "lagging-reader":  // lagging-reader NAME: reads, waits for a line on stdin, reads again
        let d = try attach(String.self, Int.self)
        say("before \(d["value"] ?? -1)")
        _ = readLine()
        let status = try d.status()
        say("after \(try d.value(forKey: "value") ?? -1) dumps \(status.fullDumpCounter)")

    default:
        fail("unknown command \(command)")
    }
} catch {
    fail("\(error)")
}
