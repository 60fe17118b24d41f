import UltraDictCore
import UltraDictTransport

extension UltraDict {
    // MARK: Lifetime

    /// Closes the handle: unlinks the segments if ``autoUnlink`` is set or `unlink` is true, and
    /// releases this handle's copy of the entries.
    ///
    /// After it, the throwing forms (``value(forKey:)``, ``updateValue(_:forKey:)``,
    /// ``applyUpdates()``, ``withLock(timeout:stealAfterTimeout:_:)``, ``status()``, …) throw
    /// `alreadyClosed`; the reads that cannot throw (the subscript, ``count``, ``keys``,
    /// ``values``, ``snapshot``, ``contains(_:)``, iteration, ``description``) find nothing (`nil`,
    /// 0, empty) and ``lastReadError`` is `alreadyClosed`; the subscript's setter traps, as for any
    /// failed write. Closing again does nothing.
    public func close(unlink: Bool = false) {
        guard !isClosed else { return }
        isClosed = true
        storage = [:]
        lastReadError = closedError()
        updateExitCleanup()
        if unlink || autoUnlink { log.unlinkSegments() }
        nesting?.close(unlinkingTree: unlink || autoUnlink)
    }

    /// Closes the handle and unlinks every segment of the dictionary; other processes keep their
    /// mappings but nobody can attach any more.
    public func unlink() { close(unlink: true) }

    /// Unlinks the segments of the dictionary `name` (leftovers after a crash), with its nested
    /// dictionaries and their register when it is a recursive root; returns whether it existed.
    @discardableResult
    public static func unlink(name: String) throws -> Bool {
        NestedDictionaries.unlinkRegistered(rootName: name)
        return try UpdateLog.unlinkSegments(name: name)
    }

    /// Whether ``close(unlink:)`` was called.
    public var closed: Bool { isClosed }

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

    /// Lists this handle in ``ExitCleanup`` while it is open with ``autoUnlink`` set, and only then.
    func updateExitCleanup() {
        let handle = ObjectIdentifier(self)
        if autoUnlink && !isClosed {
            ExitCleanup.shared.add(handle, log: log, unlinksTree: nesting?.isRoot == true)
        } else {
            ExitCleanup.shared.remove(handle)
        }
    }
}
