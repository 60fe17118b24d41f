import Foundation

/// A `redis-server` of one test's own: on a random free loopback port (or only a Unix socket), in
/// a fresh scratch directory, without RDB snapshots. ``stop()``, ``kill()`` and ``restart()``
/// let a test take it away and bring it back; `deinit` kills it and deletes its directory, so
/// that nothing is left running or on disk even when the test fails.
package final class RedisServer {
    /// Why the server could not be started or stopped; the description ends with the log's tail.
    package struct Failure: Error, CustomStringConvertible {
        /// What went wrong.
        package let description: String
    }

    /// The directory holding the server's log, its append-only file and its socket.
    package let directory: ScratchDirectory
    /// The TCP port on 127.0.0.1, or 0 when the server listens on ``socketPath`` only.
    package private(set) var port = 0
    /// The Unix socket's path, when the server was asked for one instead of TCP.
    package let socketPath: String?
    /// How to reach the server: `redis://127.0.0.1:PORT` or `unix://PATH`.
    package var url: String { socketPath.map { "unix://\($0)" } ?? "redis://127.0.0.1:\(port)" }
    /// The server's log of its current run.
    package var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    private let arguments: [String]
    private var process: Process?
    private var logPath: String { directory.path + "/redis.log" }
    private var errorsPath: String { directory.path + "/redis.stderr" }

    /// Starts `redis-server` (found on `PATH`, else `/usr/bin/redis-server`) and waits until it
    /// accepts connections (at most 10 seconds). `appendOnly` turns on the append-only file,
    /// fsynced at every write, which ``restart()`` reloads; `unixSocket` listens on
    /// `DIRECTORY/redis.sock` instead of TCP; `arguments` adds options such as
    /// `["--requirepass", "secret"]`. A taken port is replaced by another random one.
    package init(appendOnly: Bool = false, unixSocket: Bool = false, arguments: [String] = []) throws {
        directory = try ScratchDirectory()
        socketPath = unixSocket ? directory.path + "/redis.sock" : nil
        self.arguments = ["--bind", "127.0.0.1", "--dir", directory.path, "--save", "", "--daemonize", "no",
                          "--appendonly", appendOnly ? "yes" : "no", "--appendfsync", "always", "--logfile", directory.path + "/redis.log"]
            + (socketPath.map { ["--unixsocket", $0, "--unixsocketperm", "700"] } ?? [])
            + arguments
        for attempt in 1...20 {
            port = unixSocket ? 0 : Int.random(in: 20000..<60000)
            do {
                try start()
                return
            } catch let failure as Failure where !unixSocket && attempt < 20 && failure.description.contains("Address already in use") {
                continue
            }
        }
    }

    deinit {
        kill()
        directory.remove()
    }

    /// Shuts the server down with `SIGTERM` and waits for it to exit.
    package func stop() {
        end(with: SIGTERM)
    }

    /// Kills the server with `SIGKILL`, as a crash would, and waits for it to exit.
    package func kill() {
        end(with: SIGKILL)
    }

    /// Starts the server again on the same port and in the same directory, so that it reloads
    /// its append-only file; kills it first if it still runs.
    package func restart() throws {
        kill()
        try start()
    }

    /// Starts the process and waits until its log says it is ready.
    private func start() throws {
        try? FileManager.default.removeItem(atPath: logPath)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.executable())
        process.arguments = ["--port", String(port)] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        // Before it opens its log, redis-server reports to standard error (a bad option, say).
        _ = FileManager.default.createFile(atPath: errorsPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: errorsPath)
        try process.run()
        self.process = process
        let deadline = ContinuousClock.now + .seconds(10)
        while !log.contains("Ready to accept connections") {
            if !process.isRunning {
                end(with: SIGKILL)
                throw Failure(description: "redis-server on port \(port) exited with status \(process.terminationStatus) before accepting connections: \(logTail)")
            }
            if ContinuousClock.now >= deadline {
                kill()
                throw Failure(description: "redis-server on port \(port) did not accept connections within 10 seconds: \(logTail)")
            }
            Thread.sleep(forTimeInterval: 0.005)
        }
    }

    /// Sends `signal` to the process, if it runs, and waits for it to exit.
    private func end(with signal: Int32) {
        guard let process else { return }
        if process.isRunning { Foundation.kill(process.processIdentifier, signal) }
        process.waitUntilExit()
        self.process = nil
    }

    /// The last lines of the log and standard error, for failure messages.
    private var logTail: String {
        let errors = (try? String(contentsOfFile: errorsPath, encoding: .utf8)) ?? ""
        let lines = (log + errors).split(separator: "\n").suffix(10)
        return lines.isEmpty ? "(nothing in its log)" : "its log ends with:\n" + lines.joined(separator: "\n")
    }

    /// The path of `redis-server`: the first on `PATH`, else `/usr/bin/redis-server`.
    private static func executable() throws -> String {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin"]
        guard let path = directories.map({ $0 + "/redis-server" }).first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw Failure(description: "redis-server not found on PATH nor in /usr/bin: run `bash .ci/install-deps`")
        }
        return path
    }
}
