// A Swift program and a Python script share one dictionary: each reads what the other wrote, and
// both increment one counter under the shared lock.
//
//     bash .ci/install-deps       # Python UltraDict 0.0.6 in .venv
//     swift run TwoLanguages
//
// Swift creates the dictionary (MessagePack and the shared spinlock, the defaults, which Python
// UltraDict 0.0.6 reads with `serializer=msgpack, shared_lock=True`) and starts
// `two_languages.py` with `.venv/bin/python`, passing the dictionary's name.
import Foundation
import UltraDict

let times = 10_000
let script = "Examples/TwoLanguages/two_languages.py"

/// Prints `message` on standard error and exits with status 1.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(1)
}

/// The repository's root: the first directory above this program (built in `.build` inside it)
/// or above this source file that holds the Python script.
func repositoryRoot() -> URL? {
    let starts = [Bundle.main.executableURL?.deletingLastPathComponent(), URL(fileURLWithPath: #filePath).deletingLastPathComponent()]
    for start in starts.compactMap({ $0 }) {
        var directory = start.resolvingSymlinksInPath()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent(script).path) { return directory }
            directory.deleteLastPathComponent()
        }
    }
    return nil
}

guard let root = repositoryRoot() else { fail("\(script) not found above \(CommandLine.arguments[0])") }
let python = root.appendingPathComponent(".venv/bin/python")
guard FileManager.default.isExecutableFile(atPath: python.path) else {
    fail("\(python.path) not found: run `bash .ci/install-deps` to install Python UltraDict 0.0.6")
}

// Heterogeneous values, as in Python; a random name, which the Python script gets as an argument.
let shared = try UltraDict<String, UltraValue>()
shared["greeting"] = "Hello from Swift"
shared["counter"] = 0

let child = Process()
child.executableURL = python
child.arguments = [root.appendingPathComponent(script).path, shared.name, String(times)]
try child.run()

for _ in 0..<times {
    // Read-modify-write is atomic only under the lock, which Python's `with d.lock:` takes too.
    // The timeout and the take-over matter only if the Python process died holding the lock.
    try shared.withLock(timeout: .seconds(10), stealAfterTimeout: true) { d in
        guard case .int(let counter)? = d["counter"] else { fail("counter is \(String(describing: d["counter"]))") }
        d["counter"] = .int(counter + 1)
    }
}

child.waitUntilExit()
guard child.terminationStatus == 0 else {
    shared.unlink()
    fail("the Python script exited with status \(child.terminationStatus)")
}
print("Swift read: \(shared["reply"] ?? nil) in \(shared["languages"] ?? nil)")
print("Counter: \(shared["counter"] ?? nil) == \(2 * times)")
shared.unlink()
