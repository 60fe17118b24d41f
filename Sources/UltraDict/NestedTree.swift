import Foundation
import UltraDictConcurrency
import UltraDictCore
import UltraDictMessagePack
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
    fileprivate static let childNameDigits = 16

    /// The prefix of nested dictionaries' names: at most 200 bytes of the root's, so that names do not grow with depth.
    let childNamePrefix: String
    /// The register's name, `ROOT_register`.
    let registerName: String
    /// Whether the tree follows Python UltraDict's conventions (its serializer is pickle): its
    /// register is pickled, its references name the register, and Python's `psm_` names of
    /// nested dictionaries are followed.
    let followsPython: Bool
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
        followsPython = NestedDictionaries.followsPython(configuration.serializer)
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
    /// with `prefix`: the prefix and exactly 16 lowercase hex digits (this package's names), or,
    /// in a tree that `followsPython`, `psm_` and 8 (Python UltraDict's, whose nested
    /// dictionaries take Python's random shared-memory names). Names read from shared memory
    /// (the register, references in values) are followed only when they have one of these
    /// shapes, and unlinked only when they name a dictionary with recursion of the register's
    /// owner (`UpdateLog.unlinkNestedDictionary(name:in:ownedBy:)`), so that a hostile one can
    /// never make this process remove a dump, a dictionary of another kind or another user's.
    static func isChildName(_ name: String, prefix: String, followsPython: Bool) -> Bool {
        SegmentName.isRandomName(name, prefix: prefix, digits: childNameDigits) || (followsPython && SegmentName.isDumpName(name))
    }

    /// Whether `name` has the shape of a nested dictionary's name in this tree (``isChildName(_:prefix:followsPython:)``).
    func isChildName(_ name: String) -> Bool { Self.isChildName(name, prefix: childNamePrefix, followsPython: followsPython) }

    /// Unlinks every nested dictionary of the tree's shapes listed in `register` that is a
    /// dictionary with recursion of the register's owner, then the register, and closes it;
    /// returns the names of the dictionaries removed.
    @discardableResult
    static func unlinkAll(listedIn register: UltraDict<String, UltraValue>, childNamePrefix: String, followsPython: Bool) -> [String] {
        let store = register.log.store
        let owner = register.log.control.segment.owner
        let backend = register.configuration.store.remoteBackend
        let removed = register.keys.filter { name in
            guard isChildName(name, prefix: childNamePrefix, followsPython: followsPython) else { return false }
            if let backend { return (try? backend.unlink(name: name, onlyIfRecursive: true)) == true }
            return (try? UpdateLog.unlinkNestedDictionary(name: name, in: store, ownedBy: owner)) == true
        }
        register.unlink()
        return removed + [register.name]
    }

    /// A fresh name for a nested dictionary: the prefix and 16 random hex digits.
    func newChildName() -> String {
        SegmentName.random(prefix: childNamePrefix, digits: Self.childNameDigits)
    }

    /// The value a parent stores for the nested dictionary `name` of this tree: it names the
    /// register too in a tree that follows Python, as Python's pattern does.
    func reference(to name: String) -> UltraValue {
        NestedDictionaryReference(name: name, register: followsPython ? registerName : nil).value
    }
}

