import Foundation

extension Process {
    /// This executable again, with `arguments`, not yet launched: how `compare` starts its
    /// `increment` workers and `busy-writer` its `paced-writer`.
    static func worker(_ arguments: [String]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = arguments
        return process
    }

    /// Waits until the process has exited. Not `waitUntilExit()`: on Linux it polls its run loop
    /// every 50 ms, which would round a timed wait up by as much; a finer poll costs nothing
    /// measurable.
    func waitForExit() {
        while isRunning { usleep(100) }
    }
}
