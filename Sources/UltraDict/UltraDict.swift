import Atomics
import Logging
import UltraDictConcurrency
import UltraDictCore
import UltraDictMessagePack
import UltraDictTransport

/// A dictionary shared between processes through POSIX shared memory, or through a directory
/// of mapped files that outlives every process and a reboot (``UltraDictConfiguration/store``).
///
/// Every handle keeps a local `[Key: Value]` and the shared segments keep a log of changes: a
/// write appends one serialized record to the update stream (a full dump of the whole dictionary
/// when the stream is full), and every read first applies what other processes published since
/// the handle's last access. Reads take no lock: when nothing changed, a read costs two atomic
/// loads and a hash lookup.
///
/// ```swift
/// let scores = try UltraDict<String, Int>(name: "scores")          // process A
/// scores["alice"] = 3
/// try scores.withLock { d in d["alice", default: 0] += 1 }
///
/// let same = try UltraDict<String, Int>(name: "scores", create: false)  // process B
/// same["alice"]  // 4
/// ```
///
/// The serializer and the lock are chosen when the dictionary is created (MessagePack and the
/// shared spinlock by default) and recorded in shared memory; attaching with others throws
/// `parameterMismatch`. Every setting can be given as one ``UltraDictConfiguration``:
///
/// ```swift
/// let jobs = try UltraDict<String, Int>(
///     name: "jobs", configuration: UltraDictConfiguration(store: .files(in: "/var/lib/jobs", durability: .synchronous))
/// )
/// ```
///
/// Errors: every operation has a throwing form (``value(forKey:)``, ``updateValue(_:forKey:)``,
/// ``removeValue(forKey:)``). The subscript cannot throw, so its **setter traps** on failure (a
/// write is never dropped silently) and its **getter returns the last value this handle
/// validated** when new changes cannot be read (``lastReadError`` then holds why).
///
/// ## Threads and tasks
///
/// A handle is `Sendable` (when `Key` and `Value` are): keep it in a global, a `static let` or
/// an actor, capture it in tasks, and use it from any number of threads at once. Reads stay
/// near a plain dictionary lookup, and threads reading one handle at once do not wait for each
/// other. No lock is held across a suspension point: every operation is synchronous.
///
/// How: a `HandleLock` per handle guards every piece of its mutable state (the entries, the
/// cursor, the buffers, `lastReadError`, the settings). A read that finds nothing new (two
/// atomic loads of the published counter and position) looks the key up in *shared* access,
/// which costs two atomic stores to a cache line that only its thread writes, so that
/// readers in different threads never write a line in common. Whatever changes the state takes
/// *exclusive* access, which waits for the readers to leave: applying what other processes
/// published (a read that finds something new does that first), a write, a full dump,
/// ``close(unlink:)``. Writers of one dictionary in this process are serialized by its lock
/// (one per dictionary in a process, whatever the handle) before they take exclusive access,
/// never after, so the two cannot deadlock; nor does a thread that holds exclusive access
/// wait for itself (it is re-entrant, and a read from inside it takes it again). A
/// ``withLock(timeout:stealAfterTimeout:_:)`` body holds the dictionary's lock but not exclusive
/// access, so other threads go on reading the handle while it runs. `Docs/ARCHITECTURE.md`
/// ("One handle, many threads") has the rest, with the figures that chose this design.
public final class UltraDict<Key: Hashable & Codable, Value: Codable> {
    /// The default capacity of the update stream: 64 MiB (``UltraDictConfiguration/defaultBufferSize``).
    public static var defaultBufferSize: Int { UltraDictConfiguration.defaultBufferSize }

    /// The dictionary's name: its control segment's POSIX name without the leading `/`.
    public let name: String
    /// The settings this handle was opened with (its ``autoUnlink`` may have changed since).
    public let configuration: UltraDictConfiguration

