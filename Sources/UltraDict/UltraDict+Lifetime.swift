import UltraDictCore
import UltraDictMessagePack
import UltraDictTransport

extension UltraDict {
    // MARK: Lifetime

    /// Closes the handle: unlinks the segments if `unlink` is true, or if ``autoUnlink`` is set
    /// and this is the process that opened the handle (a forked child's copy never unlinks), and
    /// releases this handle's copy of the entries.
    ///
    /// After it, the throwing forms (``value(forKey:)``, ``updateValue(_:forKey:)``,
    /// ``applyUpdates()``, ``withLock(timeout:stealAfterTimeout:_:)``, ``status()``, …) throw
    /// `alreadyClosed`; the reads that cannot throw (the subscript, ``count``, ``keys``,
    /// ``values``, ``snapshot``, ``contains(_:)``, iteration, ``description``) find nothing (`nil`,
    /// 0, empty) and ``lastReadError`` is `alreadyClosed`; the subscript's setter traps, as for any
    /// failed write. Closing again does nothing.
    ///
    /// Safe while other threads use the handle: their operations before it complete, and those
    /// after it see it closed.
    public func close(unlink: Bool = false) {
        let unlinks: Bool? = withExclusiveAccess {
            guard !isClosed else { return nil }
            closedFlag.store(true, ordering: .releasing)
            storage = [:]
            readError = closedError()
            updateExitCleanup()
            // A forked child that closes (or drops) a handle it inherited leaves its parent's dictionary alone.
            return unlink || (autoUnlinkSetting && openingPID == ProcessIdentity.currentPID)
        }
        guard let unlinks else { return }
        if let remote {
            if unlinks { unlinkFromServer() }
            remote.close()
        } else if unlinks {
            log.unlinkSegments()
        }
        nesting?.close(unlinkingTree: unlinks)
        // Change sequences end, and a thread in waitForChanges(timeout:) returns.
        changeSources.stopAll()
        log.interruptChangeWaitersOfThisProcess()
    }

    /// Closes the handle and unlinks every segment of the dictionary; other processes keep their
    /// mappings but nobody can attach any more.
    public func unlink() { close(unlink: true) }

    /// Unlinks the segments of the dictionary `name` in `store` (leftovers after a crash), with
    /// its nested dictionaries and their register when it is a recursive root; returns whether
    /// it existed. `serializer` must be the root's (`PickleSerializer()` for a tree that Python
    /// UltraDict made): it says how the register is read.
    ///
    /// When the register cannot be read as the register of a tree with `serializer` (it records
    /// another serializer, or its bytes do not decode), throws, removing nothing.
    @discardableResult
    public static func unlink(
        name: String, store: UltraDictStore = .sharedMemory, serializer: any UltraDictSerializer = MessagePackSerializer()
    ) throws -> Bool {
        try SegmentName.validate(name)
        if let backend = store.remoteBackend { return try unlinkFromServer(name: name, backend: backend, store: store, serializer: serializer) }
        // Only a root whose control block records recursion has a register: `NAME_register` of
        // another dictionary may be a dictionary of its own.
        let segments = store.segmentStore
        let control = (try? segments.attach(name: name, minimumSize: ControlLayout.size)).map(ControlBlock.init)
        let isRoot = control?.recurseFlag == true
        // The register is checked first, so that a wrong serializer removes nothing; then the
        // root goes, so that nobody attaches it (and makes a nested dictionary) any more.
        if isRoot { try NestedDictionaries.checkRegister(ofRoot: name, in: store, serializer: serializer) }
        let existed = try control.map(UpdateLog.unlinkSegments(of:)) ?? UpdateLog.unlinkSegments(name: name, in: segments)
        if isRoot { try NestedDictionaries.unlinkRegistered(rootName: name, in: store, serializer: serializer, ifUnreadable: .isRemoved) }
        return existed
    }

    /// ``unlink(name:store:serializer:)`` in a remote store: the register is checked first, so
    /// that a wrong serializer removes nothing; then the root, then its nested dictionaries.
    private static func unlinkFromServer(name: String, backend: any RemoteBackend, store: UltraDictStore, serializer: any UltraDictSerializer) throws -> Bool {
        let isRoot = try backend.facts(of: name)?.recurse == true
        if isRoot { try NestedDictionaries.checkRegister(ofRoot: name, in: store, serializer: serializer) }
        let existed = try backend.unlink(name: name, onlyIfRecursive: false)
        if isRoot { try NestedDictionaries.unlinkRegistered(rootName: name, in: store, serializer: serializer, ifUnreadable: .isRemoved) }
        return existed
    }

    /// Removes this remote dictionary from its server, for ``close(unlink:)``, which cannot
    /// throw: a failure (the server unreachable, say) goes to the ``logger``.
    private func unlinkFromServer() {
        do {
            _ = try configuration.store.remoteBackend?.unlink(name: name, onlyIfRecursive: false)
        } catch {
            logger.error("cannot unlink '\(name)' from \(configuration.store): \(error)")
        }
    }

    /// Whether ``close(unlink:)`` was called.
    public var closed: Bool { isClosed }

    /// Whether ``close(unlink:)`` was called (an atomic load).
    @inlinable
    var isClosed: Bool { closedFlag.load(ordering: .acquiring) }

    /// Throws `alreadyClosed` after ``close(unlink:)``.
    @inlinable
    func ensureOpen() throws {
        if isClosed { throw closedError() }
    }

    /// The error of an access after ``close(unlink:)``; out of line, so that ``ensureOpen()``
    /// inlines to a load and a branch.
    @usableFromInline
    func closedError() -> UltraDictError {
        UltraDictError(.alreadyClosed, "UltraDict '\(name)' is closed")
    }

    /// Lists this handle in ``ExitCleanup`` while it is open with ``autoUnlink`` set, and only
    /// then; with exclusive access held, or from the initializer.
    func updateExitCleanup() {
        let handle = ObjectIdentifier(self)
        if autoUnlinkSetting && !isClosed {
            ExitCleanup.shared.add(handle, log: log, configuration: configuration, unlinksTree: nesting?.isRoot == true)
        } else {
            ExitCleanup.shared.remove(handle)
        }
    }
}
