import Foundation
import PackagePlugin

/// `swift package ultradict …`: builds the `ultradict` tool and runs it with the same arguments,
/// so that `swift package ultradict list` is `ultradict list`.
///
/// The tool reads `/dev/shm` and `/proc`, which SwiftPM's plugin sandbox on macOS does not allow:
/// there, pass `--disable-sandbox` (`swift package --disable-sandbox ultradict list`). Linux has
/// no plugin sandbox.
///
/// SwiftPM reads a plugin's standard output through a pipe and prints it with its own buffered
/// `print`: into a pipe or a file (`… watch NAME | jq`) the lines would come only when SwiftPM
/// exits, and be lost on Ctrl-C. So on Linux the tool writes straight to SwiftPM's own standard
/// output (`/proc/PPID/fd/1`), line by line as it prints them; where that cannot be opened, it
/// inherits the plugin's. Ctrl-C ends the tool with SwiftPM (`.ci/check-plugin` checks both).
@main
struct UltraDictCommand: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        let tool = try context.tool(named: "ultradict")
        let process = Process()
        process.executableURL = tool.url
        process.arguments = arguments
        if let output = swiftPMStandardOutput() { process.standardOutput = output }
        // Before the tool starts, so that no interrupt falls between; passed on while it runs.
        let forwarders = forwardInterrupts(to: process)
        try process.run()
        process.waitUntilExit()
        forwarders.forEach { $0.cancel() }
        // The tool has printed its own one-line error; pass its exit status on.
        if process.terminationReason != .exit || process.terminationStatus != 0 {
            exit(process.terminationStatus)
        }
    }
}

/// SwiftPM's own standard output (the plugin's parent's descriptor 1), opened for appending, or
/// `nil` where it cannot be opened (another system, or a sandbox).
func swiftPMStandardOutput() -> FileHandle? {
    #if os(Linux)
    let descriptor = open("/proc/\(getppid())/fd/1", O_WRONLY | O_APPEND | O_CLOEXEC)
    return descriptor >= 0 ? FileHandle(fileDescriptor: descriptor, closeOnDealloc: true) : nil
    #else
    return nil
    #endif
}

/// Passes on to the tool, while it runs, the signals with which SwiftPM stops the plugin on
/// Ctrl-C: Foundation starts the tool in a process group of its own, which a terminal's Ctrl-C
/// does not reach, so without this a `watch` would outlive SwiftPM. One that comes before the
/// tool runs ends the plugin.
func forwardInterrupts(to tool: Process) -> [any DispatchSourceSignal] {
    [SIGINT, SIGTERM, SIGHUP].map { signalNumber in
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
        source.setEventHandler {
            guard tool.isRunning else { exit(128 + signalNumber) }
            kill(tool.processIdentifier, signalNumber)
        }
        source.resume()
        return source
    }
}
