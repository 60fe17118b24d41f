import UltraDictConcurrency
import UltraDictCore
import UltraDictTransport

extension UltraValue {
    /// The key of the one-entry map that refers to a nested dictionary.
    static let nestedReferenceKey = UltraValue.string(UltraValue.nestedDictionaryReferenceKey)

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
    fileprivate static let registerSuffix = "_register"
    /// How many hex digits follow the prefix in a nested dictionary's name.
    private static let childNameDigits = 16

    /// The prefix of nested dictionaries' names: at most 200 bytes of the root's, so that names do not grow with depth.
    let childNamePrefix: String
    /// The names of every nested dictionary of the tree (the values are unused).
    let register: UltraDict<String, Int>
    /// Creates (`create`) or attaches the nested dictionary `name` as a member of `tree`.
    let open: (_ name: String, _ create: Bool, _ tree: NestedTree) throws -> UltraDict<UltraValue, UltraValue>

    /// Opens the register of the root `rootName` (creating it if this process created the root);
    /// the register and every nested dictionary live in the root's store, are attached with its
    /// foreign-owner setting, and (nested ones) have its serializer, lock and sizes.
    init(rootName: String, isCreator: Bool, configuration: UltraDictConfiguration) throws {
        guard rootName.utf8.count <= Self.maximumRootNameLength else {
            throw UltraDictError(.invalidArgument, "recurse: true needs a name of at most \(Self.maximumRootNameLength) UTF-8 bytes, got \(rootName.utf8.count)")
        }
        childNamePrefix = Self.childNamePrefix(ofRoot: rootName)
        register = try UltraDict(
            name: NestedDictionaries.registerName(ofRoot: rootName), create: isCreator,
            configuration: NestedDictionaries.registerConfiguration(lock: configuration.lock, of: configuration)
        )
        var nestedConfiguration = configuration
        nestedConfiguration.autoUnlink = false
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
    /// with `prefix`: the prefix and exactly 16 lowercase hex digits. Names read from shared
    /// memory (the register, references in values) are followed only when they have it, so
    /// that a hostile one can never make this process open or unlink another dictionary.
    static func isChildName(_ name: String, prefix: String) -> Bool {
        SegmentName.isRandomName(name, prefix: prefix, digits: childNameDigits)
    }

    /// Whether `name` has the shape of a nested dictionary's name in this tree (``isChildName(_:prefix:)``).
    func isChildName(_ name: String) -> Bool { Self.isChildName(name, prefix: childNamePrefix) }

    /// Unlinks every dictionary of the tree's shape listed in `register`, then the register, and
    /// closes it; returns the names of the dictionaries removed.
    @discardableResult
    static func unlinkAll(listedIn register: UltraDict<String, Int>, childNamePrefix: String) -> [String] {
        let store = register.log.store
        let removed = register.keys.filter { name in
            isChildName(name, prefix: childNamePrefix) && (try? UpdateLog.unlinkSegments(name: name, in: store)) == true
        }
        register.unlink()
        return removed + [register.name]
    }

    /// A fresh name for a nested dictionary: the prefix and 16 random hex digits.
    func newChildName() -> String {
        SegmentName.random(prefix: childNamePrefix, digits: Self.childNameDigits)
    }
}

/// Nested dictionaries' bookkeeping that the command-line tool needs.
package enum NestedDictionaries {
    /// The register's name for the root `rootName` (`ROOT_register`).
    package static func registerName(ofRoot rootName: String) -> String { rootName + NestedTree.registerSuffix }

    /// The register's settings in the tree of a root opened with `root`: the default serializer
    /// and sizes, the root's store and foreign-owner setting, `lock`, and never an auto-unlink.
    static func registerConfiguration(lock: any SharedMemoryLock.Type, of root: UltraDictConfiguration) -> UltraDictConfiguration {
        UltraDictConfiguration(lock: lock, autoUnlink: false, allowsForeignOwner: root.allowsForeignOwner, store: root.store)
    }

    /// Whether `name` has the shape of a nested dictionary of the root `rootName`'s tree: the only
    /// names read from its register that are ever followed.
    package static func isNestedName(_ name: String, ofRoot rootName: String) -> Bool {
        NestedTree.isChildName(name, prefix: NestedTree.childNamePrefix(ofRoot: rootName))
    }

    /// Unlinks the nested dictionaries registered for the root `rootName` (only names of this
    /// tree's child shape) and the register; returns the names of the segments' dictionaries it
    /// removed (nested dictionaries and the register). Does nothing and returns [] when there is
    /// no register. Costs one attach of the register and one unlink per registered name.
    @discardableResult
    package static func unlinkRegistered(rootName: String, in store: UltraDictStore = .sharedMemory) -> [String] {
        let registerName = registerName(ofRoot: rootName)
        let segments = store.segmentStore
        guard rootName.utf8.count <= NestedTree.maximumRootNameLength, segments.exists(name: registerName) else { return [] }
        // The register has the root's lock kind, which the caller does not know.
        let base = UltraDictConfiguration(store: store)
        let register = (try? UltraDict<String, Int>(name: registerName, create: false, configuration: registerConfiguration(lock: SharedSpinLock.self, of: base)))
            ?? (try? UltraDict<String, Int>(name: registerName, create: false, configuration: registerConfiguration(lock: ProcessLocalLock.self, of: base)))
        guard let register else {
            // Unreadable: its names cannot be followed, but the register itself goes.
            return (try? UpdateLog.unlinkSegments(name: registerName, in: segments)) == true ? [registerName] : []
        }
        return NestedTree.unlinkAll(listedIn: register, childNamePrefix: NestedTree.childNamePrefix(ofRoot: rootName))
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

    /// The handle of the nested dictionary `name`, opened once; throws `corruptSharedMemory` when
    /// `name`, read from a reference in shared memory, is not a nested dictionary's of this tree.
    func child(named name: String) throws -> UltraDict<UltraValue, UltraValue> {
        if let child = children[name] { return child }
        guard tree.isChildName(name) else {
            throw UltraDictError(.corruptSharedMemory, "a reference names '\(name)', which is not a nested dictionary of this tree (names start with '\(tree.childNamePrefix)' and end with 16 hex digits)")
        }
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
            NestedTree.unlinkAll(listedIn: tree.register, childNamePrefix: tree.childNamePrefix)
        } else {
            tree.register.close()
        }
    }
}

