import Foundation
import Testing
import UltraDict
import UltraDictTransport
import _UltraDictTestSupport

// What the command-line tests share: dictionaries made as Python and as a running program
// leave them, and the parsing of what the tool prints.

/// Makes in `fixture`'s store the dictionary `name` as Python UltraDict 0.0.6 leaves it with
/// `shared_lock=True`, `recurse` as given, and MessagePack: no fields of ours, and the record
/// `[True, "a", 1]` in a 1000-byte stream. Returns the stream position.
@discardableResult
func makePythonStyleDictionary(_ name: String, in fixture: StoreFixture, recurse: Bool = false) throws -> Int {
    var record: [UInt8] = []
    try MessagePackSerializer().encodeUpdate(.set("a", 1), into: &record)
    var control = [UInt8](repeating: 0, count: 1000)
    withUnsafeBytes(of: UInt32(6 + record.count).littleEndian) { control.replaceSubrange(0..<4, with: $0) }
    control[18] = UInt8(ascii: "1")
    if recurse { control[19] = UInt8(ascii: "1") }
    var stream = [0xFF] + withUnsafeBytes(of: UInt32(record.count).littleEndian, Array.init) + [0xFF] + record
    stream += [UInt8](repeating: 0, count: 1000 - stream.count)
    #expect(FileManager.default.createFile(atPath: "\(fixture.path)/\(name)", contents: Data(control)))
    #expect(FileManager.default.createFile(atPath: "\(fixture.path)/\(name)_memory", contents: Data(stream)))
    return 6 + record.count
}

/// Makes the dictionary `name` publish a full dump (of nothing) from this process, and returns
/// the dump segment's name; the handle is closed again, so this process maps nothing of it.
func publishFullDump(of name: String, in fixture: StoreFixture) throws -> String {
    let d = try UltraDict<UltraValue, UltraValue>(name: name, create: false, configuration: UltraDictConfiguration(store: fixture.store))
    try d.removeAll()
    return try #require(try d.status().fullDumpName)
}

/// Parses the JSON text that a command printed.
func parseJSON(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
}

/// A dictionary that a test helper process created and holds open, as a running program would.
final class HeldDictionary {
    /// The dictionary's name.
    let name: String
    private let helper: ChildProcess

    /// Starts a helper that creates `name` in `fixture`'s store with the serializer named
    /// `serializer` and sets the `entries`, given as key, value, key, value… (integers when they
    /// read as one).
    init(_ name: String, in fixture: StoreFixture, serializer: String = "msgpack", entries: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws {
        self.name = name
        helper = try fixture.helper(["hold", name] + entries + ["--serializer", serializer])
        #expect(helper.readLine() == "ready", "the helper could not create '\(name)'", sourceLocation: sourceLocation)
    }

    /// The helper's pid: the dictionary's creator.
    var pid: Int32 { helper.process.processIdentifier }

    /// Lets the helper close the dictionary, which unlinks it, and returns the helper's last line.
    @discardableResult
    func release(sourceLocation: SourceLocation = #_sourceLocation) -> String {
        helper.send("")
        let result = helper.finish()
        #expect(result.status == 0, "\(result.errors)", sourceLocation: sourceLocation)
        return result.lastLine
    }

    /// Kills the helper as a crash would: the dictionary's segments stay behind.
    func crash() {
        kill(pid, SIGKILL)  // Children of test threads inherit a mask that blocks SIGTERM and SIGINT.
        _ = helper.finish()
    }
}

/// Kills a child that has not finished after some seconds, so that a blocking read of its
/// output cannot hang the tests.
final class Watchdog: @unchecked Sendable {
    private let timer: DispatchSourceTimer

    init(_ child: ChildProcess, seconds: Int) {
        let pid = child.process.processIdentifier
        timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + .seconds(seconds))
        timer.setEventHandler { kill(pid, SIGKILL) }
        timer.resume()
    }

    /// Cancels the deadline.
    func stop() { timer.cancel() }
}