    // The hot paths are inlinable, so that they are specialized for `Key` and `Value` in the
    // caller's module; the state they use is therefore `@usableFromInline`. Every `var` below is
    // read only with shared or exclusive access and written only with exclusive access
    // (`UltraDict+Access.swift`), so that exclusivity holds without being checked at run time;
    // `cursor` alone may also be read without access, being an atomic.
    /// Guards every mutable property of this handle (see "Threads and tasks" above).
    @usableFromInline let handleLock = HandleLock()
    @usableFromInline @exclusivity(unchecked) var storage: [Key: Value] = [:]
    /// What this handle has applied (``cursor``), packed in one word (`LogCursor.packed`), so
    /// that ``withLock(timeout:stealAfterTimeout:_:)`` can tell without shared access whether
    /// anything was published since. It changes only with exclusive access (a release store):
    /// after the entries when they are caught up, and within a write. Read without access by
    /// that check (which holds the dictionary's lock, so no write of this process is under way),
    /// ``status()`` and ``waitForChanges(timeout:)``, which read no entries.
    @usableFromInline let appliedCursor = UnsafeAtomic<UInt64>.create(0)
    /// What this handle has applied: ``appliedCursor``, unpacked.
    @inlinable var cursor: LogCursor {
        get { LogCursor(packed: appliedCursor.load(ordering: .acquiring)) }
        set { appliedCursor.store(newValue.packed, ordering: .releasing) }
    }
    @usableFromInline @exclusivity(unchecked) var encodeBuffer: [UInt8] = []
    /// Where each read copies the new records to, kept rather than allocated per read.
    let recordBuffer = RecordBuffer()
    /// The sources of this handle's ``changes(startingWithCurrentEntries:)`` sequences, ended when it closes.
    let changeSources = ChangeSources()
    /// Whether records in ``recordBuffer`` are being applied: a read from inside (a key or value
    /// type's decoding reading this handle) must not refill the buffer under them.
    @exclusivity(unchecked) var isApplyingRecords = false
    /// Whether ``close(unlink:)`` was called: an atomic, so that checking it takes no access;
    /// set with exclusive access, and every change that exclusive access makes checks it first.
    @usableFromInline let closedFlag = UnsafeAtomic<Bool>.create(false)
    /// The thread that holds the dictionary's lock through this handle (``holdingLock(timeout:stealAfterTimeout:_:)``),
    /// as its `cud_thread_token()`, 0 when none: a write inside `withLock` on this handle then
    /// skips taking the lock again. Only the holder stores its token and clears it, so a thread
    /// that finds its own token there holds the lock; a forked child's tokens differ from its
    /// parent's, so it never does.
    @usableFromInline let lockHolder = UnsafeAtomic<UInt64>.create(0)
    @usableFromInline let log: UpdateLog
    @usableFromInline let serializer: any UltraDictSerializer
    @usableFromInline let keyConverter = UltraValueConverter<Key>()
    @usableFromInline let valueConverter = UltraValueConverter<Value>()
    @usableFromInline let lock: any UltraDictLock
    /// The server's side when the dictionary is in a remote store (``UltraDictStore/remote(_:)``):
    /// writes go there, and ``log`` is this process's replica, which it keeps current.
    @usableFromInline let remote: (any RemoteSession)?
    /// Whether reads first let the remote session catch the replica up (`RemoteSession.catchUpBeforeRead()`).
    @usableFromInline let catchesUpOnRead: Bool
    /// Applies validated changes to this handle: ``apply(_:reloading:)``, which the inlinable
    /// initializer replaces with its specialization for `Key` and `Value`, so that every read
    /// path, inlinable or not, decodes records without generic dispatch. Written only by the
    /// initializer, before any other thread can see the handle.
    @usableFromInline @exclusivity(unchecked) var applyChanges: (UltraDict, LogChanges, _ reloading: Bool) throws -> Void = {
        try $0.apply($1, reloading: $2)
    }

    /// Whether a `.dictionary` value stored here becomes a nested shared dictionary; fixed when the
    /// dictionary is created. The subscript, ``value(forKey:)`` and ``deepCopy()`` return nested
    /// dictionaries' contents; ``snapshot``, ``values`` and iteration return them as stored, as
    /// references (`Docs/FORMAT.md`, "Nested dictionaries"); ``nested(_:)`` returns a live handle.
    public let recurse: Bool
    /// The nested dictionaries' bookkeeping, when ``recurse`` is set.
    @usableFromInline let nesting: Nesting?

    /// Whether closing this handle unlinks the segments; by default, true for the creator of a
    /// dictionary in shared memory and false in a file store (which exists to outlive it). While
    /// it is set, the segments are also unlinked when this process exits normally with the
    /// handle still open (a handle in a global, say): see ``close(unlink:)``.
    public var autoUnlink: Bool {
        get { withSharedAccess { autoUnlinkSetting } }
        set {
            withExclusiveAccess {
                autoUnlinkSetting = newValue
                updateExitCleanup()
            }
        }
    }
    /// ``autoUnlink``'s value.
    @exclusivity(unchecked) var autoUnlinkSetting: Bool
    /// The process that opened this handle: only it auto-unlinks, never a forked child.
    let openingPID = ProcessIdentity.currentPID

