import Foundation
import UltraDictCore
import UltraDictTransport

/// One change of a shared dictionary, as ``UltraDict/changes(startingWithCurrentEntries:)`` delivers it.
public enum UltraDictChange<Key, Value> {
    /// `key` was set to `value` (also when it already held it: every write is a change).
    case set(Key, Value)
    /// `key` was removed.
    case removed(Key)

    /// The key that changed.
    public var key: Key {
        switch self {
        case .set(let key, _), .removed(let key): key
        }
    }
}

extension UltraDictChange: Sendable where Key: Sendable, Value: Sendable {}
extension UltraDictChange: Equatable where Key: Equatable, Value: Equatable {}

/// The changes to a shared dictionary from the moment it was made, in order, as an
/// `AsyncSequence`: ``UltraDict/changes(startingWithCurrentEntries:)``.
///
/// It has its own mapping of the dictionary and its own cursor, and a thread of its own that
/// waits in the kernel until a writer of this package wakes it (a Python writer's change shows
/// within 100 ms), so that no cooperative thread blocks and an idle sequence costs no CPU. It
/// ends when the dictionary is unlinked (within microseconds when a process of this package
/// unlinks it, since the unlink wakes it; within about a second otherwise, or when that wake
/// came between two of its sleeps), when the handle that made it closes, and when the iterating
/// task is cancelled. Iterate it once.
public struct UltraDictChanges<Key: Hashable & Codable, Value: Codable>: AsyncSequence {
    /// One change.
    public typealias Element = UltraDictChange<Key, Value>

    /// The source, or why it could not be opened (thrown by the first `next()`).
    let source: Result<ChangeSource, any Error>

    /// The sequence's thread, as a task executor: a task that prefers it runs its nonisolated
    /// code on the thread that waits for the changes, so that a change reaches the loop with one
    /// wake-up instead of two (the thread's, then a cooperative thread's):
    ///
    /// ```swift
    /// let changes = scores.changes()
    /// let watcher = Task(executorPreference: changes.executor) {
    ///     for try await change in changes { print(change) }
    /// }
    /// ```
    ///
    /// The thread serves one task well: work of other tasks that prefer it waits until the
    /// thread is between two waits (a job that comes during a wait interrupts it, and the wait
    /// resumes after the job). After the sequence ended, such work runs on the global
    /// concurrent executor. Without this preference the loop runs where it would anyway.
    @available(macOS 15, iOS 18, tvOS 18, watchOS 11, visionOS 2, *)
    public var executor: any TaskExecutor {
        (try? source.get()) ?? globalConcurrentExecutor
    }

    /// The iterator: each `next()` returns a change, or `nil` once the sequence ended.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let subscription: Result<ChangeSubscription, any Error>
        var pending: ArraySlice<ChangeFeed.Change> = []
        let keys = UltraValueConverter<Key>()
        let values = UltraValueConverter<Value>()

        /// The next change, waited for without blocking a cooperative thread; `nil` at the end.
        /// Throws `typeMismatch` for a key or value that is not a `Key` or `Value`.
        public mutating func next() async throws -> Element? {
            if pending.isEmpty { pending = try await subscription.get().source.nextBatch()[...] }
            switch pending.popFirst() {
            case .set(let key, let value)?: return .set(try keys.value(from: key), try values.value(from: value))
            case .delete(let key)?: return .removed(try keys.value(from: key))
            case nil: return nil
            }
        }
    }

    /// An iterator over the changes.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(subscription: source.map(ChangeSubscription.init))
    }
}

extension UltraDictChanges: @unchecked Sendable where Key: Sendable, Value: Sendable {}

extension UltraDict {
    // MARK: Being told of changes

    /// The changes every process makes to the dictionary from now on, this one's included, in
    /// order: a set with its key and value, a removal with its key. A full dump whose records the
    /// sequence did not see one by one (another process compacted the stream meanwhile) comes as
    /// the difference it made: the removed keys, then the keys whose values changed.
    ///
    /// ```swift
    /// for try await change in scores.changes() {
    ///     switch change {
    ///     case .set(let key, let value): print("\(key) = \(value)")
    ///     case .removed(let key): print("\(key) removed")
    ///     }
    /// }
    /// ```
    ///
    /// The sequence starts when this is called: with `startingWithCurrentEntries`, it first sets
    /// every entry the dictionary holds then (so that an observer misses nothing between reading
    /// and watching). It keeps its own copy of the entries, to compute what a full dump changed.
    /// In a dictionary with ``recurse``, a nested dictionary comes as its reference, as
    /// ``snapshot`` has it. See ``UltraDictChanges`` for how it waits and when it ends.
    public func changes(startingWithCurrentEntries: Bool = false) -> UltraDictChanges<Key, Value> {
        changes(initially: startingWithCurrentEntries ? .all : .none) { $0.description < $1.description }
    }

