import UltraDictCore
import UltraDictTransport

extension UltraDict {
    /// A write to a dictionary in a remote store: the record goes to the server, which orders it
    /// among every host's writes (one round trip), and then this handle applies the replica up to
    /// it, so that it sees its own write. Returns the value this handle had for `key` before.
    ///
    /// Under ``withLock(timeout:stealAfterTimeout:_:)`` the previous value is the server's, since
    /// the lock caught the replica up first and keeps other writers out; outside it, another
    /// host's write may have come between.
    @usableFromInline
    func write(_ update: UltraDictUpdate, key: Key, to remote: any RemoteSession) throws -> Value? {
        var record: [UInt8] = []
        try serializer.encodeUpdate(update, into: &record)
        let previous = try readCurrent { storage[key] }
        try remote.append(record)
        try withExclusiveAccess { try refreshLocked() }
        return previous
    }
}
