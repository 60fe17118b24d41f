import UltraDictCore
import UltraDictTransport

// Nested dictionaries (`recurse: true`): a `.dictionary` value stored in a recursive dictionary
// becomes a dictionary of its own segments, and the parent stores the reference
// `{"$ultradict": "<child name>"}` in its place (Docs/FORMAT.md, "Nested dictionaries"). Every
// nested dictionary of a tree is listed in the root's register `ROOT_register`, so that unlinking
// the root removes them all, whoever created them.

extension UltraValue {
    /// The key of the one-entry map that refers to a nested dictionary.
    static let nestedReferenceKey: UltraValue = "$ultradict"

    /// The map stored in a parent in place of the nested dictionary `name`.
    static func nestedReference(to name: String) -> UltraValue {
        .dictionary([nestedReferenceKey: .string(name)])
    }

    /// The nested dictionary's name when this value is a reference to one, else `nil`.
    var nestedReferenceName: String? {
        guard case .dictionary(let map) = self, map.count == 1, case .string(let name)? = map[Self.nestedReferenceKey] else { return nil }
        return name
    }
}

/// What every handle of one tree of nested dictionaries in this process shares: the root's name,
/// its register of nested dictionaries, and how to open one with the root's settings.
@usableFromInline
final class NestedTree {
    /// The longest root name whose register name `ROOT_register` is still a valid dictionary name.
    static let maximumRootNameLength = SegmentName.maximumLength - registerSuffix.utf8.count
    private static let registerSuffix = "_register"

    /// The prefix of nested dictionaries' names: at most 200 bytes of the root's, so that names do not grow with depth.
    let childNamePrefix: String
    /// The names of every nested dictionary of the tree (the values are unused).
    let register: UltraDict<String, Int>
    /// Creates (`create`) or attaches the nested dictionary `name` as a member of `tree`.
    let open: (_ name: String, _ create: Bool, _ tree: NestedTree) throws -> UltraDict<UltraValue, UltraValue>

    /// Opens the register of the root `rootName` (creating it if this process created the root);
    /// the register and every nested dictionary are attached `allowingForeignOwner` as the root was.
    init<Serializer: UltraDictSerializer, Lock: SharedMemoryLock>(
        rootName: String, isCreator: Bool, serializer: Serializer, lock: Lock.Type, bufferSize: Int, fullDumpSize: Int?,
        allowingForeignOwner: Bool
    ) throws {
        guard rootName.utf8.count <= Self.maximumRootNameLength else {
            throw UltraDictError(.invalidArgument, "recurse: true needs a name of at most \(Self.maximumRootNameLength) UTF-8 bytes, got \(rootName.utf8.count)")
        }
        childNamePrefix = String(decoding: rootName.utf8.prefix(200), as: UTF8.self) + "_n"
        register = try UltraDict(
            name: rootName + Self.registerSuffix, create: isCreator, autoUnlink: false, lock: lock, allowingForeignOwner: allowingForeignOwner
        )
        open = { name, create, tree in
            let nested = try UltraDict<UltraValue, UltraValue>(
                name: name, create: create, bufferSize: bufferSize, fullDumpSize: fullDumpSize, autoUnlink: false,
                serializer: serializer, lock: lock, recurse: true, allowingForeignOwner: allowingForeignOwner, tree: tree
            )
            try nested.refresh()
            return nested
        }
    }

    /// Unlinks the nested dictionaries registered for the root `rootName`, and the register;
    /// does nothing when there is no register (a dictionary without recursion).
    static func unlinkRegistered(rootName: String) {
        let registerName = rootName + registerSuffix
        guard rootName.utf8.count <= maximumRootNameLength, SharedMemorySegment.exists(name: registerName) else { return }
        // The register has the root's lock kind, which the caller does not know.
        let register = (try? UltraDict<String, Int>(name: registerName, create: false, autoUnlink: false, lock: SharedSpinLock.self))
            ?? (try? UltraDict<String, Int>(name: registerName, create: false, autoUnlink: false, lock: ProcessLocalLock.self))
        if let register {
            unlinkAll(listedIn: register)
        } else {
            _ = try? UpdateLog.unlinkSegments(name: registerName)
        }
    }

    /// Unlinks every dictionary listed in `register`, then the register, and closes it.
    static func unlinkAll(listedIn register: UltraDict<String, Int>) {
        for name in register.keys { _ = try? UpdateLog.unlinkSegments(name: name) }
        register.unlink()
    }

