import Foundation

/// The Redis server the example uses.
protocol Server {
    /// Its URL, for `UltraDictStore.redis(_:)`.
    var url: String { get }
    /// Stops it, if the example started it.
    func stop()
}

/// A server that ULTRADICT_REDIS_URL names: the example leaves it running.
struct ExternalServer: Server {
    let url: String
    func stop() {}
}

/// A redis-server of the example's own, on a free loopback port, in a temporary directory,
/// with nothing saved to disk.
final class LocalServer: Server {
    let url: String
    private let process = Process()
    private let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("beyond-one-host-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let port = try Self.freePort()
        url = "redis://127.0.0.1:\(port)"
        guard let executable = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first(where: FileManager.default.isExecutableFile) else {
            throw ExampleError("redis-server not found: apt install redis-server, or set ULTRADICT_REDIS_URL")
        }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--dir", directory.path, "--save", "", "--appendonly", "no", "--logfile", "redis.log"]
        try process.run()
        try waitUntilAccepting(port: port)
    }

    /// Kills it (SIGKILL: it has nothing to save, and a SIGTERM may be blocked in it, since a
    /// child inherits its parent's signal mask), and removes its directory.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Waits up to 5 seconds for the server to accept connections on `port`.
    private func waitUntilAccepting(port: UInt16) throws {
        for _ in 0..<500 {
            if Self.connects(to: port) { return }
            guard process.isRunning else { throw ExampleError("redis-server exited: see \(directory.path)/redis.log") }
            usleep(10_000)
        }
        stop()
        throw ExampleError("redis-server did not start within 5 seconds")
    }

    /// A port that nothing listens on now: the kernel's choice for a socket bound to port 0.
    private static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw ExampleError("no free port: errno \(errno)") }
        return UInt16(bigEndian: address.sin_port)
    }

    /// Whether a TCP connection to `port` on the loopback address succeeds.
    private static func connects(to port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}

/// Why the example could not run.
struct ExampleError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
