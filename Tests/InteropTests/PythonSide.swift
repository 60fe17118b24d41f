import Foundation
import Testing

/// Why an interop test could not go on: a child process failed, answered wrongly, or hung.
struct InteropFailure: Error, CustomStringConvertible {
    /// What went wrong, with the child's own words.
    let description: String

    /// A failure described by `description`.
    init(_ description: String) { self.description = description }
}

/// Where the Python side lives: the virtual environment `.ci/install-deps` makes at the
/// repository's root, and the scripts beside this file.
enum PythonSide {
    /// The repository's root, three levels above this file.
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// `.venv/bin/python`.
    static let python = repositoryRoot.appendingPathComponent(".venv/bin/python")
    /// `Tests/InteropTests/Python`.
    static let scripts = repositoryRoot.appendingPathComponent("Tests/InteropTests/Python")

    /// Starts `.venv/bin/python` with `arguments`; a missing interpreter fails the test (never skips it).
    static func start(_ arguments: [String]) throws -> LineProcess {
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw InteropFailure("\(python.path) not found: run `bash .ci/install-deps` to install the Python side")
        }
        // No __pycache__ in the source tree.
        return try LineProcess(python, arguments, environment: ["PYTHONDONTWRITEBYTECODE": "1"])
    }
}

/// A child process spoken to line by line: commands on its standard input, one answer per line
/// on its standard output. Standard error is collected while it runs.
final class LineProcess: @unchecked Sendable {
    /// The running process.
    let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let errors = Pipe()
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var pending = Data()
    private var lines: [String] = []
    private var outputClosed = false
    private var errorsClosed = false
    private var errorText = Data()

    /// Starts `executable` with `arguments`; `environment` adds to this process's. The output
    /// handlers keep the object alive until the process closes its output.
    init(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        output.fileHandleForReading.readabilityHandler = { handle in self.received(handle.availableData) }
        errors.fileHandleForReading.readabilityHandler = { handle in self.receivedError(handle.availableData) }
        try process.run()
    }

    private func received(_ data: Data) {
        condition.withLock {
            if data.isEmpty {
                outputClosed = true
                output.fileHandleForReading.readabilityHandler = nil
            }
            pending.append(data)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                lines.append(String(decoding: pending[..<newline], as: UTF8.self))
                pending.removeSubrange(...newline)
            }
            condition.broadcast()
        }
    }

    private func receivedError(_ data: Data) {
        condition.withLock {
            if data.isEmpty {
                errorsClosed = true
                errors.fileHandleForReading.readabilityHandler = nil
            }
            errorText.append(data)
            condition.broadcast()
        }
    }

    /// What the process wrote to standard error so far.
    var errorOutput: String { condition.withLock { String(decoding: errorText, as: UTF8.self) } }

    /// The next line of output; throws if none comes within `timeout` or the output ends.
    func readLine(timeout: Duration = .seconds(120)) throws -> String {
        let (seconds, attoseconds) = timeout.components
        let deadline = Date().addingTimeInterval(Double(seconds) + Double(attoseconds) / 1e18)
        let line: String? = condition.withLock {
            while lines.isEmpty && !outputClosed && condition.wait(until: deadline) {}
            return lines.isEmpty ? nil : lines.removeFirst()
        }
        guard let line else {
            let reason = condition.withLock { outputClosed } ? "ended its output" : "printed nothing for \(timeout)"
            throw InteropFailure("\(self) \(reason); its errors: \(errorOutput)")
        }
        return line
    }

    /// Sends one line to the process's standard input.
    func send(_ line: String) {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    /// Waits for the process to exit and returns its status. Then waits (up to 10 s) until its
    /// output and errors are closed, so that ``errorOutput`` holds all it wrote, a Python
    /// `resource_tracker`'s last words included.
    func waitForExit() -> Int32 {
        process.waitUntilExit()
        let deadline = Date().addingTimeInterval(10)
        condition.withLock {
            while !(outputClosed && errorsClosed) && condition.wait(until: deadline) {}
        }
        return process.terminationStatus
    }

    /// Sends `signal` to the process.
    func kill(_ signal: Int32 = SIGKILL) {
        if process.isRunning { Foundation.kill(process.processIdentifier, signal) }
    }
}

extension LineProcess: CustomStringConvertible {
    /// The command line, for error messages.
    var description: String {
        "\(process.executableURL?.lastPathComponent ?? "?") \((process.arguments ?? []).joined(separator: " "))"
    }
}
