import Foundation
import Testing
import UltraDict
import UltraDictJSON
import UltraDictPropertyList
import _UltraDictSerializerRegistry
import _UltraDictTestSupport

/// The directory holding the test bundle and the executables built beside it.
let productsDirectory: URL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()

/// A process started from a product built with the tests.
final class ChildProcess {
    let process = Process()
    private let output = Pipe()
    private let errors = Pipe()
    private let input = Pipe()

    /// Starts `product` with `arguments`; inside the network namespace `namespace` when given
    /// (`ip netns exec`, which becomes the product's process: ``process`` is the product's).
    init(_ product: String, _ arguments: [String], inNamespace namespace: String? = nil) throws {
        let command = try (namespace.map(NetworkHosts.prefix(in:)) ?? []) + [productsDirectory.appendingPathComponent(product).path] + arguments
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input
        try process.run()
    }

    /// The read end of the child's standard output, for a thread that reads it as it comes
    /// (``readLine()`` and ``finish()`` read the same pipe).
    var standardOutput: FileHandle { output.fileHandleForReading }

    /// Reads one line of the child's output (blocking).
    func readLine() -> String {
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { return String(decoding: line, as: UTF8.self) }
            line.append(byte)
        }
    }

    /// Sends one line to the child's standard input.
    func send(_ line: String) {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    /// Waits for the child to exit and returns its status and the last line it printed.
    func finish() -> (status: Int32, lastLine: String, errors: String) {
        let result = finishWithOutput()
        return (result.status, result.lines.last ?? "", result.errors)
    }

    /// Waits for the child to exit and returns its status and every line it printed.
    func finishWithOutput() -> (status: Int32, lines: [String], errors: String) {
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = String(decoding: stdout, as: UTF8.self).split(separator: "\n").map(String.init)
        return (process.terminationStatus, lines, String(decoding: stderr, as: UTF8.self))
    }
}

/// The serializers every multi-process test runs with, by the names the test helper takes.
let serializerNames = SerializerRegistry.identifiers

/// Reads the "holding PID" line of a helper that holds the lock and returns the pid.
func holdingPID(of helper: ChildProcess, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int32 {
    let line = helper.readLine()
    return try #require(line.hasPrefix("holding ") ? Int32(line.dropFirst("holding ".count)) : nil, "helper said \(line.debugDescription)", sourceLocation: sourceLocation)
}