    /// What a change sequence yields before the changes: the entries the dictionary holds.
    package enum InitialEntries {
        /// Nothing.
        case none
        /// Every entry, in the sequence's key order.
        case all
        /// The entry of `key`: a set, or a removal when it is absent.
        case only(Key)
    }

    /// ``changes(startingWithCurrentEntries:)``, starting with the `initially` entries, with what
    /// a full dump changed and the entries in `keyOrder` (the command-line tool's JSON order).
    package func changes(
        initially: InitialEntries, keyOrder: @escaping (UltraValue, UltraValue) -> Bool
    ) -> UltraDictChanges<Key, Value> {
        UltraDictChanges(source: Result {
            try ensureOpen()
            let log = try UpdateLog.attach(name: name, in: self.log.store, allowingForeignOwner: configuration.allowsForeignOwner)
            var feed = ChangeFeed(log: log, serializer: serializer, keyOrder: keyOrder)
            _ = try feed.changes()
            let entries = feed.entries
            let initial: [ChangeFeed.Change]
            switch initially {
            case .none: initial = []
            case .all: initial = entries.keys.sorted(by: keyOrder).map { .set($0, entries[$0]!) }
            case .only(let key):
                let tree = try keyConverter.tree(for: key)
                initial = [entries[tree].map { .set(tree, $0) } ?? .delete(tree)]
            }
            let source = ChangeSource(feed: feed, initial: initial)
            changeSources.add(source)
            return source
        })
    }

    /// The values of `key` as they change, starting with the current one: a value for each set,
    /// `nil` for a removal (and first, when the key is absent). An observer of one key; see
    /// ``changes(startingWithCurrentEntries:)``.
    public func values(forKey key: Key) -> UltraDictValues<Key, Value> {
        UltraDictValues(key: key, changes: changes(initially: .only(key), keyOrder: { $0.description < $1.description }))
    }

    /// Blocks the calling thread until another process (or handle) publishes something this
    /// handle has not applied, or `timeout` passes (`nil`: until then); returns whether something
    /// changed. The next read applies it. It sleeps in the kernel: a writer of this package wakes
    /// it within microseconds, a Python writer's change shows within 100 ms. Returns `false` at
    /// once if the handle is closed from another thread. Not for async code: use
    /// ``changes(startingWithCurrentEntries:)`` there.
    public func waitForChanges(timeout: Duration? = nil) throws -> Bool {
        try ensureOpen()
        return log.waitForChanges(since: cursor, timeout: timeout) { isClosed } == .changed && !isClosed
    }
}

/// The sources of a handle's change sequences, ended when the handle closes.
final class ChangeSources: @unchecked Sendable {
    private let mutex = NSLock()
    private var sources: [() -> Void] = []

    /// Lists `source`, held weakly, to be stopped with the handle.
    func add(_ source: ChangeSource) {
        mutex.lock()
        sources.append { [weak source] in source?.stop() }
        mutex.unlock()
    }

    /// Ends every listed sequence.
    func stopAll() {
        mutex.lock()
        let stops = sources
        sources = []
        mutex.unlock()
        for stop in stops { stop() }
    }
}

/// The values of one key as they change: ``UltraDict/values(forKey:)``.
public struct UltraDictValues<Key: Hashable & Codable, Value: Codable>: AsyncSequence {
    /// The key's value after a change; `nil` when it was removed.
    public typealias Element = Value?

    let key: Key
    let changes: UltraDictChanges<Key, Value>

    /// The thread that waits for the key's changes, as a task executor: see
    /// ``UltraDictChanges/executor``.
    @available(macOS 15, iOS 18, tvOS 18, watchOS 11, visionOS 2, *)
    public var executor: any TaskExecutor { changes.executor }

    /// The iterator: the key's values, `nil` once the sequence ended.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let key: Key
        var changes: UltraDictChanges<Key, Value>.AsyncIterator

        /// The key's next value (`.some(nil)` for a removal), or `nil` at the end.
        public mutating func next() async throws -> Value?? {
            while let change = try await changes.next() {
                guard change.key == key else { continue }
                switch change {
                case .set(_, let value): return .some(value)
                case .removed: return .some(nil)
                }
            }
            return nil
        }
    }

    /// An iterator over the key's values.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(key: key, changes: changes.makeAsyncIterator())
    }
}

extension UltraDictValues: @unchecked Sendable where Key: Sendable, Value: Sendable {}
