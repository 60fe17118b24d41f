#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TCP listener on 127.0.0.1 that never accepts and whose backlog is full, so that a new
/// connect hangs (the kernel drops its SYN) until the client's timeout: a server that does not
/// answer, without leaving the machine.
final class FullListener {
    /// The port it listens on.
    let port: Int
    private var sockets: [Int32] = []

    /// Listens with a backlog of 0 and fills it with connections of its own.
    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw Failure("socket: errno \(errno)") }
        sockets.append(listener)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(listener, address, length) == 0 && listen(listener, 0) == 0 && getsockname(listener, address, &length) == 0
            }
        }
        guard bound else { throw Failure("bind, listen or getsockname: errno \(errno)") }
        port = Int(UInt16(bigEndian: address.sin_port))
        // The queue holds backlog + 1 connections; a few more make sure it is full.
        for _ in 0..<3 {
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard client >= 0 else { throw Failure("socket: errno \(errno)") }
            sockets.append(client)
            _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, length) }
            }
        }
    }

    deinit { sockets.forEach { close($0) } }

    /// Why the listener could not be set up.
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