    /// A fresh name for a nested dictionary: the prefix and 16 random hex digits.
    func newChildName() -> String {
        let hex = String(UInt64.random(in: .min ... .max), radix: 16)
        return childNamePrefix + String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// One handle's part of a tree: its tree, whether it is the root, and its open nested handles.
@usableFromInline
final class Nesting {
    /// The tree this handle belongs to.
    let tree: NestedTree
    /// Whether this handle is the tree's root, which owns the register handle.
    let isRoot: Bool
    /// Handles of nested dictionaries opened through this one, by name, so that repeated access is cheap.
    var children: [String: UltraDict<UltraValue, UltraValue>] = [:]

    init(tree: NestedTree, isRoot: Bool) {
        self.tree = tree
        self.isRoot = isRoot
    }

    /// The handle of the nested dictionary `name`, opened once.
    func child(named name: String) throws -> UltraDict<UltraValue, UltraValue> {
        if let child = children[name] { return child }
        let child = try tree.open(name, false, tree)
        children[name] = child
        return child
    }

    /// Closes the nested handles; the root also closes the register, after unlinking every
    /// dictionary in it and the register itself when `unlinkingTree`.
    func close(unlinkingTree: Bool) {
        for child in children.values { child.close() }
        children.removeAll()
        guard isRoot else { return }
        if unlinkingTree {
            NestedTree.unlinkAll(listedIn: tree.register)
        } else {
            tree.register.close()
        }
    }
}

extension UltraDict {
    // MARK: Nested dictionaries

    /// A live handle to the nested dictionary stored under `key`, or `nil` when the value there is
    /// not one (or ``recurse`` is off). A change through it is seen by every process:
    /// `try d.nested("a")!.withLock { a in a["n"] = .int((a["n"]?.intValue ?? 0) + 1) }`.
    /// Handles are cached in this one and closed with it.
    public func nested(_ key: Key) throws -> UltraDict<UltraValue, UltraValue>? {
        try refresh()
        guard let nesting, let value = storage[key], let name = try valueConverter.encode(value).nestedReferenceName else { return nil }
        return try nesting.child(named: name)
    }

    /// The whole dictionary as plain values: nested dictionaries are copied, recursively, as `.dictionary`.
    public func deepCopy() throws -> [Key: UltraValue] {
        try refresh()
        var copy: [Key: UltraValue] = [:]
        copy.reserveCapacity(storage.count)
        for (key, value) in storage { copy[key] = try resolvedTree(valueConverter.encode(value)) }
        return copy
    }

    /// `value` with a nested dictionary's reference replaced by its contents, recursively.
    @usableFromInline
    func resolved(_ value: Value) throws -> Value {
        try valueConverter.decode(resolvedTree(valueConverter.encode(value)))
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

    private func resolvedTree(_ tree: UltraValue) throws -> UltraValue {
        guard let nesting, let name = tree.nestedReferenceName else { return tree }
        return .dictionary(try nesting.child(named: name).deepCopy())
    }

    /// ``updateValue(_:forKey:)`` with ``recurse`` on: a `.dictionary` becomes a nested dictionary,
    /// and a nested dictionary it replaces is released. Returns the previous value, resolved.
    @usableFromInline
    func updateNestedValue(_ value: Value, forKey key: Key) throws -> Value? {
        try withLock { _ in
            var tree = try valueConverter.encode(value)
            if case .dictionary(let map) = tree {
                let child = try createNested()
                tree = .nestedReference(to: child.name)
                do { try child.update(with: map) } catch { try? release(tree); throw error }
            }
            let replaced = storage[key]
            let previous: Value?
            do {
                previous = try replaced.map(resolved)
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
    /// nested dictionary. Returns the removed value, resolved.
    @usableFromInline
    func removeNestedValue(forKey key: Key) throws -> Value? {
        guard let removed = storage[key] else { return nil }
        let previous = try resolved(removed)
        _ = try write(.delete(keyConverter.encode(key)), key: key, value: nil)
        try releaseNested(in: [removed])
        return previous
    }

    /// Releases the nested dictionaries that `values` refer to (lock held).
    @usableFromInline
    func releaseNested(in values: some Sequence<Value>) throws {
        for value in values { try release(valueConverter.encode(value)) }
    }

    /// Creates a nested dictionary, registered first so that no segment escapes the register.
    private func createNested() throws -> UltraDict<UltraValue, UltraValue> {
        guard let nesting else { preconditionFailure("UltraDict '\(name)': nesting without recurse") }
        let tree = nesting.tree
        let name = tree.newChildName()
        try tree.register.updateValue(1, forKey: name)
        do {
            let child = try tree.open(name, true, tree)
            nesting.children[name] = child
            return child
        } catch {
            _ = try? tree.register.removeValue(forKey: name)
            throw error
        }
    }

    /// Unlinks the nested dictionary `reference` refers to, with the ones nested in it, and
    /// removes them from the register; does nothing for another value.
    private func release(_ reference: UltraValue) throws {
        guard let nesting, let name = reference.nestedReferenceName else { return }
        // Another process may have released it already: then only the register entry may remain.
        if let child = nesting.children.removeValue(forKey: name) ?? (try? nesting.tree.open(name, false, nesting.tree)) {
            try child.withLock { child in try child.releaseNested(in: child.storage.values) }
            child.close(unlink: true)
        }
        try nesting.tree.register.removeValue(forKey: name)
    }
}
