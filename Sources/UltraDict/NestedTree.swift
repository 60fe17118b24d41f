import Foundation
import UltraDictConcurrency
import UltraDictCore
import UltraDictTransport

extension UltraValue {
    /// The nested dictionary's name when this value is a reference to one, else `nil`.
    var nestedReferenceName: String? { NestedDictionaryReference(self)?.name }
}

/// What every handle of one tree of nested dictionaries in this process shares: the root's name,
/// its register of nested dictionaries, and how to open one with the root's settings.
@usableFromInline
final class NestedTree: Sendable {
    /// The longest root name whose register name `ROOT_register` is still a valid dictionary name.
    static let maximumRootNameLength = SegmentName.maximumLength - registerSuffix.utf8.count
    fileprivate static let registerSuffix = "_register"
    /// How many hex digits follow the prefix in a nested dictionary's name.
    private static let childNameDigits = 16

    /// The prefix of nested dictionaries' names: at most 200 bytes of the root's, so that names do not grow with depth.
    let childNamePrefix: String
    /// The register's name, `ROOT_register`, which every reference of the tree names.
    let registerName: String
    /// The names of every nested dictionary of the tree (the values are unused; this package
    /// writes `true`, as Python UltraDict does).
    let register: UltraDict<String, UltraValue>
    /// Creates (`create`) or attaches the nested dictionary `name` as a member of `tree`.
    let open: @Sendable (_ name: String, _ create: Bool, _ tree: NestedTree) throws -> UltraDict<UltraValue, UltraValue>

    /// Opens the register of the root `rootName` (creating it if this process created the root);
    /// the register and every nested dictionary live in the root's store, are attached with its
    /// foreign-owner setting, have its serializer and lock, and (nested ones) its sizes.
    init(rootName: String, isCreator: Bool, configuration: UltraDictConfiguration) throws {
        guard rootName.utf8.count <= Self.maximumRootNameLength else {
            throw UltraDictError(.invalidArgument, "recurse: true needs a name of at most \(Self.maximumRootNameLength) UTF-8 bytes, got \(rootName.utf8.count)")
        }
        childNamePrefix = Self.childNamePrefix(ofRoot: rootName)
        registerName = NestedDictionaries.registerName(ofRoot: rootName)
        register = try UltraDict(
            name: registerName, create: isCreator,
            configuration: NestedDictionaries.registerConfiguration(lock: configuration.lock, of: configuration)
        )
        var configuration = configuration
        configuration.autoUnlink = false
        let nestedConfiguration = configuration
        open = { name, create, tree in
            let nested = try UltraDict<UltraValue, UltraValue>(name: name, create: create, configuration: nestedConfiguration, tree: tree)
            try nested.refresh()
            return nested
        }
    }

    /// The prefix of the nested dictionaries' names in the tree of the root `rootName`.
    static func childNamePrefix(ofRoot rootName: String) -> String {
        String(decoding: rootName.utf8.prefix(200), as: UTF8.self) + "_n"
    }

    /// Whether `name` has the shape of a nested dictionary's name in the tree whose names start
    /// with `prefix`: the prefix and exactly 16 lowercase hex digits (this package's names), or
    /// `psm_` and 8 (Python UltraDict's, whose nested dictionaries take Python's random shared
    /// memory names). Names read from shared memory (the register, references in values) are
    /// followed only when they have one of these shapes, and unlinked only when they name a
    /// dictionary with recursion (`UpdateLog.unlinkNestedDictionary(name:in:)`), so that a
    /// hostile one can never make this process remove a dictionary of another kind.
    static func isChildName(_ name: String, prefix: String) -> Bool {
        SegmentName.isRandomName(name, prefix: prefix, digits: childNameDigits) || SegmentName.isDumpName(name)
    }

    /// Whether `name` has the shape of a nested dictionary's name in this tree (``isChildName(_:prefix:)``).
    func isChildName(_ name: String) -> Bool { Self.isChildName(name, prefix: childNamePrefix) }

    /// Unlinks every nested dictionary of the tree's shapes listed in `register`, then the
    /// register, and closes it; returns the names of the dictionaries removed.
    @discardableResult
    static func unlinkAll(listedIn register: UltraDict<String, UltraValue>, childNamePrefix: String) -> [String] {
        let store = register.log.store
        let removed = register.keys.filter { name in
            isChildName(name, prefix: childNamePrefix) && (try? UpdateLog.unlinkNestedDictionary(name: name, in: store)) == true
        }
        register.unlink()
        return removed + [register.name]
    }

    /// A fresh name for a nested dictionary: the prefix and 16 random hex digits.
    func newChildName() -> String {
        SegmentName.random(prefix: childNamePrefix, digits: Self.childNameDigits)
    }

    /// The value a parent stores for the nested dictionary `name` of this tree.
    func reference(to name: String) -> UltraValue {
        NestedDictionaryReference(name: name, register: registerName).value
    }
}

