/// How long a connection to Redis waits before it gives up.
///
/// A timeout that passes throws `UltraDictError` with code `connection`, and the
/// connection is closed: the next command connects again.
public struct RedisOptions: Sendable, Equatable {
    /// How long connecting (the TCP or Unix socket handshake) may take; 1 second by default.
    /// Resolving a host name is not bounded by it.
    public var connectTimeout: Duration
    /// How long sending one command, or a pipeline's batch, and reading each reply may take;
    /// 2 seconds by default.
    public var commandTimeout: Duration
    /// How long the lock's holder keeps it without renewing it; 10 seconds by default. A holder
    /// renews it every third of it while it lives and is connected; a holder that is paused or
    /// cut off longer loses the lock, and its writes are refused (`lockStolen`).
    public var lease: Duration
    /// Whether every read first brings this process's replica up to the server's head, one
    /// round trip each, so that it sees every write that returned anywhere before it began;
    /// `false` by default: reads serve the replica, which trails the server by about one round
    /// trip (a handle always sees its own writes, and `withLock` always catches up first).
    public var readsCatchUp: Bool

    /// Options with the given timeouts and lease; each must be positive, which connecting checks.
    public init(connectTimeout: Duration = .seconds(1), commandTimeout: Duration = .seconds(2), lease: Duration = .seconds(10), readsCatchUp: Bool = false) {
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.lease = lease
        self.readsCatchUp = readsCatchUp
    }
}
