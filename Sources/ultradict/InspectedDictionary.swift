#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import UltraDict
import UltraDictPickle
import UltraDictTransport

/// A dictionary's control block, attached without attaching the dictionary: what `list`,
/// `status`, `unlink` and `clean` read, and what the other commands read before choosing how to
/// open the dictionary.
struct InspectedDictionary {
    /// The dictionary's name.
    let name: String
    /// Its control block.
    let control: ControlBlock
    /// Where its segments live.
    let store: UltraDictStore

    /// Attaches the control segment of the dictionary `name`, whoever owns it (inspecting and
    /// cleaning up read every user's; the commands that read entries check the owner when they
    /// open the dictionary) in `store`; throws ``ToolError/notFound(_:)`` when there is none.
    init(name: String, in store: UltraDictStore) throws {
        try SegmentName.validate(name)
        let segment: MappedSegment
        do {
            segment = try store.segmentStore.attach(name: name, minimumSize: ControlLayout.size, allowingForeignOwner: true)
        } catch let error as UltraDictError where (error.underlying as? SystemCallError)?.errno == ENOENT {
            throw ToolError.notFound("no dictionary '\(name)'")
        }
        guard segment.size == ControlLayout.size else {
            throw ToolError.failure("'\(name)' is not a dictionary: its segment has \(segment.size) bytes, a control segment \(ControlLayout.size)")
        }
        self.name = name
        self.store = store
        self.control = ControlBlock(segment: segment)
    }

    /// Whether a Swift process created the dictionary (its own fields are set); otherwise Python
    /// did, or a creator has not finished writing the control block.
    var implementation: String { control.hasOwnFields ? "swift" : "python" }

    /// The segments that make up the dictionary and exist in `directory`, with their roles
    /// (`UpdateLog.segmentNames(of:control:)`: only its own names and dump-shaped ones).
    func segments(in directory: SegmentDirectory) -> [(role: SegmentRole, segment: SegmentDirectory.Segment)] {
        UpdateLog.segmentNames(of: name, control: control).compactMap { role, name in
            directory.segments[name].map { (role, $0) }
        }
    }

    /// The serializer the dictionary records, else the one its bytes show (`pickle` when its full
    /// dump or first stream record starts with a pickle header: Python UltraDict's default,
    /// which records nothing), else `nil`. Costs an attach and a copy of two bytes.
    var serializerIdentifier: String? {
        if let recorded = (try? control.serializerIdentifier()) ?? nil { return recorded }
        let log = try? UpdateLog.attach(name: name, in: store.segmentStore, allowingForeignOwner: true)
        guard let first = log?.firstPayloadPrefix(2), PickleSerializer.startsLikePickle(first) else { return nil }
        return PickleSerializer.identifier
    }

    /// Whether the dictionary was created with `recurse: true` (its control block's recursion
    /// flag): then it is opened with recursion, and it may own a register and nested dictionaries.
    var isRecursive: Bool { control.recurseFlag }

    /// Whether the dictionary is the root of a tree: recursive, with its register `NAME_register`
    /// there. A nested dictionary is recursive without a register of its own.
    var isTreeRoot: Bool { isRecursive && store.segmentStore.exists(name: NestedDictionaries.registerName(ofRoot: name)) }

    /// Whether the creator still runs, or `nil` when no creator is recorded (Python).
    var isCreatorAlive: Bool? {
        let creator = control.creator
        return creator.pid > 0 ? ProcessIdentity.isAlive(pid: creator.pid, startTime: creator.startTime) : nil
    }

    /// The JSON members that `list` and `status` both print: name, implementation, serializer,
    /// lock kind, creator, segments and the processes using them.
    func summary(in directory: SegmentDirectory, users: SegmentUsers) -> [(String, JSON)] {
        let segments = segments(in: directory)
        let creator = control.creator
        let usedBy = Set(segments.flatMap { users.pids(using: $0.segment) }).sorted()
        return [
            ("name", .string(name)),
            ("implementation", .string(implementation)),
            ("serializer", serializerIdentifier.map(JSON.string) ?? .null),
            ("lockKind", .string(control.effectiveLockKind.description)),
            ("creatorPID", creator.pid > 0 ? .int(Int64(creator.pid)) : .null),
            ("creatorAlive", isCreatorAlive.map(JSON.bool) ?? .null),
            ("segments", .array(segments.map { role, segment in
                .object([("name", .string(segment.name)), ("role", .string(role.rawValue)), ("size", .int(Int64(segment.size)))])
            })),
            ("usedBy", .array(usedBy.map { .int(Int64($0)) })),
        ]
    }
}
