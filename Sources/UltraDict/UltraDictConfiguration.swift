import UltraDictConcurrency
import UltraDictCore
import UltraDictMessagePack
import UltraDictTransport

/// How a dictionary is opened: its serializer, lock, sizes, store and the rest, as one value
/// that can be kept, changed and passed around (GRDB's `Configuration` is the model).
///
/// ```swift
/// var configuration = UltraDictConfiguration()
/// configuration.store = .files(in: "/var/lib/myapp", durability: .synchronous)
/// configuration.bufferSize = 1 << 20
/// let jobs = try UltraDict<String, Int>(name: "jobs", configuration: configuration)
/// ```
///
/// The serializer, the lock kind, `recurse` and the sizes are fixed when the dictionary is
/// created and recorded in its control block; a handle that attaches with another serializer,
/// lock kind or `recurse` throws `parameterMismatch`. The other settings are each handle's own.
public struct UltraDictConfiguration: Sendable {
    /// How values become bytes; MessagePack by default. Every process must use the same one.
    public var serializer: any UltraDictSerializer
    /// The writers' lock; `SharedSpinLock` by default.
    public var lock: any SharedMemoryLock.Type
    /// Bytes of the update stream, as Python's `buffer_size` (used when creating): 64 MiB by
    /// default. A writer dumps when a record does not fit, or earlier, once the stream has grown
    /// as large as the last snapshot (and at least 1 MiB).
    public var bufferSize: Int
    /// Bytes of one static full-dump segment, as Python's `full_dump_size`; `nil` (the default)
    /// writes each dump to a new segment of the right size.
    public var fullDumpSize: Int?
    /// Whether closing the handle unlinks the segments; `nil` (the default) means "only if this
    /// handle created them" in shared memory, and "never" in a file store, whose dictionaries
    /// exist to outlive their processes.
    public var autoUnlink: Bool?
    /// Whether a `.dictionary` value becomes a nested shared dictionary that every process
    /// changes in place; needs `Value == UltraValue`.
    public var recurse: Bool
    /// Attach a dictionary whose segments another user owns. By default attaching one throws
    /// `foreignOwner`: that user's processes can change what this one reads (`Docs/SECURITY.md`).
    public var allowsForeignOwner: Bool
    /// Where the segments live: POSIX shared memory by default, or a directory of files.
    public var store: UltraDictStore

    /// The default capacity of the update stream: 64 MiB. tmpfs spends memory only on the pages
    /// touched, and a writer dumps once the stream has grown as large as the last snapshot, so
    /// the stream in use stays near the snapshot's size. (A file store reserves the disk blocks.)
    public static var defaultBufferSize: Int { 64 << 20 }

    /// A configuration; every setting has its default unless given.
    public init(
        serializer: any UltraDictSerializer = MessagePackSerializer(),
        lock: any SharedMemoryLock.Type = SharedSpinLock.self,
        bufferSize: Int = defaultBufferSize,
        fullDumpSize: Int? = nil,
        autoUnlink: Bool? = nil,
        recurse: Bool = false,
        allowsForeignOwner: Bool = false,
        store: UltraDictStore = .sharedMemory
    ) {
        self.serializer = serializer
        self.lock = lock
        self.bufferSize = bufferSize
        self.fullDumpSize = fullDumpSize
        self.autoUnlink = autoUnlink
        self.recurse = recurse
        self.allowsForeignOwner = allowsForeignOwner
        self.store = store
    }

    /// What the update log records when it creates the dictionary.
    var logOptions: UpdateLog.Options {
        UpdateLog.Options(
            lockKind: lock.kind, serializerIdentifier: type(of: serializer).identifier, recurse: recurse,
            bufferSize: bufferSize, fullDumpSize: fullDumpSize
        )
    }
}
