import Foundation

/// A `BenchmarkWorker paced-writer` process (``PacedWriter``), driven through its standard input
/// and output; terminated if it is still running when this is released (on an error path).
final class WriterProcess {
    /// What the writer reports when it finishes.
    struct Report {
        /// The writes per second it achieved.
        var writesPerSecond: Double
        /// The share of its time it had a CPU (1 when nothing else wanted its CPU).
        var cpuShare: Double
    }

    private let process: Process
    private let input = Pipe()
    private let output = Pipe()

    /// Launches a writer of the dictionary `name` at `rate` for `seconds`, pinned to `cpu` when
    /// given, and returns once it has attached the dictionary.
    init(dictionary name: String, rate: WriteRate, seconds: Double, cpu: Int?) throws {
        process = try .worker(["paced-writer", name, rate.argument, String(seconds)] + (cpu.map { [String($0)] } ?? []))
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let line = try readLine()
        guard line == "ready" else { throw BenchmarkFailure("paced-writer said '\(line)' instead of 'ready'") }
    }

    deinit {
        guard process.isRunning else { return }
        process.terminate()
        process.waitForExit()
    }

    /// Tells the writer to start writing at `start`, a ``MonotonicClock`` reading.
    func start(at start: UInt64) throws {
        try input.fileHandleForWriting.write(contentsOf: Data("\(start)\n".utf8))
    }

    /// Waits for the writer to finish, and returns its report.
    func finish() throws -> Report {
        let line = try readLine()
        let report = line.split(separator: " ").compactMap { Double($0) }
        process.waitForExit()
        guard process.terminationStatus == 0, report.count == 3, report[1] > 0 else {
            throw BenchmarkFailure("paced-writer exited with status \(process.terminationStatus), reporting '\(line)'")
        }
        return Report(writesPerSecond: report[0] / report[1] * 1e9, cpuShare: report[2] / report[1])
    }

    /// The writer's next line of output, without its newline; throws if it closes its output first.
    private func readLine() throws -> String {
        var line: [UInt8] = []
        while let byte = try output.fileHandleForReading.read(upToCount: 1)?.first {
            if byte == UInt8(ascii: "\n") { return String(decoding: line, as: UTF8.self) }
            line.append(byte)
        }
        process.waitForExit()
        throw BenchmarkFailure("paced-writer exited with status \(process.terminationStatus) before it finished a line")
    }
}
