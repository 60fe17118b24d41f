import Foundation
import Testing

/// A `redis-server` of one test's own: on a random free loopback port (or only a Unix socket), in
/// a fresh scratch directory, without RDB snapshots; or inside a network namespace of
/// ``NetworkHosts``, on its addresses there. ``stop()``, ``kill()`` and ``restart()``
/// let a test take it away and bring it back; `deinit` kills it and deletes its directory, so
/// that nothing is left running or on disk even when the test fails, and records an issue with
/// the log's tail when the server had exited without being asked to.
package final class RedisServer {
    /// Why the server could not be started or stopped; the description ends with the log's tail.
    package struct Failure: Error, CustomStringConvertible {
        /// What went wrong.
        package let description: String
    }

    /// The directory holding the server's log, its append-only file and its socket.
    package let directory: ScratchDirectory
    /// The TCP port on ``bindAddresses``, or 0 when the server listens on ``socketPath`` only.
    package private(set) var port = 0
    /// The addresses the server listens on with TCP; none when only on ``socketPath``.
    package let bindAddresses: [String]
    /// The network namespace the server runs in, or `nil` for the test's own.
    package let namespace: String?
    /// The Unix socket's path, when the server was asked for one.
    package let socketPath: String?
    /// How to reach the server: `unix://PATH` when it has a socket, else `redis://ADDRESS:PORT`
    /// on its first address (`redis://127.0.0.1:PORT` by default).
    package var url: String { socketPath.map { "unix://\($0)" } ?? url(at: bindAddresses[0]) }
    /// The server's log of its current run.
    package var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
    /// When the server exited without ``stop()`` or ``kill()``: its pid, status and log's tail,
    /// which `deinit` records as an issue; `nil` while it runs.
    package var unaskedExit: String? {
        guard let process, let code = process.exitCode else { return nil }
        return "redis-server on port \(port) (pid \(process.pid)) exited by itself with status \(code) while the test used it: \(logTail)"
    }

    private let arguments: [String]
    private var process: SpawnedProcess?
    private var logPath: String { directory.path + "/redis.log" }
    private var errorsPath: String { directory.path + "/redis.stderr" }

    /// Starts `redis-server` (found on `PATH`, else `/usr/bin/redis-server`) and waits until it
    /// accepts connections (at most 10 seconds). `appendOnly` turns on the append-only file,
    /// fsynced at every write, which ``restart()`` reloads; `unixSocket` listens on
    /// `DIRECTORY/redis.sock`, instead of TCP unless `bindAddresses` are given too; `arguments`
    /// adds options such as `["--requirepass", "secret"]`. A taken port is replaced by another
    /// random one.
    ///
    /// With `namespace`, the server runs inside that network namespace (`ip netns exec`, as
    /// root), listening on `bindAddresses` there (by default its own 127.0.0.1, which only its
    /// namespace reaches), without protected mode, so that other namespaces' clients may connect
    /// without a password; a Unix socket is reachable from every namespace, since the file
    /// system is shared.
    package init(appendOnly: Bool = false, unixSocket: Bool = false, namespace: String? = nil, bindAddresses: [String]? = nil,
                 arguments: [String] = []) throws {
        directory = try ScratchDirectory()
        socketPath = unixSocket ? directory.path + "/redis.sock" : nil
        self.namespace = namespace
        self.bindAddresses = bindAddresses ?? (unixSocket ? [] : ["127.0.0.1"])
        let listensOnTCP = !self.bindAddresses.isEmpty
        self.arguments = ["--bind"] + (listensOnTCP ? self.bindAddresses : ["127.0.0.1"])
            + ["--dir", directory.path, "--save", "", "--daemonize", "no",
               "--appendonly", appendOnly ? "yes" : "no", "--appendfsync", "always", "--logfile", directory.path + "/redis.log"]
            + (socketPath.map { ["--unixsocket", $0, "--unixsocketperm", "700"] } ?? [])
            // Without a password, protected mode refuses every client but the loopback's; in a
            // namespace of its own, only the test's hosts reach the server.
            + (namespace == nil ? [] : ["--protected-mode", "no"])
            + arguments
        do {
            for attempt in 1...20 {
                port = listensOnTCP ? Self.unusedPort() : 0
                do {
                    try start()
                    return
                } catch let failure as Failure where listensOnTCP && attempt < 20 && failure.description.contains("Address already in use") {
                    continue
                }
            }
        } catch {
            directory.remove()
            throw error
        }
    }

    deinit {
        if let report = unaskedExit {
            FileHandle.standardError.write(Data((report + "\n").utf8))
            Issue.record(Comment(rawValue: report))
        }
        kill()
        directory.remove()
    }

    /// `redis://ADDRESS:PORT`: how to reach the server on `address`, one of ``bindAddresses``.
    package func url(at address: String) -> String { "redis://\(address):\(port)" }

    /// Shuts the server down with `SIGTERM` and waits for it to exit (after 10 seconds, kills it).
    package func stop() {
        guard let process else { return }
        process.send(SIGTERM)
        if !process.wait(upTo: .seconds(10)) { kill() }
        self.process = nil
    }

    /// Kills the server with `SIGKILL`, as a crash would, and waits for it to exit.
    package func kill() {
        guard let process else { return }
        process.send(SIGKILL)
        _ = process.wait(upTo: .seconds(60))
        self.process = nil
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
        // Before it opens its log, redis-server reports to standard error (a bad option, say).
        try? FileManager.default.removeItem(atPath: errorsPath)
        // `ip netns exec` replaces itself with the server: the process is the server's.
        let command = try (namespace.map(NetworkHosts.prefix(in:)) ?? []) + [try Self.executable(), "--port", String(port)] + arguments
        let process = try SpawnedProcess(command[0], Array(command.dropFirst()), standardError: errorsPath)
        self.process = process
        let deadline = ContinuousClock.now + .seconds(10)
        while !isReady {
            if let code = process.exitCode {
                self.process = nil
                throw Failure(description: "redis-server on port \(port) exited with status \(code) before accepting connections: \(logTail)")
            }
            if ContinuousClock.now >= deadline {
                kill()
                throw Failure(description: "redis-server on port \(port) did not accept connections within 10 seconds: \(logTail)")
            }
            Thread.sleep(forTimeInterval: 0.005)
        }
    }

    /// Whether the log says that the server listens: on TCP, or only on its Unix socket.
    private var isReady: Bool {
        let log = log
        return log.contains("Ready to accept connections") || log.contains("ready to accept connections at")
    }

    /// The last lines of the log and standard error, for failure messages.
    private var logTail: String {
        let errors = (try? String(contentsOfFile: errorsPath, encoding: .utf8)) ?? ""
        let lines = (log + errors).split(separator: "\n").suffix(10)
        return lines.isEmpty ? "(nothing in its log)" : "its log ends with:\n" + lines.joined(separator: "\n")
    }

    /// The ports that this process's servers were given, each once.
    private nonisolated(unsafe) static var givenPorts: Set<Int> = []
    private static let givenPortsLock = NSLock()

    /// A random port from 20000 to 59999 that no server of this process was given before.
    ///
    /// A port is never given twice: this process keeps one client per server URL for its whole
    /// life (`Replicas.shared`), so a test whose server got an earlier test's port would find
    /// that client's connection to the dead server, and its first command would fail with
    /// "the server closed the connection".
    private static func unusedPort() -> Int {
        givenPortsLock.withLock {
            var port: Int
            repeat { port = Int.random(in: 20000..<60000) } while givenPorts.contains(port)
            givenPorts.insert(port)
            return port
        }
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
