import UltraDict
import UltraDictTransport
import _UltraDictSerializerRegistry

/// A dictionary on a server (`--redis`), read without opening it: what `list` and `status`
/// show, and what the other commands read before choosing how to open it. The server's
/// counterpart of ``InspectedDictionary``.
struct ServerDictionary {
    /// The dictionary's name.
    let name: String
    /// What the server holds of it, at one moment.
    let facts: RemoteDictionaryFacts
    /// The server.
    let server: any RemoteBackend

    /// Reads what `server` holds of the dictionary `name` (one round trip); throws
    /// ``ToolError/notFound(_:)`` when the server records no settings for it.
    init(name: String, on server: any RemoteBackend) throws {
        try SegmentName.validate(name)
        guard let facts = try server.facts(of: name) else { throw Self.notFound(name, on: server) }
        (self.name, self.facts, self.server) = (name, facts, server)
    }

    /// Removes the dictionary `name` from `server` (whose store is `store`) and returns the
    /// keys removed; throws ``notFound(_:on:)`` when there were none. A recursive root goes with
    /// its register and the nested dictionaries it lists, as `UltraDict.unlink(name:store:serializer:)`
    /// does, the register read with the serializer the root records; when the tool has no such
    /// serializer, nothing is removed.
    static func unlink(_ name: String, on server: any RemoteBackend, in store: UltraDictStore) throws -> [String] {
        try SegmentName.validate(name)
        let facts = try server.facts(of: name)
        var removed: [String]
        if let facts, facts.recurse == true {
            guard let identifier = facts.serializer, let serializer = SerializerRegistry.serializer(identifier) else {
                throw ToolError.failure("'\(name)' on \(server.description) is the root of nested dictionaries with serializer \(facts.serializer ?? "none"), which this tool cannot read; nothing was removed")
            }
            let before = try server.keys(ofTree: name)
            try UltraDict<String, Int>.unlink(name: name, store: store, serializer: serializer)
            let remaining = Set(try server.keys(ofTree: name))
            removed = before.filter { !remaining.contains($0) }
        } else {
            removed = try server.remove(name: name, onlyIfRecursive: false)
        }
        guard !removed.isEmpty else { throw notFound(name, on: server) }
        return removed
    }

    /// The failure of a command that found no dictionary `name` on `server`.
    static func notFound(_ name: String, on server: any RemoteBackend) -> ToolError {
        .notFound("no dictionary '\(name)' on \(server.description)")
    }

    /// The JSON members that `list` and `status` both print: name, serializer, lock kind (the
    /// server's lease excludes every process, as the shared lock does), recursion, the length of
    /// the log, whether the lock is held, and `nested` (empty: a dictionary on a server has none).
    var summary: [(String, JSON)] {
        [
            ("name", .string(name)),
            ("serializer", facts.serializer.map(JSON.string) ?? .null),
            ("lockKind", .string(UltraDictLockKind.shared.description)),
            ("recurseFlag", facts.recurse.map(JSON.bool) ?? .null),
            ("logLength", facts.logLength.map { .int(Int64($0)) } ?? .null),
            ("lockHeld", facts.lockHeld.map(JSON.bool) ?? .null),
            ("nested", .array([])),
        ]
    }

    /// The members that `status` adds: the server, the layout version, the log's first and last
    /// entries, the full dump's entry and size, the lease's remaining milliseconds, the fencing
    /// counter, the keys that exist, and `problems`.
    var statusFields: [(String, JSON)] {
        let leaseMilliseconds = facts.leaseRemaining.map { duration -> Int64 in
            let (seconds, attoseconds) = duration.components
            return seconds * 1000 + attoseconds / 1_000_000_000_000_000
        }
        return [
            ("server", .string(server.description)),
            ("layoutVersion", facts.layoutVersion.map { .int(Int64($0)) } ?? .null),
            ("firstEntryID", facts.firstEntry.map(JSON.string) ?? .null),
            ("lastEntryID", facts.lastEntry.map(JSON.string) ?? .null),
            ("fullDumpEntryID", facts.fullDumpEntry.map(JSON.string) ?? .null),
            ("fullDumpSize", facts.fullDumpSize.map { .int(Int64($0)) } ?? .null),
            ("leaseRemainingMs", leaseMilliseconds.map(JSON.int) ?? .null),
            ("fence", facts.fence.map(JSON.int) ?? .null),
            ("keys", .array(facts.parts.map { part in
                .object([("name", .string(part.name)), ("role", .string(part.role)), ("type", .string(part.type))])
            })),
            ("problems", .array(facts.problems.map(JSON.string))),
        ]
    }
}
