import ArgumentParser
import Foundation
import UltraDict

/// The `ultradict` command: look inside the shared dictionaries of this machine, change them, and
/// clean up after crashed processes.
@main
struct UltraDictTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ultradict",
        abstract: "Inspect, edit and clean up UltraDict shared dictionaries (Swift's and Python's).",
        discussion: """
            Data goes to standard output as JSON (bytes as {"$bytes": "<base64>"}). On failure the \
            command prints one line 'error: …' to standard error and exits with 1 when the \
            dictionary or key does not exist, 2 for any other failure, 64 for a usage error. \
            Every command works on POSIX shared memory (/dev/shm), or with --directory DIR on the \
            dictionaries stored as files in DIR, or with --redis URL on those of a Redis server.
            """,
        subcommands: [
            ListCommand.self, StatusCommand.self, GetCommand.self, SetCommand.self, DeleteCommand.self, DumpCommand.self,
            WatchCommand.self, UnlinkCommand.self, CleanCommand.self,
        ]
    )

    /// Runs the command, reporting a failure as one `error: …` line and its exit status.
    static func main() {
        unblockSignals()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as ToolError {
            fail(error.message, status: error.status)
        } catch let error as UltraDictError {
            fail(describe(error), status: ToolError.failureStatus)
        } catch where exitCode(for: error) == .success {
            exit(withError: error)  // --help, --version: printed to stdout
        } catch {
            fail(message(for: error), status: exitCode(for: error).rawValue)
        }
    }

    /// Lets every signal through, so that Ctrl-C and `kill` end the tool: a process started from a
    /// thread that blocks signals inherits that mask, as the tool does when SwiftPM's command
    /// plugin or a Swift program's `Process` starts it, and would then outlive its caller.
    private static func unblockSignals() {
        var none = sigset_t()
        sigemptyset(&none)
        sigprocmask(SIG_SETMASK, &none, nil)
    }

    private static func fail(_ message: String, status: Int32) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        Foundation.exit(status)
    }
}

/// A failure the tool reports as one `error: …` line, with the exit status the help documents.
struct ToolError: Error {
    /// The exit status of a dictionary or key that does not exist.
    static let notFoundStatus: Int32 = 1
    /// The exit status of any other failure.
    static let failureStatus: Int32 = 2

    /// What went wrong, for the `error: …` line.
    var message: String
    /// The exit status.
    var status: Int32

    /// A dictionary or key that does not exist (exit status 1).
    static func notFound(_ message: String) -> ToolError { ToolError(message: message, status: notFoundStatus) }

    /// Any other failure (exit status 2).
    static func failure(_ message: String) -> ToolError { ToolError(message: message, status: failureStatus) }
}

/// Writes `line` and a newline to standard output at once (unbuffered), so that a reader of a
/// pipe sees each line as it is printed.
func printLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Prints `value` as one line of JSON.
func printJSON(_ value: JSON) {
    printLine(value.text)
}

/// An error as one line for a person: an ``UltraDictError``'s message and cause without its type
/// name, a ``ToolError``'s message.
func describe(_ error: any Error) -> String {
    switch error {
    case let error as ToolError: error.message
    case let error as UltraDictError: error.underlying.map { "\(error.message) (\($0))" } ?? error.message
    default: "\(error)"
    }
}

/// Prints `message` as one line `warning: …` on standard error.
func warn(_ message: String) {
    FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
}

/// Prints `message` as one line `note: …` on standard error: what a command did not do, and why.
func note(_ message: String) {
    FileHandle.standardError.write(Data("note: \(message)\n".utf8))
}
