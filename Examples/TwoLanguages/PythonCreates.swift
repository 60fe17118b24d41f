import Foundation
import UltraDict
import UltraDictPickle

/// `python_defaults.py` creates the dictionary with Python UltraDict's defaults, pickle among
/// them, and `shared_lock=True`; Swift attaches with `PickleSerializer` and the shared spinlock,
/// and both count to `2 * times` under the lock.
func pythonCreatesWithItsDefaults() throws {
    let name = "two_languages_\(UInt32.random(in: .min ... .max))"
    let output = Pipe(), input = Pipe()
    let child = try startPython("python_defaults.py", [name, String(times)], output: output, input: input)
    let lines = LineReader(output.fileHandleForReading)
    guard lines.next() == "ready" else { fail("the Python script did not create '\(name)'") }

    let shared = try UltraDict<String, UltraValue>(name: name, create: false, serializer: PickleSerializer())
    print("Swift read: \(shared["greeting"] ?? nil), hosts \(shared["hosts"] ?? nil), limits \(shared["limits"] ?? nil)")
    for _ in 0..<times {
        try shared.withLock(timeout: .seconds(10), stealAfterTimeout: true) { d in
            guard case .int(let counter)? = d["counter"] else { fail("counter is \(String(describing: d["counter"]))") }
            d["counter"] = .int(counter + 1)
        }
    }
    shared["reply"] = "Hello from Swift"
    guard lines.next() == "counted" else { fail("the Python script did not count") }
    let counter = shared["counter"] ?? nil
    input.fileHandleForWriting.write(Data("done\n".utf8))
    if let reply = lines.next() { print(reply) }
    child.waitUntilExit()
    guard child.terminationStatus == 0 else { fail("the Python script exited with status \(child.terminationStatus)") }
    print("Counter: \(counter) == \(2 * times)")
}

/// The lines a child process prints, one at a time.
final class LineReader {
    private let handle: FileHandle
    private var buffer = Data()

    init(_ handle: FileHandle) { self.handle = handle }

    /// The next line without its newline; `nil` at the end of the output.
    func next() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                return line
            }
            let chunk = handle.availableData
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
        }
    }
}
