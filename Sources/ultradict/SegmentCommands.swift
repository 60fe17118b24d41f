#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import UltraDict
import UltraDictTransport

/// `ultradict list`: every dictionary in `/dev/shm`, in the directory of `--directory`, or on the
/// server of `--redis`.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List every dictionary in /dev/shm (or --directory, or on the server of --redis), Swift's and Python's, as a JSON array.",
        discussion: """
            A dictionary is a 1000-byte segment NAME beside a segment NAME_memory. Each entry gives \
            its segments and their sizes, the serializer and creator when the creator recorded them \
            (Python records neither), whether the creator still runs, and the processes that map or \
            hold open any of its segments. A dictionary created with recursion lists in 'nested' \
            its register NAME_register and the nested dictionaries it lists, which have entries of \
            their own whose 'root' names it. On a Redis server (--redis), a dictionary is a hash \
            {NAME}:meta of its settings (found with SCAN): each entry gives its serializer, lock \
            kind, recursion, the number of entries of its log {NAME}:log and whether a process \
            holds its lock; a Redis dictionary has no segments, creator or users to show.
            """
    )

    @OptionGroup var location: StoreOptions

    func run() throws {
        if let server = try location.server { return try Self.list(on: server) }
        let directory = try SegmentDirectory(of: location.store.segmentStore)
        let users = SegmentUsers(of: directory)
        var trees: [DictionaryTree] = []
        var entries: [(name: String, members: [(String, JSON)])] = []
        for name in directory.dictionaryNames {
            do {
                let tree = DictionaryTree(root: try InspectedDictionary(name: name, in: location.store))
                trees.append(tree)
                entries.append((name, tree.summary(in: directory, users: users)))
            } catch let error as ToolError where error.status == ToolError.notFoundStatus {
                continue  // Unlinked since the directory was read.
            } catch {
                entries.append((name, [("name", .string(name)), ("error", .string(describe(error)))]))
            }
        }
        var roots: [String: String] = [:]
        for tree in trees { for nested in tree.nested { roots[nested.name] = tree.root.name } }
        printJSON(.array(entries.map { name, members in .object(members + [("root", roots[name].map(JSON.string) ?? .null)]) }))
    }

    /// Lists the dictionaries on `server`: those whose settings it records.
    private static func list(on server: any RemoteBackend) throws {
        var entries: [JSON] = []
        for name in try server.names() {
            do {
                // A dictionary on a server has no nested dictionaries, and no root.
                entries.append(.object(try ServerDictionary(name: name, on: server).summary + [("root", .null)]))
            } catch let error as ToolError where error.status == ToolError.notFoundStatus {
                continue  // Removed since the server was scanned.
            } catch {
                entries.append(.object([("name", .string(name)), ("error", .string(describe(error)))]))
            }
        }
        printJSON(.array(entries))
    }
}

