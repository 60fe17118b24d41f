import UltraDictConcurrency
import UltraDictCore

/// The lock of one dictionary on a Redis server: its tree's ``Lease``, which each lease taken
/// through it brings up to the server's head.
final class LeaseLock: UltraDictLock, @unchecked Sendable {
    static let kind = UltraDictLockKind.shared

    let lease: Lease
    /// The replica of the dictionary; it owns this lock.
    unowned let replica: Replica

    init(lease: Lease, replica: Replica) {
        (self.lease, self.replica) = (lease, replica)
    }

    func acquire(timeout: Duration?, stealAfterTimeout: Bool) throws {
        try lease.acquire(timeout: timeout, catchingUp: replica)
    }

    func release() throws {
        try lease.release()
    }
}

extension Duration {
    /// The duration in whole milliseconds, at least 1.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }

    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
