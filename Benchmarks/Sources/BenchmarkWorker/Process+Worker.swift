import Foundation

extension Process {
    /// This executable again, with `arguments`, not yet launched: how `compare` starts its
    /// `increment` workers and `busy-writer` its `paced-writer`. With `namespace`, it runs inside
    /// that network namespace (`ip netns exec NAMESPACE`, as root); `ip` replaces itself with the
    /// executable, so the process is still this executable's.
    static func worker(_ arguments: [String], inNamespace namespace: String? = nil) throws -> Process {
        let process = Process()
        guard let namespace else {
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
            process.arguments = arguments
            return process
        }
        // Resolved here: in `ip`, /proc/self/exe would name `ip`.
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ip", "netns", "exec", namespace, executable] + arguments
        return process
    }

    /// Waits until the process has exited. Not `waitUntilExit()`: on Linux it polls its run loop
    /// every 50 ms, which would round a timed wait up by as much; a finer poll costs nothing
    /// measurable.
    func waitForExit() {
        while isRunning { usleep(100) }
    }
}
