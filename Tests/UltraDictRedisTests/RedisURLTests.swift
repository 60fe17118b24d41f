import Testing
import UltraDictCore
import UltraDictRedis

@Suite struct RedisURLTests {
    /// A URL that parses, and what it must parse to.
    struct Valid: Sendable, CustomTestStringConvertible {
        let text: String
        let endpoint: RedisURL.Endpoint
        var user: String? = nil
        var password: String? = nil
        var database = 0
        let description: String
        var testDescription: String { text }
    }

    static let valid: [Valid] = [
        Valid(text: "redis://localhost", endpoint: .tcp(host: "localhost", port: 6379), description: "redis://localhost:6379/0"),
        Valid(text: "redis://127.0.0.1:6380", endpoint: .tcp(host: "127.0.0.1", port: 6380), description: "redis://127.0.0.1:6380/0"),
        Valid(text: "redis://cache.example.com:1/15", endpoint: .tcp(host: "cache.example.com", port: 1), database: 15, description: "redis://cache.example.com:1/15"),
        Valid(text: "REDIS://host/", endpoint: .tcp(host: "host", port: 6379), description: "redis://host:6379/0"),
        Valid(text: "redis://[::1]", endpoint: .tcp(host: "::1", port: 6379), description: "redis://[::1]:6379/0"),
        Valid(text: "redis://[fe80::1:2]:7000/3", endpoint: .tcp(host: "fe80::1:2", port: 7000), database: 3, description: "redis://[fe80::1:2]:7000/3"),
        Valid(text: "redis://:s3cret@host", endpoint: .tcp(host: "host", port: 6379), password: "s3cret", description: "redis://:***@host:6379/0"),
        Valid(
            text: "redis://alice:s3cret@host:6390/2", endpoint: .tcp(host: "host", port: 6390), user: "alice", password: "s3cret", database: 2,
            description: "redis://alice:***@host:6390/2"
        ),
        Valid(
            text: "redis://al%69ce%40home:p%40ss%3Aw%2Fd@host", endpoint: .tcp(host: "host", port: 6379), user: "alice@home", password: "p@ss:w/d",
            description: "redis://alice%40home:***@host:6379/0"
        ),
        Valid(text: "redis://:p@ss@host", endpoint: .tcp(host: "host", port: 6379), password: "p@ss", description: "redis://:***@host:6379/0"),
        Valid(text: "unix:///run/redis.sock", endpoint: .unixSocket(path: "/run/redis.sock"), description: "unix:///run/redis.sock?db=0"),
        Valid(text: "unix:///tmp/my%20dir/r.sock?db=4", endpoint: .unixSocket(path: "/tmp/my dir/r.sock"), database: 4, description: "unix:///tmp/my%20dir/r.sock?db=4"),
        Valid(
            text: "unix://bob:s3cret@/run/redis.sock", endpoint: .unixSocket(path: "/run/redis.sock"), user: "bob", password: "s3cret",
            description: "unix://bob:***@/run/redis.sock?db=0"
        ),
    ]

