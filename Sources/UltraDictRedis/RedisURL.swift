import UltraDictCore

/// Where a Redis server listens and how to log in: parsed from a URL such as
/// `redis://user:secret@cache.local:6380/2` or `unix:///run/redis.sock?db=1`.
///
/// The forms, with `[...]` optional:
///
/// - `redis://[[user]:password@]host[:port][/db]`: TCP. The host is a name, an IPv4 address or an
///   IPv6 address in brackets (`[::1]`); the port defaults to 6379 and the database to 0. The user
///   and password are percent-decoded (`%40` for `@`); a user needs a password, a password may go
///   without a user (`redis://:secret@host`, which logs in as the `default` user).
/// - `unix://[[user]:password@]/path/to/socket[?db=N]`: a Unix domain socket, its path
///   percent-decoded.
///
/// Anything else throws `UltraDictError` with code `invalidArgument`: another
/// scheme (TLS, `rediss://`, is not supported), an empty host, a port outside 1...65535, a
/// database that is not a non-negative integer, a query or fragment, a malformed escape. The
/// password never appears in ``description`` nor in an error message.
public struct RedisURL: Sendable, Equatable, CustomStringConvertible, CustomReflectable {
    /// Where the server listens.
    public enum Endpoint: Sendable, Equatable {
        /// A TCP host (a name, or an IP address without brackets) and port.
        case tcp(host: String, port: Int)
        /// The path of a Unix domain socket.
        case unixSocket(path: String)
    }

    /// Where the server listens.
    public let endpoint: Endpoint
    /// The user to log in as (`AUTH user password`), or `nil` for the `default` user.
    public let user: String?
    /// The password (`AUTH`), or `nil` to send no `AUTH`.
    public let password: String?
    /// The database to `SELECT` after connecting; 0 (the server's default) sends no `SELECT`.
    public let database: Int

    /// The port of `redis://` URLs that name none.
    public static let defaultPort = 6379

    /// Parses `string`; throws `invalidArgument`, naming the URL with its password hidden, when it
    /// is not one of the forms above.
    public init(_ string: String) throws {
        let parser = RedisURLParser(string)
        (endpoint, user, password, database) = try parser.parse()
    }

    /// The URL in its normal form, with the password shown as `***`:
    /// `redis://user:***@host:6379/0`, `unix:///run/redis.sock?db=0`.
    public var description: String {
        let login = password == nil ? "" : "\(user.map { Self.percentEncoded($0) } ?? ""):***@"
        switch endpoint {
        case let .tcp(host, port):
            let shownHost = host.contains(":") ? "[\(host)]" : host
            return "redis://\(login)\(shownHost):\(port)/\(database)"
        case let .unixSocket(path):
            return "unix://\(login)\(Self.percentEncoded(path, keeping: "/"))?db=\(database)"
        }
    }

    /// The parts, with the password shown as `***`, for `dump` and debuggers.
    public var customMirror: Mirror {
        Mirror(self, children: ["endpoint": endpoint, "user": user as Any, "password": password.map { _ in "***" } as Any, "database": database])
    }

    /// `host:port`, or the socket's path: how error messages name the server.
    package var serverName: String {
        switch endpoint {
        case let .tcp(host, port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case let .unixSocket(path): path
        }
    }

    /// `text` with every byte but letters, digits, `-._~` and those of `keeping` as `%XX`.
    private static func percentEncoded(_ text: String, keeping: String = "") -> String {
        let kept = Set("-._~".utf8).union(keeping.utf8)
        var encoded = ""
        for byte in text.utf8 {
            let isAlphanumeric = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            if isAlphanumeric || kept.contains(byte) {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                encoded += byte < 16 ? "%0\(hex)" : "%\(hex)"
            }
        }
        return encoded
    }
}
