import Foundation
import UltraDictCore
import UltraDictTransport

extension UltraDictStore {
    /// A Redis server that processes on several hosts share (DESIGN §10, `Docs/REDIS.md`):
    /// `UltraDictConfiguration(store: .redis(url))`. Each process reads its own replica, kept
    /// current by a subscriber on a connection of its own; writes and the lock go to the server.
    public static func redis(_ url: RedisURL, options: RedisOptions = RedisOptions()) -> UltraDictStore {
        .remote(UltraDictRemoteStore(RedisBackend(url: url, options: options)))
    }

    /// ``redis(_:options:)`` with the URL as text: `redis://[user:password@]host:port/db` or
    /// `unix:///path/to/socket`; throws `invalidArgument` for anything else.
    public static func redis(_ url: String, options: RedisOptions = RedisOptions()) throws -> UltraDictStore {
        redis(try RedisURL(url), options: options)
    }
}

/// The Redis side of ``UltraDictStore/redis(_:options:)``: opens dictionaries on the server and
/// keeps one replica of each per process (``Replica``), shared by its handles.
struct RedisBackend: RemoteBackend {
    let url: RedisURL
    let options: RedisOptions

    /// The URL without its password.
    var identity: String { url.description }

    var description: String { "Redis \(url)" }

    func open(name: String, create: Bool?, options logOptions: UpdateLog.Options, serializer: any UltraDictSerializer) throws -> any RemoteSession {
        let keys = try RedisKeys(name: name)
        let client = Replicas.shared.client(for: self)
        let mode = create.map { $0 ? "create" : "attach" } ?? "either"
        let recurse = logOptions.recurse ? "1" : "0"
        let reply = try client.script(DictionaryScripts.open, keys: [keys.meta], arguments: [mode, logOptions.serializerIdentifier, recurse, Self.formatVersion].map { Array($0.utf8) })
        let isCreator: Bool
        switch try OpenAnswer(reply, meta: String(decoding: keys.meta, as: UTF8.self)) {
        case .created: isCreator = true
        case .exists: throw UltraDictError(.alreadyExists, "'\(name)' already exists on \(description)")
        case .missing: throw UltraDictError(.cannotAttach, "'\(name)' does not exist on \(description)")
        case let .attached(serializer, recurseSetting, version):
            isCreator = false
            try check(name: name, recorded: (serializer, recurseSetting, version), asked: (logOptions.serializerIdentifier, recurse))
        }
        return try Replicas.shared.session(of: keys, name: name, on: self, isCreator: isCreator, recurse: logOptions.recurse) { lease in
            let replica = try Replica(name: name, keys: keys, client: client, options: logOptions, serializer: serializer,
                                      store: UltraDictRemoteStore(self).replicaStore, lease: lease)
            replica.startFollowing(url: url, options: options)
            return replica
        }
    }

    /// The version of the Redis layout that `{NAME}:meta` records (`Docs/FORMAT.md`, "Redis").
    static let formatVersion = "1"

    /// Throws `parameterMismatch` when `{NAME}:meta` records other settings than this handle's,
    /// `corruptData` when it records no serializer or another layout.
    private func check(name: String, recorded: (serializer: String?, recurse: String?, version: String?), asked: (serializer: String, recurse: String)) throws {
        guard let serializer = recorded.serializer, let recurse = recorded.recurse, recorded.version == Self.formatVersion else {
            throw UltraDictError(.corruptData, "'\(name)' on \(description): {\(name)}:meta records serializer \(recorded.serializer ?? "none"), recurse \(recorded.recurse ?? "none"), version \(recorded.version ?? "none"); this package reads version \(Self.formatVersion)")
        }
        guard serializer == asked.serializer else {
            throw UltraDictError(.parameterMismatch, "'\(name)' was created with the \(serializer) serializer; this handle asked for \(asked.serializer)")
        }
        guard recurse == asked.recurse else {
            throw UltraDictError(.parameterMismatch, "'\(name)' was created with recurse=\(recurse == "1"); this handle asked for recurse=\(asked.recurse == "1")")
        }
    }
}