    @Test(arguments: valid) func parses(_ expected: Valid) throws {
        let url = try RedisURL(expected.text)
        #expect(url.endpoint == expected.endpoint)
        #expect(url.user == expected.user)
        #expect(url.password == expected.password)
        #expect(url.database == expected.database)
        #expect(url.description == expected.description)
        // The normal form parses back to the same URL, password aside.
        if url.password == nil { #expect(try RedisURL(url.description) == url) }
    }

    /// A URL that must be refused, and a part of the reason the message must give.
    static let invalid: [(text: String, reason: String)] = [
        ("", "does not start with redis:// or unix://"),
        ("localhost:6379", "does not start with redis:// or unix://"),
        ("redis:/host", "does not start with redis:// or unix://"),
        ("http://host", "the scheme 'http' is neither redis nor unix"),
        ("rediss://host", "TLS (rediss://) is not supported"),
        ("redis://", "the host is empty"),
        ("redis://:6379", "the host is empty"),
        ("redis://:s3cret@", "the host is empty"),
        ("redis://ho st", "is not a name or an IP address"),
        ("redis://host:", "the port '' is not a number"),
        ("redis://host:0", "the port '0' is not a number in 1...65535"),
        ("redis://host:65536", "the port '65536' is not a number in 1...65535"),
        ("redis://host:-1", "the port '-1'"),
        ("redis://host:+80", "the port '+80'"),
        ("redis://host:99999999999999999999999", "is not a number in 1...65535"),
        ("redis://host:port", "the port 'port'"),
        ("redis://::1", "an IPv6 address needs brackets"),
        ("redis://[::1", "has no closing ']'"),
        ("redis://[host]", "in brackets is not an IPv6 address"),
        ("redis://[::1]x", "unexpected text after the IPv6 address"),
        ("redis://host/-1", "the database '-1' is not a non-negative integer"),
        ("redis://host/one", "the database 'one'"),
        ("redis://host/1/2", "the database '1/2'"),
        ("redis://host/ 1", "the database ' 1'"),
        ("redis://host/3000000000", "the database '3000000000'"),
        ("redis://host/0?db=1", "takes no query or fragment"),
        ("redis://host#top", "takes no query or fragment"),
        ("redis://alice@host", "a user needs a password"),
        ("redis://@host", "nothing before '@'"),
        ("redis://alice:@host", "the password is empty"),
        ("redis://:s3cret%zz@host", "the password has a '%' that is not followed by two hexadecimal digits"),
        ("redis://:%ff@host", "the password is not UTF-8 once decoded"),
        ("unix://", "needs an absolute socket path"),
        ("unix:///", "needs an absolute socket path"),
        ("unix://host/run/redis.sock", "names no host"),
        ("unix://relative.sock", "needs an absolute socket path"),
        ("unix:///run/redis.sock?db=x", "the database 'x'"),
        ("unix:///run/redis.sock?password=s3cret", "the query parameter 'password' is not supported"),
        ("unix:///run/redis.sock?db=1&x=2", "the query parameter 'x' is not supported"),
        ("unix:///run/redis.sock?", "the query parameter '' is not supported"),
        ("unix:///run/re%00dis.sock", "the socket path contains NUL"),
        ("unix:///run/redis.sock#x", "takes no fragment"),
    ]

    @Test(arguments: invalid) func refuses(_ text: String, _ reason: String) {
        #expect {
            try RedisURL(text)
        } throws: { error in
            guard let error = error as? UltraDictError, error.code == .invalidArgument else { return false }
            return error.message.hasPrefix("invalid Redis URL '") && error.message.contains(reason) && !error.message.contains("s3cret")
        }
    }

    @Test func errorMessagesHideThePassword() throws {
        let cases = [
            "redis://alice:s3cret@host:99999": "invalid Redis URL 'redis://alice:***@host:99999': the port '99999' is not a number in 1...65535",
            "redis://:s3cret@host/x": "invalid Redis URL 'redis://:***@host/x': the database 'x' is not a non-negative integer",
            "redis://s3cret@host": "invalid Redis URL 'redis://***@host': a user needs a password: write user:password@ or :password@",
            "unix://:s3cret@host/x": "invalid Redis URL 'unix://:***@host/x': a unix:// URL names no host: write unix:///path/to/socket",
            "unix:///r.sock?db=1&Password=s3cret&x": "invalid Redis URL 'unix:///r.sock?db=1&Password=***&x': the query parameter 'Password' is not supported: only db=N",
        ]
        for (text, message) in cases {
            #expect {
                try RedisURL(text)
            } throws: { error in
                (error as? UltraDictError).map { $0.code == .invalidArgument && $0.message == message } ?? false
            }
        }
    }

    @Test func descriptionHidesThePassword() throws {
        let url = try RedisURL("redis://alice:s3cret@host")
        #expect("\(url)" == "redis://alice:***@host:6379/0")
        #expect(String(reflecting: url) == "redis://alice:***@host:6379/0")
        var dumped = ""
        dump(url, to: &dumped)
        #expect(dumped.contains("alice") && dumped.contains("***") && !dumped.contains("s3cret"), "\(dumped)")
    }
}