/// `ultradict status NAME`: every field of a control block.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print every field of the dictionary's control block, Python's and this package's, as a JSON object (with --redis, what the server holds of it).",
        discussion: """
            Fields that only a Swift creator writes are null in a dictionary that Python created. \
            'problems' lists fields that hold invalid values. On a Redis server (--redis), what \
            the server holds, read at one moment: the settings of {NAME}:meta, the length and the \
            first and last entry IDs of the log {NAME}:log, the entry ID and size of the full \
            dump {NAME}:dump, whether a process holds the lock {NAME}:lock and how many \
            milliseconds its lease has left, the fencing counter {NAME}:fence, and the keys that \
            exist with their types; a value of another shape is null, and 'problems' says why.
            """
    )

    @Argument(help: "The dictionary's name.") var name: String
    @OptionGroup var location: StoreOptions

    func run() throws {
        if let server = try location.server {
            let dictionary = try ServerDictionary(name: name, on: server)
            return printJSON(.object(dictionary.summary + dictionary.statusFields))
        }
        let dictionary = try InspectedDictionary(name: name, in: location.store)
        let control = dictionary.control
        let own = control.hasOwnFields
        let lock = control.lockState
        let sequence = control.sequence
        var problems: [JSON] = []
        func checked<T>(_ read: () throws -> T?) -> T? {
            do {
                return try read()
            } catch {
                problems.append(.string(describe(error)))
                return nil
            }
        }
        let fullDumpName = checked(control.fullDumpName)
        _ = checked(control.serializerIdentifier)
        let fields: [(String, JSON)] = [
            ("streamPosition", .int(Int64(control.streamPosition))),
            ("lockOwnerPID", .int(Int64(lock.ownerPID))),
            ("lockOwnerAlive", lock.ownerPID > 0 ? .bool(ProcessIdentity.isAlive(pid: lock.ownerPID, startTime: 0)) : .null),
            ("lockHeld", .bool(lock.isHeld)),
            ("fullDumpCounter", .int(Int64(control.fullDumpCounter))),
            ("staticFullDumpSize", .int(Int64(control.staticFullDumpSize))),
            ("sharedLockFlag", .bool(control.sharedLockFlag)),
            ("recurseFlag", .bool(control.recurseFlag)),
            ("fullDumpName", fullDumpName.map(JSON.string) ?? .null),
            ("layoutVersion", control.layoutVersion.map { .int(Int64($0)) } ?? .null),
            ("creatorStartTime", own ? .uint(control.creator.startTime) : .null),
            ("lockOwnerIdentity", own ? .uint(lock.ownerIdentity) : .null),
            ("sequence", own ? .uint(sequence) : .null),
            ("publishing", own ? .bool(sequence & 1 == 1) : .null),
            ("streamCapacity", own ? .int(Int64(control.streamCapacity)) : .null),
        ]
        let directory = try SegmentDirectory(of: location.store.segmentStore)
        let summary = DictionaryTree(root: dictionary).summary(in: directory, users: SegmentUsers(of: directory))
        printJSON(.object(summary + fields + [("problems", .array(problems))]))
    }
}

/// `ultradict unlink NAME`: removes a dictionary's segments, or its keys on a Redis server.
struct UnlinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlink",
        abstract: "Unlink every segment of the dictionary (its keys, with --redis) and print their names as a JSON array.",
        discussion: """
            Processes that have the dictionary open keep their mappings; nobody can attach it any \
            more. A dictionary created with recursion goes with its register NAME_register and the \
            nested dictionaries the register lists, as UltraDict.unlink(name:) does. On a Redis \
            server (--redis), the keys go at once (a root's with those of its tree) and their names are printed; the \
            processes that have it open notice within about a second (their change sequences and \
            'watch' end).
            """
    )

    @Argument(help: "The dictionary's name.") var name: String
    @OptionGroup var location: StoreOptions

    func run() throws {
        if let server = try location.server {
            return printJSON(.array(try ServerDictionary.unlink(name, on: server, in: location.store).map(JSON.string)))
        }
        printJSON(.array(try DictionaryTree(root: InspectedDictionary(name: name, in: location.store)).unlink().map(JSON.string)))
    }
}

