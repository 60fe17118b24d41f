// A Swift program and a Python script share one dictionary: each reads what the other wrote, and
// both increment one counter under the shared lock.
//
//     bash .ci/install-deps               # Python UltraDict 0.0.6 in .venv
//     swift run TwoLanguages              # Swift creates it, with MessagePack
//     swift run TwoLanguages --pickle     # Python creates it, with its defaults (pickle)
//
// Without an argument Swift creates the dictionary (MessagePack and the shared spinlock, the
// defaults, which Python UltraDict 0.0.6 reads with `serializer=msgpack, shared_lock=True`) and
// starts `two_languages.py` (SwiftCreates.swift). With `--pickle`, `python_defaults.py` creates it
// with Python UltraDict's defaults, pickle among them, and `shared_lock=True`, and Swift attaches
// with `PickleSerializer` (PythonCreates.swift).
import Foundation
import UltraDict

let times = 10_000
let scripts = "Examples/TwoLanguages"

/// Prints `message` on standard error and exits with status 1.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(1)
}

/// The repository's root: the first directory above this program (built in `.build` inside it)
/// or above this source file that holds the Python scripts.
func repositoryRoot() -> URL? {
    let starts = [Bundle.main.executableURL?.deletingLastPathComponent(), URL(fileURLWithPath: #filePath).deletingLastPathComponent()]
    for start in starts.compactMap({ $0 }) {
        var directory = start.resolvingSymlinksInPath()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent(scripts + "/two_languages.py").path) { return directory }
            directory.deleteLastPathComponent()
        }
    }
    return nil
}

let root: URL = {
    guard let root = repositoryRoot() else { fail("\(scripts) not found above \(CommandLine.arguments[0])") }
    return root
}()
let python = root.appendingPathComponent(".venv/bin/python")
guard FileManager.default.isExecutableFile(atPath: python.path) else {
    fail("\(python.path) not found: run `bash .ci/install-deps` to install Python UltraDict 0.0.6")
}

/// A Python process running `script` (in `Examples/TwoLanguages`) with `arguments`.
func startPython(_ script: String, _ arguments: [String], output: Pipe? = nil, input: Pipe? = nil) throws -> Process {
    let child = Process()
    child.executableURL = python
    child.arguments = [root.appendingPathComponent(scripts + "/" + script).path] + arguments
    if let output { child.standardOutput = output }
    if let input { child.standardInput = input }
    try child.run()
    return child
}

if CommandLine.arguments.dropFirst().first == "--pickle" {
    try pythonCreatesWithItsDefaults()
} else {
    try swiftCreates()
}