    /// Why the last lock-free refresh failed, if it did; cleared by the next successful one.
    /// After ``close(unlink:)``, `alreadyClosed`. In a remote store, also why the replica that
    /// reads serve is not following the server now (`connection`, say), while it is not.
    public var lastReadError: UltraDictError? { withSharedAccess { readError } ?? remote?.followingError }
    /// ``lastReadError``'s value.
    @exclusivity(unchecked) var readError: UltraDictError?

    /// The last failed read of published changes, so that it is not tried again until a writer
    /// publishes more (``applyPublishedChanges(since:repairing:)``).
    @exclusivity(unchecked) var failedRead: FailedRead?

    /// Where warnings go: a reader that fell behind the full dumps, a repaired publication, a
    /// read that failed behind the subscript. Labelled `UltraDict`, with the name as metadata.
    public var logger: Logger {
        get { withSharedAccess { loggerSetting } }
        set { withExclusiveAccess { loggerSetting = newValue } }
    }
    /// ``logger``'s value.
    @exclusivity(unchecked) var loggerSetting: Logger

    /// Opens a dictionary with the settings of `configuration`.
    ///
    /// - Parameters:
    ///   - name: the shared name; `nil` makes a random one (read it back from ``name``). 1 to 240
    ///     UTF-8 bytes, no `/`.
    ///   - create: `true` to create (throws `alreadyExists` if it exists), `false` to attach
    ///     (throws `cannotAttach` if it does not), `nil` for either.
    ///   - configuration: the serializer, lock, sizes, store and the rest.
    @inlinable
    public convenience init(name: String? = nil, create: Bool? = nil, configuration: UltraDictConfiguration) throws {
        try self.init(name: name, create: create, configuration: configuration, tree: nil)
        // Here rather than in the designated initializer: this one is inlinable, so the closure is
        // specialized for `Key` and `Value`, and so is loading what is already published.
        applyChanges = { try $0.apply($1, reloading: $2) }
        try refresh()
    }

    /// Opens a dictionary in POSIX shared memory: the short form of
    /// ``init(name:create:configuration:)`` for the common cases, such as
    /// `UltraDict<String, Int>(name: "scores")`.
    ///
    /// - Parameters:
    ///   - name: the shared name; `nil` makes a random one (read it back from ``name``). 1 to 240
    ///     UTF-8 bytes, no `/`.
    ///   - create: `true` to create (throws `alreadyExists` if it exists), `false` to attach
    ///     (throws `cannotAttach` if it does not), `nil` for either.
    ///   - bufferSize: bytes of the update stream, as Python's `buffer_size` (used when creating).
    ///     A writer dumps when a record does not fit, or earlier, once the stream has grown as
    ///     large as the last snapshot (and at least 1 MiB).
    ///   - fullDumpSize: bytes of one static full-dump segment, as Python's `full_dump_size`;
    ///     `nil` writes each dump to a new segment of the right size.
    ///   - autoUnlink: whether ``close(unlink:)`` and `deinit` unlink the segments; `nil` means
    ///     "only if this handle created them" (in shared memory; never in a file store).
    ///   - serializer: how values become bytes; MessagePack by default.
    ///   - lock: the writers' lock; `SharedSpinLock` by default.
    ///   - recurse: whether a `.dictionary` value becomes a nested shared dictionary that every
    ///     process changes in place (see ``nested(_:)``); needs `Value == UltraValue`.
    ///   - allowingForeignOwner: attach a dictionary whose segments another user owns. By
    ///     default attaching one throws `foreignOwner`: that user's processes can change what
    ///     this one reads (`Docs/SECURITY.md`). Nested dictionaries opened through this handle
    ///     inherit the setting.
    @inlinable
    public convenience init<Serializer: UltraDictSerializer, Lock: SharedMemoryLock>(
        name: String? = nil,
        create: Bool? = nil,
        bufferSize: Int = defaultBufferSize,
        fullDumpSize: Int? = nil,
        autoUnlink: Bool? = nil,
        serializer: Serializer = MessagePackSerializer(),
        lock: Lock.Type = SharedSpinLock.self,
        recurse: Bool = false,
        allowingForeignOwner: Bool = false
    ) throws {
        try self.init(name: name, create: create, configuration: UltraDictConfiguration(
            serializer: serializer, lock: lock, bufferSize: bufferSize, fullDumpSize: fullDumpSize, autoUnlink: autoUnlink,
            recurse: recurse, allowsForeignOwner: allowingForeignOwner
        ))
    }

