import UltraDictCore

/// A server that keeps dictionaries for processes on several hosts, such as Redis: what
/// ``UltraDictStore/remote(_:)`` names. Made by a module of its own (`UltraDictRedis`'s
/// `UltraDictStore.redis(_:)`), not by users.
public struct UltraDictRemoteStore: Sendable, Hashable, CustomStringConvertible {
    /// The server's side of the protocol.
    package let backend: any RemoteBackend

    /// The store of `backend`.
    package init(_ backend: any RemoteBackend) {
        self.backend = backend
    }

    /// The server, without secrets: `Redis redis://127.0.0.1:6379/0`.
    public var description: String { backend.description }

    /// Stores are equal when they name the same server and database.
    public static func == (lhs: UltraDictRemoteStore, rhs: UltraDictRemoteStore) -> Bool {
        lhs.backend.identity == rhs.backend.identity
    }

    /// Hashes the server's identity.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(backend.identity)
    }

    /// Where this process keeps its replicas of the server's dictionaries.
    package var replicaStore: ProcessMemoryStore { ProcessMemoryStore(namespace: backend.identity) }
}

/// The server's side of a remote store: opens dictionaries, and unlinks them.
///
/// Each process keeps one replica of an open dictionary in its own memory
/// (``UltraDictRemoteStore/replicaStore``), an update log that the backend keeps current and
/// that every handle reads as it reads shared memory: the same two loads when nothing is new.
package protocol RemoteBackend: Sendable {
    /// Names the server and database, without secrets; equal for the same dictionaries.
    var identity: String { get }
    /// For messages: `Redis redis://127.0.0.1:6379/0`.
    var description: String { get }
    /// Opens the dictionary `name`: creates it when `create` is true (throws `alreadyExists`
    /// if it exists), attaches when false (throws `cannotAttach` if it does not), either when
    /// `nil`; throws `parameterMismatch` when it was created with other `options` (the lock kind
    /// aside: a remote dictionary's lock is the server's). The replica
    /// is in the store's ``UltraDictRemoteStore/replicaStore`` under `name`, current as of the
    /// open.
    /// `serializer` (the one `options` names) reads the records for the replica's full dumps.
    func open(name: String, create: Bool?, options: UpdateLog.Options, serializer: any UltraDictSerializer) throws -> any RemoteSession
    /// Removes the dictionary `name` from the server at once; returns the names of the server's
    /// objects it removed (for Redis, its keys), none when nothing of it was there. With
    /// `onlyIfRecursive`, removes it only if it was created with `recurse` (a name read from a
    /// nested dictionaries' register never removes a dictionary of another kind).
    func remove(name: String, onlyIfRecursive: Bool) throws -> [String]
    /// The names of the dictionaries on the server, sorted: those whose settings it records.
    /// Names that this package could not open (empty, too long, with `/` or NUL, not UTF-8) are
    /// left out. Costs a walk over the server's names (for Redis, `SCAN`, 1,000 keys per round trip).
    func names() throws -> [String]
    /// The names of the server's objects (for Redis, the keys) of the tree whose root is
    /// `root`: the root's and those of its nested dictionaries, sorted. Costs a walk over the
    /// server's names, as ``names()`` does.
    func keys(ofTree root: String) throws -> [String]
    /// What the server holds of the dictionary `name`, read at one moment without opening it,
    /// or `nil` when the server records no settings for it (it does not exist). One round trip.
    func facts(of name: String) throws -> RemoteDictionaryFacts?
}

extension RemoteBackend {
    /// Removes the dictionary `name` from the server (``remove(name:onlyIfRecursive:)``);
    /// returns whether anything of it was there.
    package func unlink(name: String, onlyIfRecursive: Bool = false) throws -> Bool {
        try !remove(name: name, onlyIfRecursive: onlyIfRecursive).isEmpty
    }
}

/// What a server holds of one dictionary, read at one moment without opening it: what
/// `ultradict list` and `ultradict status` show.
///
/// The server's bytes are untrusted: a fact that the server holds in another shape than the
/// layout's (`Docs/FORMAT.md`) is `nil`, and ``problems`` says why.
package struct RemoteDictionaryFacts: Sendable, Equatable {
    /// One object of the server that holds part of the dictionary: for Redis, a key.
    package struct Part: Sendable, Equatable {
        /// The object's name: `{scores}:log`.
        package var name: String
        /// What it holds for the dictionary: `meta`, `log`, `dump`, `lock` or `fence`.
        package var role: String
        /// The server's type of the object: `hash`, `stream`, `string`.
        package var type: String

        /// A part named `name` in `role`, of the server's `type`.
        package init(name: String, role: String, type: String) {
            (self.name, self.role, self.type) = (name, role, type)
        }
    }

    /// The identifier of the serializer recorded at creation.
    package var serializer: String?
    /// Whether the dictionary was created with `recurse: true`.
    package var recurse: Bool?
    /// The version of the server's layout that the dictionary records.
    package var layoutVersion: Int?
    /// The number of entries of its log: the records and full-dump marks since the log was last trimmed.
    package var logLength: Int?
    /// The position of the log's first entry, `nil` when the log is empty.
    package var firstEntry: String?
    /// The position of the log's last entry, `nil` when the log is empty.
    package var lastEntry: String?
    /// The position of the log entry that the last full dump published, `nil` without one.
    package var fullDumpEntry: String?
    /// The size of the last full dump's snapshot in bytes, `nil` without one.
    package var fullDumpSize: Int?
    /// Whether a process holds the lock (its lease has not expired).
    package var lockHeld: Bool?
    /// How much longer the holder's lease lasts unless it is renewed; `nil` when nobody holds the lock.
    package var leaseRemaining: Duration?
    /// How many times the lock was granted: the fencing counter.
    package var fence: Int64?
    /// The objects that exist, in the layout's order.
    package var parts: [Part] = []
    /// What could not be read, one sentence each.
    package var problems: [String] = []

    /// Facts of which nothing is known yet.
    package init() {}
}

/// One handle's use of a remote dictionary, and the way its writes go to the server.
@usableFromInline
package protocol RemoteSession: AnyObject, Sendable {
    /// Whether this open created the dictionary on the server.
    var isCreator: Bool { get }
    /// The lock that excludes the writers of every host (a lease on the server), re-entrant
    /// across the handles of this process.
    var lock: any UltraDictLock { get }
    /// Appends one encoded update record on the server, in the server's order; returns once the
    /// replica holds it and everything the server had before it. Throws `connection` (nothing
    /// was applied), or `lockStolen` when the calling thread held the lock and lost it.
    func append(_ record: [UInt8]) throws
    /// Publishes an encoded full dump on the server, if the replica holds everything the server
    /// has (returns false otherwise: catch up and try again); returns once the replica holds it.
    func publishFullDump(_ snapshot: [UInt8]) throws -> Bool
    /// Whether reads call ``catchUpBeforeRead()``.
    var catchesUpOnRead: Bool { get }
    /// Before a read: brings the replica up to the server's head when the store asks every read
    /// to, or when the calling thread holds the lock (once per lease: a dictionary of a tree may
    /// hold the lock that another member's lease covers).
    func catchUpBeforeRead() throws
    /// Why the replica is not following the server now (it cannot be reached, say), or `nil`
    /// while it is: reads then serve what the replica has, which may be behind.
    var followingError: UltraDictError? { get }
    /// Brings the replica up to the server's head: one round trip.
    func catchUp() throws
    /// Ends this handle's use: the last one of the process stops keeping the replica current.
    func close()
}
