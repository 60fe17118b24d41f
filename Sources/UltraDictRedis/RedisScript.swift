/// A Lua script that ``RedisClient/script(_:keys:arguments:)`` runs on the server.
///
/// The client loads it once (`SCRIPT LOAD`) and remembers the SHA-1 the server returns, then
/// runs it by that hash (`EVALSHA`), sending the source again (`EVAL`) only when the server lost
/// its script cache (a restart, `SCRIPT FLUSH`, a failover).
package struct RedisScript: Sendable, Hashable {
    /// The Lua source.
    package let source: String

    /// A script of `source`.
    package init(_ source: String) { self.source = source }
}
