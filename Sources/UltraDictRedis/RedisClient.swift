import Foundation
import UltraDictCore

/// A connection to one Redis server that any thread may use, and that connects again by itself.
///
/// A lock lets one call at a time use the ``RedisConnection``; the others wait for it, so a slow
/// command delays them (a blocking read belongs on a client of its own). The client connects on
/// its first call. When a call finds the connection broken, or closed by the server while it was
/// idle (a restart: one `recv` per call looks), it connects again at once; when that
/// fails, the attempts back off, from ``firstBackoff`` doubling to ``longestBackoff``, and a call
/// before the next attempt is due throws `connection` at once, without trying, so that a dead
/// server does not cost a connect timeout per call.
///
/// A call that failed on the connection is not sent again: whether the server ran it is unknown.
package final class RedisClient: @unchecked Sendable {
    /// How long the client waits after a first failed connect before the next attempt.
    package static let firstBackoff: Duration = .milliseconds(10)
    /// The longest wait between connect attempts.
    package static let longestBackoff: Duration = .seconds(1)

    /// The server and login.
    package let url: RedisURL
    /// The timeouts of every connection.
    package let options: RedisOptions

    private let lock = NSLock()
    // Guarded by `lock`.
    private var connection: RedisConnection?
    private var failedConnects = 0
    private var nextConnect = ContinuousClock.now
    private var lastConnectError: UltraDictError?
    private var scriptHashes: [String: [UInt8]] = [:]

    /// A client of the server at `url`; it connects on its first call.
    package init(url: RedisURL, options: RedisOptions = RedisOptions()) {
        self.url = url
        self.options = options
    }

    /// Sends one command and returns its reply, as ``RedisConnection/command(_:timeout:)`` does,
    /// connecting first if needed.
    package func command(_ arguments: [[UInt8]], timeout: Duration? = nil) throws -> RedisReply {
        try withConnection { try $0.command(arguments, timeout: timeout) }
    }

    /// ``command(_:timeout:)`` with text arguments, sent as their UTF-8 bytes.
    package func command(_ arguments: String...) throws -> RedisReply {
        try command(arguments.map { Array($0.utf8) })
    }

    /// Sends `commands` in one batch and returns their replies, error replies included, as
    /// ``RedisConnection/pipeline(_:)`` does, connecting first if needed.
    package func pipeline(_ commands: [[[UInt8]]]) throws -> [RedisReply] {
        try withConnection { try $0.pipeline(commands) }
    }

    /// Runs `script` with `keys` (`KEYS` in Lua) and `arguments` (`ARGV`) and returns its reply.
    ///
    /// `EVALSHA` with the hash that `SCRIPT LOAD` returned the first time (one more round trip,
    /// once per client); when the server answers `NOSCRIPT`, `EVAL` with the source, which also
    /// loads it again. Throws what ``command(_:timeout:)`` throws; `server` for a script error.
    package func script(_ script: RedisScript, keys: [[UInt8]], arguments: [[UInt8]]) throws -> RedisReply {
        try withConnection { connection in
            let operands = [Array(String(keys.count).utf8)] + keys + arguments
            let hash = try scriptHashes[script.source] ?? load(script, on: connection)
            do {
                return try connection.command([Array("EVALSHA".utf8), hash] + operands)
            } catch let error as UltraDictError where (error.underlying as? RedisErrorReply)?.kind == "NOSCRIPT" {
                return try connection.command([Array("EVAL".utf8), Array(script.source.utf8)] + operands)
            }
        }
    }

    /// Runs `script` without waiting for its reply (``RedisConnection/send(_:)``): `EVAL` with
    /// its source, since a `NOSCRIPT` answer would go unread.
    package func send(_ script: RedisScript, keys: [[UInt8]], arguments: [[UInt8]]) throws {
        try withConnection { connection in
            try connection.send([Array("EVAL".utf8), Array(script.source.utf8), Array(String(keys.count).utf8)] + keys + arguments)
        }
    }

    // MARK: - Internals

    /// Runs `body` under the lock with a live connection.
    private func withConnection<T>(_ body: (RedisConnection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(try liveConnection())
    }

    /// The open connection, or a new one when it broke or the server closed it while it was
    /// idle; while backing off, `connection` without trying.
    private func liveConnection() throws -> RedisConnection {
        connection?.closeIfClosedByServer()
        if let connection, !connection.isBroken { return connection }
        connection = nil
        let now = ContinuousClock.now
        if let lastConnectError, now < nextConnect {
            let wait = Int(((nextConnect - now) / .milliseconds(1)).rounded(.up))
            throw UltraDictError(
                .connection,
                "not connected to Redis at \(url.serverName): \(failedConnects) attempt(s) failed, the next in \(wait) ms; the last: \(lastConnectError.message)",
                underlying: lastConnectError
            )
        }
        do {
            let fresh = try RedisConnection(url: url, options: options)
            connection = fresh
            failedConnects = 0
            lastConnectError = nil
            return fresh
        } catch let error as UltraDictError {
            failedConnects += 1
            let backoff = Self.firstBackoff * (1 << min(failedConnects - 1, 16))
            nextConnect = .now + min(backoff, Self.longestBackoff)
            lastConnectError = error
            throw error
        }
    }

    /// `SCRIPT LOAD`s `script` and remembers its hash (40 hexadecimal digits, else `corruptData`).
    private func load(_ script: RedisScript, on connection: RedisConnection) throws -> [UInt8] {
        let hash = try connection.command("SCRIPT", "LOAD", script.source).bytes("the reply to SCRIPT LOAD")
        guard hash.count == 40, hash.allSatisfy({ Character(Unicode.Scalar($0)).isHexDigit }) else {
            throw UltraDictError(.corruptData, "Redis at \(url.serverName) answered SCRIPT LOAD with \(hash.count) bytes, not a SHA-1 in hexadecimal")
        }
        scriptHashes[script.source] = hash
        return hash
    }
}