    /// Opens a dictionary without loading its contents (the caller then calls ``refresh()``); a
    /// nested one (`tree` set) joins its root's tree instead of being a root.
    @usableFromInline
    init(name: String?, create: Bool?, configuration: UltraDictConfiguration, tree: NestedTree?) throws {
        guard !configuration.recurse || Value.self == UltraValue.self else {
            throw UltraDictError(.invalidArgument, "recurse: true needs Value == UltraValue, got \(Value.self)")
        }
        let store = configuration.store.segmentStore
        let options = configuration.logOptions
        guard let name = name ?? (create != false ? SegmentName.random(prefix: "ultradict_") : nil) else {
            throw UltraDictError(.invalidArgument, "create: false needs the name of the dictionary to attach")
        }
        let remote = try configuration.store.remoteBackend.map { backend in
            try SegmentName.validate(name)
            return try backend.open(name: name, create: create, options: options, serializer: configuration.serializer)
        }
        // A remote dictionary's replica is in this process's memory, under the same name.
        let log = try remote == nil ? Self.openLog(name: name, create: create, configuration: configuration) : UpdateLog.attach(name: name, in: store)
        // A remote dictionary's settings were checked against the server's record by the backend.
        if remote == nil { try Self.checkParameters(of: log, options: options) }
        self.name = log.name
        self.log = log
        self.configuration = configuration
        self.serializer = configuration.serializer
        self.lock = remote?.lock ?? configuration.lock.init(name: log.name, words: log.control.lockWords)
        self.remote = remote
        self.catchesUpOnRead = remote?.catchesUpOnRead ?? false
        self.autoUnlinkSetting = configuration.autoUnlink ?? (log.isCreator && !log.store.isDurableAcrossRestarts)
        var logger = Logger(label: "UltraDict")
        logger[metadataKey: "dictionary"] = .string(log.name)
        self.loggerSetting = logger
        self.recurse = configuration.recurse
        nesting = recurse ? try Nesting(
            tree: tree ?? NestedTree(rootName: log.name, isCreator: remote?.isCreator ?? log.isCreator, configuration: configuration),
            isRoot: tree == nil
        ) : nil
        updateExitCleanup()
    }

    /// Creates or attaches (`create`: `nil` for either) the update log of a dictionary in a segment store.
    private static func openLog(name: String, create: Bool?, configuration: UltraDictConfiguration) throws -> UpdateLog {
        let (store, options) = (configuration.store.segmentStore, configuration.logOptions)
        if create != false {
            do {
                return try UpdateLog.create(name: name, options: options, in: store)
            } catch UltraDictError.alreadyExists where create == nil {}
        }
        return try UpdateLog.attach(name: name, in: store, allowingForeignOwner: configuration.allowsForeignOwner)
    }

    private static func checkParameters(of log: UpdateLog, options: UpdateLog.Options) throws {
        let (lockKind, serializer, recurse) = (options.lockKind, options.serializerIdentifier, options.recurse)
        let control = log.control
        let theirLock = control.effectiveLockKind
        guard theirLock == lockKind else {
            throw UltraDictError(.parameterMismatch, "'\(log.name)' was created with the \(theirLock) lock; this handle asked for the \(lockKind) lock")
        }
        if let theirs = try control.serializerIdentifier(), theirs != serializer {
            throw UltraDictError(.parameterMismatch, "'\(log.name)' was created with the \(theirs) serializer; this handle asked for \(serializer)")
        }
        guard control.recurseFlag == recurse else {
            throw UltraDictError(.parameterMismatch, "'\(log.name)' was created with recurse=\(control.recurseFlag); this handle asked for recurse=\(recurse)")
        }
    }

    deinit {
        close()
        closedFlag.destroy()
        lockHolder.destroy()
        appliedCursor.destroy()
    }
}

/// Safe from any thread: see "Threads and tasks" in the type's documentation; the
/// conformance is unchecked because the `HandleLock` guards the state, not the compiler.
extension UltraDict: @unchecked Sendable where Key: Sendable, Value: Sendable {}
