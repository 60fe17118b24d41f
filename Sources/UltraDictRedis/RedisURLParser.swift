import UltraDictCore

/// Reads the parts of a ``RedisURL`` from its text; every failure names the URL with its password
/// hidden.
struct RedisURLParser {
    /// The URL as given.
    let input: String

    /// A parser of `input`.
    init(_ input: String) { self.input = input }

    /// The endpoint, user, password and database of the URL, or `invalidArgument`.
    func parse() throws -> (RedisURL.Endpoint, user: String?, password: String?, database: Int) {
        guard let colon = input.firstIndex(of: ":"), input[colon...].hasPrefix("://") else {
            throw failure("it does not start with redis:// or unix://")
        }
        let rest = input[input.index(colon, offsetBy: 3)...]
        switch input[..<colon].lowercased() {
        case "redis": return try parseTCP(rest)
        case "unix": return try parseUnix(rest)
        case "rediss": throw failure("TLS (rediss://) is not supported")
        case let scheme: throw failure("the scheme '\(scheme)' is neither redis nor unix")
        }
    }

    /// `[login@]host[:port][/db]`.
    private func parseTCP(_ rest: Substring) throws -> (RedisURL.Endpoint, user: String?, password: String?, database: Int) {
        guard !rest.contains("?"), !rest.contains("#") else {
            throw failure("a redis:// URL takes no query or fragment: name the database as /N")
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = rest[..<slash]
        var login: (user: String?, password: String)?
        if let at = authority.lastIndex(of: "@") {
            login = try parseLogin(authority[..<at])
            authority = authority[authority.index(after: at)...]
        }
        let (host, port) = try parseHostAndPort(authority)
        let path = rest[slash...].dropFirst()
        let database = path.isEmpty ? 0 : try parseDatabase(path)
        return (.tcp(host: host, port: port), login?.user, login?.password, database)
    }

    /// `[login@]/path[?db=N]`.
    private func parseUnix(_ rest: Substring) throws -> (RedisURL.Endpoint, user: String?, password: String?, database: Int) {
        guard !rest.contains("#") else { throw failure("a unix:// URL takes no fragment") }
        let question = rest.firstIndex(of: "?") ?? rest.endIndex
        var location = rest[..<question]
        var login: (user: String?, password: String)?
        if let slash = location.firstIndex(of: "/"), slash != location.startIndex {
            guard location[location.index(before: slash)] == "@" else {
                throw failure("a unix:// URL names no host: write unix:///path/to/socket")
            }
            login = try parseLogin(location[..<location.index(before: slash)])
            location = location[slash...]
        }
        let path = try percentDecoded(location, "the socket path")
        guard path.hasPrefix("/"), path.count > 1 else {
            throw failure("a unix:// URL needs an absolute socket path: unix:///path/to/socket")
        }
        guard !path.contains("\0") else { throw failure("the socket path contains NUL") }
        var database = 0
        if question != rest.endIndex {
            for parameter in rest[rest.index(after: question)...].split(separator: "&", omittingEmptySubsequences: false) {
                guard parameter.hasPrefix("db=") else {
                    throw failure("the query parameter '\(parameter.prefix { $0 != "=" })' is not supported: only db=N")
                }
                database = try parseDatabase(parameter.dropFirst(3))
            }
        }
        return (.unixSocket(path: path), login?.user, login?.password, database)
    }

    /// `[user]:password`, percent-decoded; a user without a password is refused.
    private func parseLogin(_ login: Substring) throws -> (user: String?, password: String) {
        guard let colon = login.firstIndex(of: ":") else {
            throw failure(login.isEmpty ? "nothing before '@'" : "a user needs a password: write user:password@ or :password@")
        }
        let user = try percentDecoded(login[..<colon], "the user")
        let password = try percentDecoded(login[login.index(after: colon)...], "the password")
        guard !password.isEmpty else { throw failure("the password is empty") }
        return (user.isEmpty ? nil : user, password)
    }

    /// `host[:port]` or `[ipv6][:port]`.
    private func parseHostAndPort(_ authority: Substring) throws -> (host: String, port: Int) {
        let host: Substring
        let portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw failure("the IPv6 address has no closing ']'") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            guard host.contains(":"), host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw failure("'\(host)' in brackets is not an IPv6 address")
            }
            let after = authority[authority.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else { throw failure("unexpected text after the IPv6 address") }
            portText = after.isEmpty ? nil : after.dropFirst()
        } else {
            let parts = authority.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw failure("an IPv6 address needs brackets: redis://[::1]:6379") }
            host = parts[0]
            portText = parts.count == 2 ? parts[1] : nil
            guard !host.isEmpty else { throw failure("the host is empty") }
            guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) }) else {
                throw failure("the host '\(host)' is not a name or an IP address")
            }
        }
        guard let portText else { return (String(host), RedisURL.defaultPort) }
        guard let port = Self.decimal(portText), (1...65535).contains(port) else {
            throw failure("the port '\(portText)' is not a number in 1...65535")
        }
        return (String(host), port)
    }

    /// A database number: decimal digits, at most `Int32.max`.
    private func parseDatabase(_ text: Substring) throws -> Int {
        guard let database = Self.decimal(text), database <= Int32.max else {
            throw failure("the database '\(text)' is not a non-negative integer")
        }
        return database
    }

    /// The value of `text` if it is ASCII decimal digits only (no sign, no space), and fits in an `Int`.
    private static func decimal(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        return Int(text)
    }

    /// `text` with each `%XX` replaced by its byte; the result must be UTF-8.
    private func percentDecoded(_ text: Substring, _ what: String) throws -> String {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue) else {
                throw failure("\(what) has a '%' that is not followed by two hexadecimal digits")
            }
            bytes.append(high << 4 | low)
        }
        let decoded = String(decoding: bytes, as: UTF8.self)
        guard Array(decoded.utf8) == bytes else { throw failure("\(what) is not UTF-8 once decoded") }
        return decoded
    }

    /// The value of one hexadecimal digit.
    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// `invalidArgument`: "invalid Redis URL 'URL': REASON", the URL's password hidden.
    private func failure(_ reason: String) -> UltraDictError {
        UltraDictError(.invalidArgument, "invalid Redis URL '\(Self.redacted(input))': \(reason)")
    }

    /// `url` with what may be a password shown as `***`: the text between `//` (or the start)
    /// and the last `@`, after its first `:` if it has one, else all of it; and the value of a
    /// `password=` query parameter.
    static func redacted(_ url: String) -> String {
        guard let question = url.firstIndex(of: "?") else { return redactedLogin(url) }
        let parameters = url[url.index(after: question)...].split(separator: "&", omittingEmptySubsequences: false).map { parameter in
            parameter.lowercased().hasPrefix("password=") ? parameter.prefix(9) + "***" : parameter
        }
        return redactedLogin(String(url[..<question])) + "?" + parameters.joined(separator: "&")
    }

    /// `url` with the text between `//` (or the start) and the last `@` shown as `***`, after
    /// its first `:` if it has one.
    private static func redactedLogin(_ url: String) -> String {
        guard let at = url.lastIndex(of: "@") else { return url }
        var loginStart = url.startIndex
        var index = url.startIndex
        while index < at {
            let next = url.index(after: index)
            if url[index] == "/", next < at, url[next] == "/" {
                loginStart = url.index(after: next)
                break
            }
            index = next
        }
        let login = url[loginStart..<at]
        let kept = login.firstIndex(of: ":").map { login[...$0] } ?? ""
        return url[..<loginStart] + kept + "***" + url[at...]
    }
}
