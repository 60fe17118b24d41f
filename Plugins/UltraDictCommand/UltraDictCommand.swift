import Foundation
import PackagePlugin

/// `swift package ultradict …`: builds the `ultradict` tool and runs it with the same arguments,
/// so that `swift package ultradict list` is `ultradict list`.
///
/// The tool reads `/dev/shm` and `/proc`, which SwiftPM's plugin sandbox on macOS does not allow:
/// there, pass `--disable-sandbox` (`swift package --disable-sandbox ultradict list`). Linux has
/// no plugin sandbox.
///
/// The tool inherits the plugin's standard output, which SwiftPM reads through a pipe and prints
/// line by line with its own buffered `print`: the tool writes each line at once, but SwiftPM
/// passes lines on at once only to a terminal. Into a pipe or a file (`… watch NAME | jq`), and to
/// keep every line on Ctrl-C, run the built tool instead (`swift build --product ultradict`).
@main
struct UltraDictCommand: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        let tool = try context.tool(named: "ultradict")
        let process = Process()
        process.executableURL = tool.url
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        // The tool has printed its own one-line error; pass its exit status on.
        if process.terminationReason != .exit || process.terminationStatus != 0 {
            exit(process.terminationStatus)
        }
    }
}
