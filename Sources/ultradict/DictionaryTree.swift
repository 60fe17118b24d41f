import UltraDict
import UltraDictTransport
import _UltraDictSerializerRegistry

/// A dictionary with the dictionaries it owns: for one created with `recurse: true`, its register
/// `NAME_register` and the nested dictionaries that the register lists.
///
/// `list`, `unlink` and `clean` treat a tree as one, as `UltraDict.unlink(name:)` does: unlinking
/// the root unlinks the register and the nested dictionaries, and `clean` removes a tree only when
/// its root is an orphan and nothing of it is in use, never a nested dictionary of a live tree.
struct DictionaryTree {
    /// The dictionary whose tree this is.
    let root: InspectedDictionary
    /// The register and the nested dictionaries it lists that exist, the register first; empty
    /// for a dictionary without recursion or without a register.
    ///
    /// The names come from the register, untrusted: only those of the tree's nested shape
    /// (`NestedDictionaries.isNestedName(_:ofRoot:)`) are shown and kept from `clean` while the
    /// tree lives, and none is unlinked by name here (``unlink()`` leaves that to
    /// `NestedDictionaries.unlinkRegistered(rootName:in:serializer:)`, which follows the same names).
    let nested: [InspectedDictionary]
    /// The root's serializer, as far as the tool can tell: the one it records or its bytes
    /// show, else its register's (an empty Python root shows nothing, its register does), else
    /// MessagePack. It says how the register is read and which names are followed.
    private let treeSerializer: any UltraDictSerializer

    /// The tree of `root`, reading its register if it has one.
    init(root: InspectedDictionary) {
        self.root = root
        guard root.isRecursive else {
            (treeSerializer, nested) = (MessagePackSerializer(), [])
            return
        }
        let register = try? InspectedDictionary(name: NestedDictionaries.registerName(ofRoot: root.name), in: root.store)
        let identifier = root.serializerIdentifier ?? register?.serializerIdentifier
        treeSerializer = identifier.flatMap { SerializerRegistry.serializer($0) } ?? MessagePackSerializer()
        nested = Self.nestedNames(ofRoot: root.name, in: root.store, serializer: treeSerializer).compactMap { try? InspectedDictionary(name: $0, in: root.store) }
    }

    /// The register of the root `rootName`, whose serializer is `serializer`, and the names it
    /// lists, sorted; only the register when it cannot be read; none when it does not exist.
    /// Costs one read of the register.
    private static func nestedNames(ofRoot rootName: String, in store: UltraDictStore, serializer: any UltraDictSerializer) -> [String] {
        let registerName = NestedDictionaries.registerName(ofRoot: rootName)
        guard let log = try? UpdateLog.attach(name: registerName, in: store.segmentStore, allowingForeignOwner: true) else { return [] }
        var feed = ChangeFeed(log: log, serializer: NestedDictionaries.registerSerializer(ofTreeWith: serializer), keyOrder: ChangeFeed.keyOrder)
        _ = try? feed.changes()
        let listed = feed.entries.keys.compactMap { key -> String? in
            guard case .string(let name) = key, NestedDictionaries.isNestedName(name, ofRoot: rootName, serializer: serializer) else { return nil }
            return name
        }
        return [registerName] + listed.sorted()
    }

    /// The segments of every dictionary of the tree that exist in `directory`, the root's first.
    func segments(in directory: SegmentDirectory) -> [SegmentDirectory.Segment] {
        ([root] + nested).flatMap { $0.segments(in: directory).map(\.segment) }
    }

    /// Unlinks the root's segments (control first, so that nobody attaches any more), then, for a
    /// root with recursion, its register and the nested dictionaries it lists; returns the names
    /// of the segments removed. Processes that map them keep their mappings.
    func unlink() throws -> [String] {
        let names = ([root] + nested).flatMap { UpdateLog.segmentNames(of: $0.name, control: $0.control).map(\.name) }
        let store = root.store.segmentStore
        let existing = names.filter { store.exists(name: $0) }
        _ = try UpdateLog.unlinkSegments(of: root.control)
        if root.isRecursive {
            // A register that cannot be read is corrupt (the tool read its serializer from it).
            try NestedDictionaries.unlinkRegistered(rootName: root.name, in: root.store, serializer: treeSerializer, ifUnreadable: .isRemoved)
        }
        return existing.filter { !store.exists(name: $0) }
    }
}

extension DictionaryTree {
    /// The JSON members that `list` and `status` both print: the root's
    /// (``InspectedDictionary/summary(in:users:)``) and `nested`, the names of the tree's other dictionaries.
    func summary(in directory: SegmentDirectory, users: SegmentUsers) -> [(String, JSON)] {
        root.summary(in: directory, users: users) + [("nested", .array(nested.map { .string($0.name) }))]
    }
}