/// Nested dictionaries' bookkeeping that the command-line tool needs.
package enum NestedDictionaries {
    /// The register's name for the root `rootName` (`ROOT_register`).
    package static func registerName(ofRoot rootName: String) -> String { rootName + NestedTree.registerSuffix }

    /// The register's settings in the tree of a root opened with `root`: the root's serializer,
    /// store and foreign-owner setting, `lock`, the default sizes, and never an auto-unlink.
    static func registerConfiguration(lock: any SharedMemoryLock.Type, of root: UltraDictConfiguration) -> UltraDictConfiguration {
        UltraDictConfiguration(serializer: root.serializer, lock: lock, autoUnlink: false, allowsForeignOwner: root.allowsForeignOwner, store: root.store)
    }

    /// Whether `name` has the shape of a nested dictionary of the root `rootName`'s tree: the only
    /// names read from its register that are ever followed.
    package static func isNestedName(_ name: String, ofRoot rootName: String) -> Bool {
        NestedTree.isChildName(name, prefix: NestedTree.childNamePrefix(ofRoot: rootName))
    }

    /// Throws `parameterMismatch` when the register of the root `rootName` records another
    /// serializer than `serializer`; does nothing when there is no register.
    package static func checkRegister(ofRoot rootName: String, in store: UltraDictStore, serializer: any UltraDictSerializer) throws {
        guard let control = registerControl(ofRoot: rootName, in: store),
              let recorded = try? control.serializerIdentifier(), recorded != type(of: serializer).identifier else { return }
        throw UltraDictError(
            .parameterMismatch,
            "'\(control.segment.name)' was created with the \(recorded) serializer, not \(type(of: serializer).identifier): pass the root's serializer to unlink the tree of '\(rootName)'"
        )
    }

    /// Unlinks the nested dictionaries registered for the root `rootName` (only names of this
    /// tree's shapes, and only dictionaries with recursion) and the register, which is read with
    /// `serializer` (the root's); returns the names of the dictionaries it removed (nested ones
    /// and the register). Does nothing and returns [] when there is no register. A register that
    /// cannot be read is removed alone: its names cannot be followed. Costs one attach of the
    /// register and one unlink per registered name.
    ///
    /// Throws `parameterMismatch`, removing nothing, when ``checkRegister(ofRoot:in:serializer:)`` does.
    @discardableResult
    package static func unlinkRegistered(
        rootName: String, in store: UltraDictStore = .sharedMemory, serializer: any UltraDictSerializer
    ) throws -> [String] {
        let registerName = registerName(ofRoot: rootName)
        guard let control = registerControl(ofRoot: rootName, in: store) else {
            return (try? UpdateLog.unlinkSegments(name: registerName, in: store.segmentStore)) == true ? [registerName] : []
        }
        try checkRegister(ofRoot: rootName, in: store, serializer: serializer)
        // The register has the root's lock kind, which its control block records.
        let lock: any SharedMemoryLock.Type = control.effectiveLockKind == .shared ? SharedSpinLock.self : ProcessLocalLock.self
        let configuration = registerConfiguration(lock: lock, of: UltraDictConfiguration(serializer: serializer, store: store))
        guard let register = try? UltraDict<String, UltraValue>(name: registerName, create: false, configuration: configuration) else {
            return (try? UpdateLog.unlinkSegments(of: control)) == true ? [registerName] : []
        }
        return NestedTree.unlinkAll(listedIn: register, childNamePrefix: NestedTree.childNamePrefix(ofRoot: rootName))
    }

    /// The control block of the root `rootName`'s register, when the root's name allows one and it exists.
    private static func registerControl(ofRoot rootName: String, in store: UltraDictStore) -> ControlBlock? {
        guard rootName.utf8.count <= NestedTree.maximumRootNameLength else { return nil }
        return (try? store.segmentStore.attach(name: registerName(ofRoot: rootName), minimumSize: ControlLayout.size)).map(ControlBlock.init)
    }
}

/// One handle's part of a tree: its tree, whether it is the root, and its open nested handles.
/// Safe from any thread, as its handle is: a mutex guards the nested handles.
@usableFromInline
final class Nesting: @unchecked Sendable {
    /// The tree this handle belongs to.
    let tree: NestedTree
    /// Whether this handle is the tree's root, which owns the register handle.
    let isRoot: Bool
    /// Guards ``children``. Held while a nested handle opens, so that two threads open it once;
    /// nothing that takes it is called with it held, but the nested handle's own initializer.
    private let mutex = NSLock()
    /// Handles of nested dictionaries opened through this one, by name, so that repeated access is cheap.
    private var children: [String: UltraDict<UltraValue, UltraValue>] = [:]

    init(tree: NestedTree, isRoot: Bool) {
        self.tree = tree
        self.isRoot = isRoot
    }

    /// The handle of the nested dictionary `name`, opened once; throws `corruptSharedMemory` when
    /// `name`, read from a reference in shared memory, is not a nested dictionary's of this tree.
    func child(named name: String) throws -> UltraDict<UltraValue, UltraValue> {
        try mutex.withLock {
            if let child = children[name] { return child }
            guard tree.isChildName(name) else {
                throw UltraDictError(.corruptSharedMemory, "a reference names '\(name)', which is not a nested dictionary of this tree (names are '\(tree.childNamePrefix)' and 16 hex digits, or Python's 'psm_' and 8)")
            }
            let child = try tree.open(name, false, tree)
            children[name] = child
            return child
        }
    }

    /// Keeps `child`, just created as the nested dictionary `name`, among the open nested handles.
    func adopt(_ child: UltraDict<UltraValue, UltraValue>, named name: String) {
        mutex.withLock { children[name] = child }
    }

    /// Takes the handle of the nested dictionary `name` off the open ones and returns it, if open.
    func removeChild(named name: String) -> UltraDict<UltraValue, UltraValue>? {
        mutex.withLock { children.removeValue(forKey: name) }
    }

    /// Closes the nested handles; the root also closes the register, after unlinking every
    /// dictionary in it and the register itself when `unlinkingTree`.
    func close(unlinkingTree: Bool) {
        let children = mutex.withLock {
            defer { self.children.removeAll() }
            return self.children
        }
        for child in children.values { child.close() }
        guard isRoot else { return }
        if unlinkingTree {
            NestedTree.unlinkAll(listedIn: tree.register, childNamePrefix: tree.childNamePrefix)
        } else {
            tree.register.close()
        }
    }
}

