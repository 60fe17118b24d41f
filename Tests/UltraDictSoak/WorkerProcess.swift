import Foundation

/// A worker started by the soak: this executable's `worker` subcommand, its output collected.
final class WorkerProcess: @unchecked Sendable {
    /// The slot it writes for.
    let slot: Int
    /// Its number among every worker process of the run.
    let incarnation: Int
    /// Whether the soak killed it.
    private(set) var killed = false

    private let process = Process()
    private let output = Pipe()
    private let drained = DispatchSemaphore(value: 0)
    private var text = Data()

    /// Starts `worker` with `arguments` after the subcommand's name.
    init(slot: Int, incarnation: Int, arguments: [String]) throws {
        self.slot = slot
        self.incarnation = incarnation
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["worker"] + arguments
        process.standardOutput = output
        try process.run()
        // Collect the output on a thread of its own, so that the worker never blocks on a full pipe.
        Thread { [self] in
            text = output.fileHandleForReading.readDataToEndOfFile()
            try? output.fileHandleForReading.close()
            drained.signal()
        }.start()
    }

    /// A name for messages.
    var label: String { "worker \(incarnation) (slot \(slot), pid \(process.processIdentifier))" }

    /// Whether it still runs.
    var isRunning: Bool { process.isRunning }

    /// Sends SIGKILL; returns whether it still ran (and so was killed).
    func kill() -> Bool {
        guard process.isRunning else { return false }
        killed = true
        return Foundation.kill(process.processIdentifier, SIGKILL) == 0
    }

    /// Waits for it to exit and its output to end; returns the lines it printed, and the signal
    /// that ended it, if one did.
    func finish() -> (lines: [String], signal: Int32?) {
        process.waitUntilExit()
        drained.wait()
        let lines = String(decoding: text, as: UTF8.self).split(separator: "\n").map(String.init)
        return (lines, process.terminationReason == .uncaughtSignal ? process.terminationStatus : nil)
    }
}