/// `ultradict clean`: removes what crashed processes left in `/dev/shm` (or in `--directory`).
struct CleanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clean",
        abstract: "Unlink the dictionaries nobody uses any more, and orphaned full dumps; print them as a JSON array.",
        discussion: """
            A dictionary is removed when its creator is dead (or unknown: Python records none) and \
            no live process maps or holds open any of its segments (/proc/*/maps, /proc/*/fd). One \
            created with recursion goes with its register and nested dictionaries, when nobody uses \
            any of them either; they are never removed on their own while it exists. A full-dump \
            segment psm_xxxxxxxx is removed when no dictionary's control block names it (as its \
            current, pending or replaced dump), nobody uses it, and it belongs to the user running \
            the command (also for root: another user's psm_ segment may be any Python program's): \
            a Python writer that died between creating and publishing a dump leaves one. Each entry is {"kind": "dictionary" \
            or "dump", "name", "segments"}. A process that attaches a dictionary while it is being \
            removed keeps what it mapped. Run as the owner of the segments or as root: processes \
            whose /proc entries cannot be read are not seen. With --directory, dictionaries are \
            kept (a file store's exist to outlive their creators: remove one with 'unlink'), and \
            only orphaned full dumps are removed. With --redis there is nothing to clean: a \
            crashed process leaves nothing on the server (the lease of a lock it held expires by \
            itself), so the command prints [] and says so on standard error.
            """
    )

    @Flag(help: "Print what would be removed, and remove nothing.")
    var dryRun = false

    @Option(help: "Consider only dictionaries and dump segments whose names start with this prefix.")
    var prefix = ""

    @OptionGroup var location: StoreOptions

    func run() throws {
        let store = try location.store
        if let server = store.remoteBackend {
            // A process that dies leaves nothing on a server: its lease expires by itself, and
            // its replica was in its own memory.
            note("nothing to clean on \(server.description): a crashed process leaves nothing there (its lease on the lock expires by itself); remove a dictionary with 'unlink'")
            return printJSON(.array([]))
        }
        // The order matters: segments listed first, their users next, the dump names that control
        // blocks publish last. A writer holds a new dump mapped until it has published its name,
        // so a listed dump is either seen in use or seen named.
        let directory = try SegmentDirectory(of: store.segmentStore)
        let users = SegmentUsers(of: directory)
        var namedDumps: Set<String> = []
        var unreadable: [String] = []
        var trees: [DictionaryTree] = []
        for name in directory.dictionaryNames {
            do {
                let dictionary = try InspectedDictionary(name: name, in: store)
                namedDumps.formUnion(dictionary.segments(in: directory).map(\.segment.name))
                trees.append(DictionaryTree(root: dictionary))
            } catch let error as ToolError where error.status == ToolError.notFoundStatus {
                continue
            } catch {
                unreadable.append("'\(name)' (\(describe(error)))")
            }
        }
        // A register or nested dictionary goes with its root, never on its own while the root is there.
        let nested = Set(trees.flatMap { $0.nested.map(\.name) })
        var removed: [JSON] = []
        // A file store's dictionaries exist to outlive their creators: only `unlink` removes them.
        for tree in trees where !nested.contains(tree.root.name) && !store.segmentStore.isDurableAcrossRestarts {
            let segments = tree.segments(in: directory)
            guard tree.root.name.hasPrefix(prefix), tree.root.isCreatorAlive != true,
                  segments.allSatisfy({ users.pids(using: $0).isEmpty }) else { continue }
            do {
                let names = dryRun ? segments.map(\.name) : try tree.unlink()
                removed.append(Self.entry(kind: "dictionary", name: tree.root.name, segments: names))
            } catch {
                unreadable.append("'\(tree.root.name)' (\(describe(error)))")
            }
        }
        if unreadable.isEmpty {
            // A `psm_` name with a control segment's size and a stream is a dictionary (Python
            // names its nested dictionaries so), not a dump.
            let dictionaries = Set(directory.dictionaryNames)
            for dump in directory.dumpSegmentNames where dump.hasPrefix(prefix) && !namedDumps.contains(dump) && !dictionaries.contains(dump) {
                // Another user's `psm_` segment may be any Python program's shared memory: only its owner cleans it.
                guard let segment = directory.segments[dump], segment.owner == geteuid(), users.pids(using: segment).isEmpty else { continue }
                if try dryRun || store.segmentStore.unlink(name: dump) {
                    removed.append(Self.entry(kind: "dump", name: dump, segments: [dump]))
                }
            }
        } else {
            // Those control blocks may name dumps: keep every dump rather than guess.
            warn("cannot read \(unreadable.joined(separator: ", ")); orphaned dumps are kept")
        }
        printJSON(.array(removed))
    }

    private static func entry(kind: String, name: String, segments: [String]) -> JSON {
        .object([("kind", .string(kind)), ("name", .string(name)), ("segments", .array(segments.map(JSON.string)))])
    }
}
