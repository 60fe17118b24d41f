#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process started with `posix_spawn`, with every signal unblocked and at its default
/// action, whatever the spawning thread blocks.
///
/// Foundation's `Process` passes on the spawning thread's signal mask, and the threads that run
/// tests (libdispatch's workers) block most signals, `SIGTERM` included: a server started that
/// way never sees the `SIGTERM` meant to shut it down. ``wait(upTo:)`` reaps the child;
/// `deinit` kills and reaps it if it still runs.
package final class SpawnedProcess {
    /// The child's pid.
    package let pid: pid_t
    /// How the child ended, once it is known to have.
    private var ending: Ending?

    /// How a child ended: reaped here with its wait status, or by another waiter (`waitpid`
    /// answered `ECHILD`), its status unknown.
    private enum Ending {
        case status(Int32)
        case reapedElsewhere
    }

    /// Starts `path` with `arguments`, standard input and output on `/dev/null` and standard
    /// error appended to `standardError`.
    package init(_ path: String, _ arguments: [String], standardError: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, standardError, O_WRONLY | O_CREAT | O_APPEND, 0o600)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        guard result == 0 else { throw Failure(description: "posix_spawn \(path): \(String(cString: strerror(result)))") }
        self.pid = pid
    }

    deinit {
        if isRunning {
            kill(pid, SIGKILL)
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
        }
    }

    /// Whether the child still runs (`waitpid` with `WNOHANG`, which reaps it if it exited).
    ///
    /// A child that `waitpid` does not know (`ECHILD`: another waiter reaped it) has exited too:
    /// its pid may already be another process's, which must never get this child's signals.
    package var isRunning: Bool {
        guard ending == nil else { return false }
        var raw: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(pid, &raw, WNOHANG) } while result == -1 && errno == EINTR
        if result == pid {
            ending = .status(raw)
        } else if result == -1 && errno == ECHILD {
            ending = .reapedElsewhere
        }
        return ending == nil
    }

    /// The exit status, or 128 + the signal that killed it; -1 when another waiter reaped it
    /// (its status is unknown); `nil` while it runs.
    package var exitCode: Int32? {
        guard !isRunning, let ending else { return nil }
        guard case let .status(status) = ending else { return -1 }
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + status & 0x7f
    }

    /// Sends `signal` unless the child was reaped (by ``isRunning``, or by another waiter).
    package func send(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Waits until the child exits or `timeout` passes; returns whether it exited.
    package func wait(upTo timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while isRunning {
            guard ContinuousClock.now < deadline else { return false }
            usleep(2_000)
        }
        return true
    }

    /// Why a child could not be started.
    package struct Failure: Error, CustomStringConvertible {
        /// What went wrong.
        package let description: String
    }
}
