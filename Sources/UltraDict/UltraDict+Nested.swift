import UltraDictCore
import UltraDictTransport

// Nested dictionaries (`recurse: true`): a `.dictionary` value stored in a recursive dictionary
// becomes a dictionary of its own segments, and the parent stores the reference
// `{"$ultradict": "<child name>", "$register": "ROOT_register"}` in its place (Docs/FORMAT.md, "Nested dictionaries"). Every
// nested dictionary of a tree is listed in the root's register `ROOT_register`, so that unlinking
// the root removes them all, whoever created them.

extension UltraDict {
    // MARK: Nested dictionaries

    /// A live handle to the nested dictionary stored under `key`, or `nil` when the value there is
    /// not one (or ``recurse`` is off). A change through it is seen by every process:
    /// `try d.nested("a")!.withLock { a in a["n"] = .int((a["n"]?.intValue ?? 0) + 1) }`.
    /// Handles are cached in this one and closed with it.
    public func nested(_ key: Key) throws -> UltraDict<UltraValue, UltraValue>? {
        guard let nesting, let value = try readCurrent({ storage[key] }), let name = try valueConverter.encode(value).nestedReferenceName else { return nil }
        return try nesting.child(named: name)
    }

    /// The whole dictionary as plain values: nested dictionaries are copied, recursively, as
    /// `.dictionary`. A reference that leads back to a dictionary it is nested in, or nesting
    /// deeper than `UltraValue.maximumDepth` (only a hostile writer makes either), throws
    /// `corruptSharedMemory`.
    public func deepCopy() throws -> [Key: UltraValue] {
        try deepCopy(along: [])
    }

    /// ``deepCopy()`` of a dictionary reached through the nested dictionaries named in `path`.
    func deepCopy(along path: [String]) throws -> [Key: UltraValue] {
        let entries = try readCurrent { storage }
        var copy: [Key: UltraValue] = [:]
        copy.reserveCapacity(entries.count)
        for (key, value) in entries { copy[key] = try resolvedTree(valueConverter.encode(value), along: path) }
        return copy
    }

    /// `value` with a nested dictionary's reference replaced by its contents, recursively.
    @usableFromInline
    func resolved(_ value: Value) throws -> Value {
        try valueConverter.decode(resolvedTree(valueConverter.encode(value), along: []))
    }

    /// ``resolved(_:)`` for the subscript, which cannot throw: on failure, the value as stored, and ``lastReadError`` says why.
    @usableFromInline
    func resolvedReportingErrors(_ value: Value?) -> Value? {
        guard let value else { return nil }
        do {
            return try resolved(value)
        } catch {
            recordReadError(error, "reading a nested dictionary failed; serving its reference")
            return value
        }
    }

    private func resolvedTree(_ tree: UltraValue, along path: [String]) throws -> UltraValue {
        guard let nesting, let name = tree.nestedReferenceName else { return tree }
        let path = try Self.extend(path, with: name, in: self.name)
        return .dictionary(try nesting.child(named: name).deepCopy(along: path))
    }

    /// `path` with `name` appended, for a walk down nested dictionaries from `parent`; throws
    /// `corruptSharedMemory` for a reference cycle or nesting deeper than ``UltraValue/maximumDepth``,
    /// so that a hostile reference can neither recurse forever nor exhaust the stack.
    private static func extend(_ path: [String], with name: String, in parent: String) throws -> [String] {
        guard !path.contains(name), path.count < UltraValue.maximumDepth else {
            throw UltraDictError(.corruptSharedMemory, "'\(parent)': the nested dictionary '\(name)' is nested in itself, or nested more than \(UltraValue.maximumDepth) deep")
        }
        return path + [name]
    }

    /// `value` resolved, or as stored when the nested dictionary it refers to cannot be read (another
    /// process released it, or the reference is not one of this tree's): a value that cannot be
    /// read never keeps its key from being replaced or removed.
    private func resolvedIfReadable(_ value: Value) -> Value {
        (try? resolved(value)) ?? value
    }

    /// ``updateValue(_:forKey:)`` with ``recurse`` on: a `.dictionary` becomes a nested dictionary,
    /// and a nested dictionary it replaces is released. Returns the previous value, resolved
    /// (``resolvedIfReadable(_:)``).
    @usableFromInline
    func updateNestedValue(_ value: Value, forKey key: Key) throws -> Value? {
        try withLock { _ in
            var tree = try valueConverter.encode(value)
            if case .dictionary(let map) = tree {
                let (child, reference) = try createNested()
                tree = reference
                do { try child.update(with: map) } catch { try? release(tree); throw error }
            }
            let replaced = withSharedAccess { storage[key] }
            let previous: Value?
            do {
                previous = replaced.map(resolvedIfReadable)
                _ = try write(.set(keyConverter.encode(key), tree), key: key, value: valueConverter.decode(tree))
            } catch {
                try? release(tree)
                throw error
            }
            if let replaced { try releaseNested(in: [replaced]) }
            return previous
        }
    }

    /// ``removeValue(forKey:)`` with ``recurse`` on, for a present key (lock held): releases a
    /// nested dictionary. Returns the removed value, resolved (``resolvedIfReadable(_:)``).
    @usableFromInline
    func removeNestedValue(forKey key: Key) throws -> Value? {
        guard let removed = withSharedAccess({ storage[key] }) else { return nil }
        let previous = resolvedIfReadable(removed)
        _ = try write(.delete(keyConverter.encode(key)), key: key, value: nil)
        try releaseNested(in: [removed])
        return previous
    }

    /// Releases the nested dictionaries that `values` refer to (lock held), reached through the
    /// nested dictionaries named in `path`.
    @usableFromInline
    func releaseNested(in values: some Sequence<Value>, along path: [String] = []) throws {
        for value in values { try release(valueConverter.encode(value), along: path) }
    }

    /// Creates a nested dictionary, registered first so that no segment escapes the register;
    /// returns it with the reference the parent stores for it.
    private func createNested() throws -> (child: UltraDict<UltraValue, UltraValue>, reference: UltraValue) {
        guard let nesting else { preconditionFailure("UltraDict '\(name)': nesting without recurse") }
        let tree = nesting.tree
        let name = tree.newChildName()
        try tree.register.updateValue(.bool(true), forKey: name)
        do {
            let child = try tree.open(name, true, tree)
            nesting.adopt(child, named: name)
            return (child, tree.reference(to: name))
        } catch {
            _ = try? tree.register.removeValue(forKey: name)
            throw error
        }
    }

    /// Unlinks the nested dictionary `reference` refers to, with the ones nested in it, and
    /// removes them from the register; does nothing for another value, nor for one that `path`
    /// (the dictionaries being released around it) already holds: a cycle is released once.
    private func release(_ reference: UltraValue, along path: [String] = []) throws {
        // A name of another shape did not come from this package: it is never opened or unlinked.
        guard let nesting, let name = reference.nestedReferenceName, nesting.tree.isChildName(name), !path.contains(name) else { return }
        let path = try Self.extend(path, with: name, in: self.name)
        // Another process may have released it already: then only the register entry may remain.
        if let child = nesting.removeChild(named: name) ?? (try? nesting.tree.open(name, false, nesting.tree)) {
            try child.withLock { child in try child.releaseNested(in: child.values, along: path) }
            child.close(unlink: true)
        }
        try nesting.tree.register.removeValue(forKey: name)
    }
}
