#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CHiredis
import UltraDictCore

/// One blocking connection to a Redis server, on hiredis's `redisContext`.
///
/// Not `Sendable`: one thread uses it at a time (``RedisClient`` adds a lock). Every command
/// waits at most ``RedisOptions/commandTimeout`` for its reply, or a longer timeout given for
/// that call (a blocking `XREAD BLOCK ms` needs one). A failed I/O (a timeout, a reset, the server
/// closing the connection) throws `connection` and closes the connection for good: a reply may
/// still be on its way, so the stream of replies can no longer be trusted. Every later command
/// throws `connection` at once; make a new connection.
package final class RedisConnection {
    /// The server and login.
    package let url: RedisURL
    /// The timeouts.
    package let options: RedisOptions
    /// hiredis's context; `nil` once closed.
    private var context: UnsafeMutablePointer<redisContext>?
    /// The socket timeout set now, which differs from the command timeout during a longer call.
    private var socketTimeout: Duration
    /// Why the connection was closed (the first I/O failure), if it was.
    package private(set) var failure: UltraDictError?
    /// How many commands ``send(_:)`` sent whose replies were not read yet.
    private var unreadReplies = 0
    /// The bytes received and not yet read as replies. hiredis connects and writes; the replies
    /// are read by this package's own reader, which checks every count and length before it
    /// allocates anything (``RedisReplyReader`` says why hiredis's reader is not used).
    private var replies = RedisReplyReader()
    /// Where `recv` puts what it reads, 64 KiB, before it goes into ``replies``.
    private var chunk = [UInt8](repeating: 0, count: 1 << 16)
    /// The most chunks ``closeIfClosedByServer()`` reads before a command.
    static let idleReadLimit = 4

    /// Connects (`redisConnectWithTimeout` or `redisConnectUnixWithTimeout`, within
    /// ``RedisOptions/connectTimeout``), turns on TCP keep-alive (`redisEnableKeepAlive`), sets the
    /// command timeout (`redisSetTimeout`), and sends `AUTH` and `SELECT` if `url` asks for them.
    ///
    /// Throws `connection` when the server cannot be reached in time, `server` when it refuses
    /// the login or the database, `invalidArgument` for a timeout that is not positive.
    package init(url: RedisURL, options: RedisOptions = RedisOptions()) throws {
        for (name, timeout) in [("connect", options.connectTimeout), ("command", options.commandTimeout)] where timeout <= .zero {
            throw UltraDictError(.invalidArgument, "the Redis \(name) timeout must be positive, not \(timeout)")
        }
        self.url = url
        self.options = options
        socketTimeout = options.commandTimeout
        let opened: UnsafeMutablePointer<redisContext>? = switch url.endpoint {
        case let .tcp(host, port): redisConnectWithTimeout(host, Int32(port), Self.timeval(options.connectTimeout))
        case let .unixSocket(path): redisConnectUnixWithTimeout(path, Self.timeval(options.connectTimeout))
        }
        guard let opened else {
            throw UltraDictError(.connection, "cannot connect to Redis at \(url.serverName): hiredis could not allocate its context")
        }
        context = opened
        do {
            guard opened.pointee.err == 0 else {
                throw UltraDictError(.connection, "cannot connect to Redis at \(url.serverName) within \(options.connectTimeout): \(Self.errorText(of: opened))")
            }
            if case .tcp = url.endpoint, redisEnableKeepAlive(opened) != REDIS_OK {
                throw UltraDictError(.connection, "Redis at \(url.serverName): cannot turn on TCP keep-alive: \(Self.errorText(of: opened))")
            }
            BrokenPipeSignal.ignore(onSocket: opened.pointee.fd)
            guard redisSetTimeout(opened, Self.timeval(options.commandTimeout)) == REDIS_OK else {
                throw UltraDictError(.connection, "Redis at \(url.serverName): cannot set the command timeout: \(Self.errorText(of: opened))")
            }
            if let password = url.password {
                _ = try command((["AUTH"] + (url.user.map { [$0] } ?? []) + [password]).map { Array($0.utf8) })
            }
            if url.database != 0 {
                _ = try command("SELECT", String(url.database))
            }
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Whether a failed I/O closed the connection; every command then throws `connection`.
    package var isBroken: Bool { failure != nil }

    /// Closes the connection if the server closed its end since the last reply: `recv` with
    /// `MSG_DONTWAIT` takes what already arrived (the replies of commands that ``send(_:)`` sent,
    /// kept for the next command to drop) until it would wait, or finds the stream's end or a
    /// reset; one system call when nothing came. Nothing was sent since the server closed it (a
    /// restart, a test's server that is gone), so a new connection may run the next command
    /// instead of it failing unsent. It reads at most ``idleReadLimit`` chunks, and nothing
    /// while a chunk's worth is already unread: a server that keeps sending unasked is left to
    /// the next command's reply reader and its limits, and cannot grow the buffer call by call.
    package func closeIfClosedByServer() {
        guard let context else { return }
        for _ in 0..<Self.idleReadLimit {
            guard replies.unreadCount < chunk.count else { return }
            let count = receive(from: context, flags: Int32(MSG_DONTWAIT))
            if count > 0 || (count < 0 && errno == EINTR) { continue }
            if count < 0, errno == EAGAIN || errno == EWOULDBLOCK { return }
            _ = broken("Redis at \(url.serverName): the server closed the connection while it was idle")
            return
        }
    }

    /// Sends one command and waits for its reply, binary-safe. A command that ``send(_:)`` sent
    /// before goes out in the same write: their replies are read, and dropped, on the way to
    /// this one's.
    ///
    /// `timeout` replaces the command timeout for this call only (two `redisSetTimeout` calls
    /// when it differs). Throws `server` for an error reply (its text is the underlying
    /// ``RedisErrorReply``), `connection` for a failed I/O, `corruptData` for a malformed reply
    /// or one beyond ``RedisReply``'s limits (both close the connection).
    package func command(_ arguments: [[UInt8]], timeout: Duration? = nil) throws -> RedisReply {
        let context = try openContext()
        try append(arguments, to: context)
        let reply = try withSocketTimeout(timeout ?? options.commandTimeout, on: context) { effectiveTimeout in
            try BrokenPipeSignal.suppressed {
                try dropUnreadReplies(of: context)
                return try nextReply(of: context, answering: arguments, timeout: effectiveTimeout)
            }
        }
        if case let .error(message) = reply { throw serverError(message, answering: arguments) }
        return reply
    }

    /// ``command(_:timeout:)`` with text arguments, sent as their UTF-8 bytes.
    package func command(_ arguments: String...) throws -> RedisReply {
        try command(arguments.map { Array($0.utf8) })
    }

    /// Sends `commands` in one batch (`redisAppendCommandArgv` for each, one write), then reads
    /// their replies in order: one round trip instead of one per command.
    ///
    /// Error replies are returned as ``RedisReply/error(_:)``, not thrown, since the other
    /// commands ran. Each reply may take up to the command timeout. Throws `connection` for a
    /// failed I/O (which of the commands ran is then unknown), `corruptData` for a malformed reply
    /// (both close the connection).
    package func pipeline(_ commands: [[[UInt8]]]) throws -> [RedisReply] {
        let context = try openContext()
        for arguments in commands { try append(arguments, to: context) }
        return try BrokenPipeSignal.suppressed {
            try dropUnreadReplies(of: context)
            return try commands.map { try nextReply(of: context, answering: $0, timeout: socketTimeout) }
        }
    }

    /// Sends one command without waiting for its reply, which the next command on this
    /// connection reads and drops first: for a command whose outcome nobody waits for (giving
    /// a lease up). Commands keep their order on the connection. Throws `connection` when it
    /// cannot be written.
    package func send(_ arguments: [[UInt8]]) throws {
        let context = try openContext()
        try append(arguments, to: context)
        try BrokenPipeSignal.suppressed {
            try flush(context, during: arguments, timeout: socketTimeout, deadline: ContinuousClock.now + socketTimeout)
        }
        unreadReplies += 1
    }

    /// Reads and drops the replies of the commands ``send(_:)`` sent (`SIGPIPE` suppressed).
    private func dropUnreadReplies(of context: UnsafeMutablePointer<redisContext>) throws {
        while unreadReplies > 0 {
            _ = try nextReply(of: context, answering: [Array("(a reply to a command sent earlier)".utf8)], timeout: socketTimeout)
            unreadReplies -= 1
        }
    }

    /// Adds `arguments` to the commands the next read or ``send(_:)`` writes out
    /// (`redisAppendCommandArgv`, binary-safe).
    private func append(_ arguments: [[UInt8]], to context: UnsafeMutablePointer<redisContext>) throws {
        let status = try CommandArguments(arguments).withArgv { count, argv, lengths in
            redisAppendCommandArgv(context, count, argv, lengths)
        }
        guard status == REDIS_OK else { throw ioFailure(of: context, during: arguments, timeout: socketTimeout) }
    }

    /// Writes out what is appended, then reads the next reply (call it with `SIGPIPE`
    /// suppressed): `recv` on the socket until ``replies`` holds a whole one. A failure,
    /// `timeout` passing among them, closes the connection; so does a malformed reply, which
    /// throws `corruptData` (the replies after it cannot be told apart). A server that keeps the
    /// reply trickling in is cut off once `timeout` has passed since the call began: the whole
    /// call takes at most twice `timeout` (the socket's timeout bounds each `recv`).
    private func nextReply(of context: UnsafeMutablePointer<redisContext>, answering arguments: [[UInt8]], timeout: Duration) throws -> RedisReply {
        let deadline = ContinuousClock.now + timeout
        try flush(context, during: arguments, timeout: timeout, deadline: deadline)
        while true {
            do {
                if let reply = try replies.next() { return reply }
            } catch let error as UltraDictError {
                throw broken(UltraDictError(.corruptData, "Redis at \(url.serverName), \(Self.commandName(arguments)): \(error.message); the connection is dropped"))
            }
            guard ContinuousClock.now < deadline else {
                throw broken("Redis at \(url.serverName), \(Self.commandName(arguments)): no whole reply within \(timeout)")
            }
            let count = receive(from: context, flags: 0)
            if count > 0 || (count < 0 && errno == EINTR) { continue }
            let reason = count == 0 ? "the server closed the connection" : Self.reason(errno: errno, timeout: timeout)
            throw broken("Redis at \(url.serverName), \(Self.commandName(arguments)): \(reason)")
        }
    }

    /// `recv` into ``chunk`` with `flags`, and what came into ``replies``; returns what `recv`
    /// returned.
    private func receive(from context: UnsafeMutablePointer<redisContext>, flags: Int32) -> Int {
        let count = chunk.withUnsafeMutableBytes { recv(context.pointee.fd, $0.baseAddress, $0.count, flags) }
        if count > 0 { replies.append(chunk[..<count]) }
        return count
    }

    /// Writes out what is appended (`redisBufferWrite` until done); a failure closes the
    /// connection, and so does `deadline` passing while a server that reads slowly keeps the
    /// write going (each write waits at most `timeout`).
    private func flush(
        _ context: UnsafeMutablePointer<redisContext>, during arguments: [[UInt8]], timeout: Duration, deadline: ContinuousClock.Instant
    ) throws {
        var done: Int32 = 0
        repeat {
            guard redisBufferWrite(context, &done) == REDIS_OK else { throw ioFailure(of: context, during: arguments, timeout: timeout) }
            if done == 0, ContinuousClock.now >= deadline {
                throw broken("Redis at \(url.serverName), \(Self.commandName(arguments)): the server did not take the command within \(timeout)")
            }
        } while done == 0
    }

    /// Closes the socket and frees the context (`redisFree`); later commands throw `connection`.
    package func close() {
        guard let context else { return }
        redisFree(context)
        self.context = nil
        if failure == nil {
            failure = UltraDictError(.connection, "the connection to Redis at \(url.serverName) was closed")
        }
    }

    // MARK: - Internals

    /// The context, or `connection` with the reason it was closed.
    private func openContext() throws -> UnsafeMutablePointer<redisContext> {
        if let context { return context }
        let reason = failure.map { ": \($0.message)" } ?? ""
        throw UltraDictError(.connection, "the connection to Redis at \(url.serverName) is closed\(reason)", underlying: failure)
    }

    /// Runs `body` with the socket timeout set to `timeout`, then sets the command timeout back.
    private func withSocketTimeout<T>(
        _ timeout: Duration, on context: UnsafeMutablePointer<redisContext>, _ body: (Duration) throws -> T
    ) throws -> T {
        guard timeout > .zero else {
            throw UltraDictError(.invalidArgument, "a Redis command timeout must be positive, not \(timeout)")
        }
        try setSocketTimeout(timeout, on: context)
        let result = Result { try body(timeout) }
        if self.context != nil { try setSocketTimeout(options.commandTimeout, on: context) }
        return try result.get()
    }

    /// `redisSetTimeout` when `timeout` differs from the current one; a failure closes the connection.
    private func setSocketTimeout(_ timeout: Duration, on context: UnsafeMutablePointer<redisContext>) throws {
        guard timeout != socketTimeout else { return }
        guard redisSetTimeout(context, Self.timeval(timeout)) == REDIS_OK else {
            throw broken("Redis at \(url.serverName): cannot set the socket timeout to \(timeout): \(Self.errorText(of: context))")
        }
        socketTimeout = timeout
    }

    /// `connection` for the I/O failure that hiredis recorded in `context` while running the
    /// command `arguments`; closes the connection.
    private func ioFailure(of context: UnsafeMutablePointer<redisContext>, during arguments: [[UInt8]], timeout: Duration) -> UltraDictError {
        let code = errno
        let reason = switch context.pointee.err {
        case REDIS_ERR_IO where [EAGAIN, EWOULDBLOCK, ECONNRESET, EPIPE].contains(code): Self.reason(errno: code, timeout: timeout)
        case REDIS_ERR_EOF: "the server closed the connection"
        case REDIS_ERR_PROTOCOL: "the server broke the protocol: \(Self.errorText(of: context))"
        default: Self.errorText(of: context)
        }
        return broken("Redis at \(url.serverName), \(Self.commandName(arguments)): \(reason)")
    }

    /// Why a read or write failed with `code`, for messages.
    private static func reason(errno code: Int32, timeout: Duration) -> String {
        switch code {
        case EAGAIN, EWOULDBLOCK: "no reply within \(timeout)"
        case ECONNRESET: "the connection was reset"
        case EPIPE: "the server closed the connection"
        default: String(cString: strerror(code))
        }
    }

    /// Closes the connection for the reason `message`, and returns the `connection` error.
    private func broken(_ message: String) -> UltraDictError {
        broken(UltraDictError(.connection, message))
    }

    /// Closes the connection because of `error`, and returns it.
    ///
    /// The socket is closed abortively (`SO_LINGER` 0): the kernel drops what it had not sent
    /// yet. A normal close would keep retransmitting a request that timed out in a partition,
    /// and once the link is back the server would run it, after later writes that returned.
    private func broken(_ error: UltraDictError) -> UltraDictError {
        failure = error
        if let context {
            var abort = linger(l_onoff: 1, l_linger: 0)
            setsockopt(context.pointee.fd, SOL_SOCKET, SO_LINGER, &abort, socklen_t(MemoryLayout<linger>.size))
        }
        close()
        return error
    }

    /// `server` for the error reply `message` to `arguments`.
    private func serverError(_ message: String, answering arguments: [[UInt8]]) -> UltraDictError {
        UltraDictError(.server, "Redis at \(url.serverName) answered \(Self.commandName(arguments)) with an error: \(message)", underlying: RedisErrorReply(message))
    }

    /// The command's name for messages (its first argument, upper-cased, at most 32 characters);
    /// never its other arguments, which may be a password or large.
    private static func commandName(_ arguments: [[UInt8]]) -> String {
        String(decoding: (arguments.first ?? []).prefix(32), as: UTF8.self).uppercased()
    }

    /// hiredis's description of the context's error (`errstr`).
    private static func errorText(of context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// `duration` as a `timeval`, at least one microsecond (a zero `timeval` means "no timeout").
    private static func timeval(_ duration: Duration) -> timeval {
        let (seconds, attoseconds) = duration.components
        let microseconds = attoseconds / 1_000_000_000_000
        if seconds == 0 && microseconds == 0 { return .init(tv_sec: 0, tv_usec: 1) }
        return .init(tv_sec: .init(seconds), tv_usec: .init(microseconds))
    }
}