/// Nested dictionaries' bookkeeping that the command-line tool needs.
package enum NestedDictionaries {
    /// The register's name for the root `rootName` (`ROOT_register`).
    package static func registerName(ofRoot rootName: String) -> String { rootName + NestedTree.registerSuffix }

    /// The root's name (as much of it as a nested dictionary's name keeps) when `name` has the
    /// shape of this package's register or nested dictionary names in a tree, else `nil`: what a
    /// remote store keeps a tree together by.
    package static func treeRoot(ofMember name: String) -> String? {
        let suffix = NestedTree.registerSuffix
        if name.hasSuffix(suffix), name.utf8.count > suffix.utf8.count { return String(name.dropLast(suffix.count)) }
        let root = String(decoding: name.utf8.dropLast(NestedTree.childNameDigits + 2), as: UTF8.self)
        let isChild = !root.isEmpty && SegmentName.isRandomName(name, prefix: NestedTree.childNamePrefix(ofRoot: root), digits: NestedTree.childNameDigits)
        return isChild ? root : nil
    }

    /// Whether a tree whose root has `serializer` follows Python UltraDict's conventions: pickle.
    static func followsPython(_ serializer: any UltraDictSerializer) -> Bool {
        type(of: serializer).identifier == NestedDictionaryReference.pythonSerializerIdentifier
    }

    /// The register's settings in the tree of a root opened with `root`: pickle in a tree that
    /// follows Python (as Python's register is), else MessagePack; the root's store and
    /// foreign-owner setting, `lock`, the default sizes, and never an auto-unlink.
    static func registerConfiguration(lock: any SharedMemoryLock.Type, of root: UltraDictConfiguration) -> UltraDictConfiguration {
        UltraDictConfiguration(
            serializer: registerSerializer(ofTreeWith: root.serializer),
            lock: lock, autoUnlink: false, allowsForeignOwner: root.allowsForeignOwner, store: root.store
        )
    }

    /// The register's serializer in a tree whose root has `serializer`: pickle in a tree that
    /// follows Python, else MessagePack.
    package static func registerSerializer(ofTreeWith serializer: any UltraDictSerializer) -> any UltraDictSerializer {
        followsPython(serializer) ? serializer : MessagePackSerializer()
    }

    /// Whether `name` has the shape of a nested dictionary of the root `rootName`'s tree, whose
    /// serializer is `serializer`: the only names read from its register that are ever followed.
    package static func isNestedName(_ name: String, ofRoot rootName: String, serializer: any UltraDictSerializer) -> Bool {
        NestedTree.isChildName(name, prefix: NestedTree.childNamePrefix(ofRoot: rootName), followsPython: followsPython(serializer))
    }

    /// What ``unlinkRegistered(rootName:in:serializer:ifUnreadable:)`` does with a register it
    /// cannot read.
    package enum UnreadableRegister {
        /// Throws, removing nothing: the caller may have passed the wrong serializer.
        case throwsError
        /// Removes the register alone: its names cannot be followed (it is corrupt).
        case isRemoved
    }

    /// The register of the root `rootName`, whose serializer is `serializer`, opened to read its
    /// names; `nil` when there is none. Throws `parameterMismatch`, with the reason, when it
    /// cannot be opened or read as the register of such a tree (it records another serializer,
    /// or its bytes do not decode).
    private static func openRegister(ofRoot rootName: String, in store: UltraDictStore, serializer: any UltraDictSerializer) throws -> UltraDict<String, UltraValue>? {
        let registerName = registerName(ofRoot: rootName)
        guard rootName.utf8.count <= NestedTree.maximumRootNameLength, let lock = try registerLock(registerName, in: store) else { return nil }
        let configuration = registerConfiguration(lock: lock, of: UltraDictConfiguration(serializer: serializer, store: store))
        do {
            let register = try UltraDict<String, UltraValue>(name: registerName, create: false, configuration: configuration)
            _ = try register.value(forKey: "")  // reads it whole: what cannot be read throws here
            return register
        } catch let error as UltraDictError {
            throw UltraDictError(
                .parameterMismatch,
                "the register '\(registerName)' cannot be read as the register of a tree with the \(type(of: serializer).identifier) serializer (pass the root's serializer: PickleSerializer() for a tree Python made): \(error.message)",
                underlying: error
            )
        }
    }

    /// The lock kind of the register `registerName`, which its control block records; the
    /// server's lock in a remote store; `nil` when there is no register.
    private static func registerLock(_ registerName: String, in store: UltraDictStore) throws -> (any SharedMemoryLock.Type)? {
        if let backend = store.remoteBackend { return try backend.facts(of: registerName) == nil ? nil : SharedSpinLock.self }
        guard let control = (try? store.segmentStore.attach(name: registerName, minimumSize: ControlLayout.size)).map(ControlBlock.init) else { return nil }
        return control.effectiveLockKind == .shared ? SharedSpinLock.self : ProcessLocalLock.self
    }

    /// Throws, removing nothing, when the register of the root `rootName` cannot be read as the
    /// register of a tree with `serializer` (``unlinkRegistered(rootName:in:serializer:ifUnreadable:)``
    /// with ``UnreadableRegister/throwsError`` would throw); does nothing when there is no register.
    package static func checkRegister(ofRoot rootName: String, in store: UltraDictStore, serializer: any UltraDictSerializer) throws {
        try openRegister(ofRoot: rootName, in: store, serializer: serializer)?.close()
    }

    /// Unlinks the nested dictionaries registered for the root `rootName`, whose serializer is
    /// `serializer` (only names of the tree's shapes, only dictionaries with recursion of the
    /// register's owner), and the register; returns the names of the dictionaries it removed
    /// (nested ones and the register). Does nothing and returns [] when there is no register.
    /// A register that cannot be read is handled as `ifUnreadable` says. Costs one read of the
    /// register and one unlink per registered name.
    @discardableResult
    package static func unlinkRegistered(
        rootName: String, in store: UltraDictStore = .sharedMemory, serializer: any UltraDictSerializer, ifUnreadable: UnreadableRegister
    ) throws -> [String] {
        let register: UltraDict<String, UltraValue>?
        do {
            register = try openRegister(ofRoot: rootName, in: store, serializer: serializer)
        } catch where ifUnreadable == .isRemoved {
            let registerName = registerName(ofRoot: rootName)
            let removed = if let backend = store.remoteBackend {
                try? backend.unlink(name: registerName, onlyIfRecursive: false)
            } else {
                try? UpdateLog.unlinkSegments(name: registerName, in: store.segmentStore)
            }
            return removed == true ? [registerName] : []
        }
        guard let register else { return [] }
        return NestedTree.unlinkAll(
            listedIn: register, childNamePrefix: NestedTree.childNamePrefix(ofRoot: rootName), followsPython: followsPython(serializer)
        )
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
            NestedTree.unlinkAll(listedIn: tree.register, childNamePrefix: tree.childNamePrefix, followsPython: tree.followsPython)
        } else {
            tree.register.close()
        }
    }
}