/// The replicas of this process, one per dictionary and server, each shared by the handles
/// that have it open; and one client per server for opening and unlinking.
final class Replicas: @unchecked Sendable {
    static let shared = Replicas()

    private let mutex = NSLock()
    private var clients: [String: RedisClient] = [:]
    private var replicas: [String: (replica: Replica, sessions: Int)] = [:]
    /// The lease of each tree (a dictionary without nesting is a tree of one), with its replicas.
    private var leases: [String: (lease: Lease, replicas: Int)] = [:]

    /// The process that made the replicas: a forked child shares their connections, and must
    /// not give their leases up.
    private let processID = getpid()

    private init() {
        // A lease kept for reuse is given up when the process exits normally, so that the
        // other processes need not wait for its window to pass.
        atexit {
            let replicas = Replicas.shared
            if getpid() == replicas.processID { replicas.giveUpKeptLeases() }
        }
    }

    /// Gives up the leases that this process keeps for reuse (``Lease/giveUpKeptLease()``).
    func giveUpKeptLeases() {
        for lease in mutex.withLock({ leases.values.map(\.lease) }) { lease.giveUpKeptLease() }
    }

    /// The client of `backend`'s server.
    func client(for backend: RedisBackend) -> RedisClient {
        mutex.withLock { client(locked: backend) }
    }

    /// ``client(for:)`` with `mutex` held.
    private func client(locked backend: RedisBackend) -> RedisClient {
        if let client = clients[backend.identity] { return client }
        let client = RedisClient(url: backend.url, options: backend.options)
        clients[backend.identity] = client
        return client
    }

    /// A session on the replica of `name`, whose keys are `keys` (made by `make` if this process
    /// has none, given the tree's lease, or a function that makes it from the new replica's lock
    /// words), which keeps it until the session closes.
    func session(
        of keys: RedisKeys, name: String, on backend: RedisBackend, isCreator: Bool, recurse: Bool, make: (_ lease: (LockWords) -> Lease) throws -> Replica
    ) throws -> RedisSession {
        let key = backend.identity + "\u{0}" + name
        let treeKey = backend.identity + "\u{0}" + keys.tag
        return try mutex.withLock {
            var entry = try replicas[key].flatMap { $0.replica.isStopped ? nil : $0 } ?? {
                do {
                    let replica = try make { words in
                        leases[treeKey]?.lease ?? {
                            let lease = Lease(name: keys.tag, keys: keys, client: client(locked: backend), words: words, lease: backend.options.lease)
                            leases[treeKey] = (lease, 0)
                            return lease
                        }()
                    }
                    leases[treeKey]?.replicas += 1
                    return (replica, 0)
                } catch {
                    if let tree = leases[treeKey], tree.replicas == 0 { leases[treeKey] = nil; tree.lease.stop() }
                    throw error
                }
            }()
            entry.sessions += 1
            replicas[key] = entry
            let replica = entry.replica
            let catchesUpOnRead = backend.options.readsCatchUp || recurse || keys.isTreeMember
            return RedisSession(replica: replica, isCreator: isCreator, readsCatchUp: backend.options.readsCatchUp, catchesUpOnRead: catchesUpOnRead) { [self] in
                closeSession(of: key, replica: replica, tree: treeKey)
            }
        }
    }

    /// Ends a session on `replica`; the last one stops it, and the last replica of its tree the lease.
    private func closeSession(of key: String, replica: Replica, tree treeKey: String) {
        let (last, lease): (Bool, Lease?) = mutex.withLock {
            guard let entry = replicas[key], entry.replica === replica else { return (false, nil) }
            if entry.sessions > 1 {
                replicas[key]?.sessions -= 1
                return (false, nil)
            }
            replicas[key] = nil
            leases[treeKey]?.replicas -= 1
            guard let tree = leases[treeKey], tree.replicas == 0 else { return (true, nil) }
            leases[treeKey] = nil
            return (true, tree.lease)
        }
        if last { replica.stop() }
        lease?.stop()
    }
}
