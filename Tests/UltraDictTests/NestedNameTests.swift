import Testing
@testable import UltraDict
import UltraDictPickle
import UltraDictTransport
import _UltraDictTestSupport

/// The names that a recursive dictionary reads from shared memory (its register's keys, the
/// references in its values) are followed only when they have the shape of a nested dictionary
/// of its own tree: a hostile one never makes it open or unlink another dictionary.
@Suite("Untrusted names in nested dictionaries")
struct NestedNameTests {
    /// A live recursive dictionary that a hostile name points at, with one entry.
    func victim() throws -> UltraDict<UltraValue, UltraValue> {
        let victim = try UltraDict<UltraValue, UltraValue>(name: uniqueName(), recurse: true)
        victim["kept"] = 1
        return victim
    }

    /// Expects `victim`'s dictionary to exist still, with its entry, for a process that attaches it anew.
    func expectIntact(_ victim: UltraDict<UltraValue, UltraValue>, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let again = try UltraDict<UltraValue, UltraValue>(name: victim.name, create: false, recurse: true)
        #expect(again["kept"] == 1, sourceLocation: sourceLocation)
    }

    @Test func hostileRegisterEntriesAreNeverUnlinked() throws {
        let other = try victim()
        defer { other.unlink() }
        let root = try UltraDict<UltraValue, UltraValue>(name: uniqueName(), autoUnlink: false, recurse: true)
        defer { root.unlink() }
        // Named like a nested dictionary of the root, but without the 16 hex digits.
        let lookalike = try UltraDict<String, Int>(name: root.name + "_nlookalike")
        defer { lookalike.unlink() }
        root["tree"] = ["leaf": 1]
        let child = try #require(try root.nested("tree")).name

        let register = try UltraDict<String, UltraValue>(name: NestedDictionaries.registerName(ofRoot: root.name), create: false)
        try register.update(with: [other.name: true, lookalike.name: true])
        register.close()
        root.close()  // without unlinking: the tool's path unlinks the tree
        #expect(try NestedDictionaries.unlinkRegistered(rootName: root.name, serializer: MessagePackSerializer(), ifUnreadable: .isRemoved).sorted() == [child, register.name].sorted())
        #expect(try UltraDict<UltraValue, UltraValue>.unlink(name: root.name))

        try expectIntact(other)
        #expect(Set(segments(of: root.name)) == [lookalike.name, lookalike.name + "_memory"])
    }

    /// In a tree with pickle, Python's `psm_` names are followed, but a register entry naming a
    /// dump, or a dictionary without recursion, of that shape removes nothing.
    @Test func aPickleTreesRegisterNeverRemovesADumpOrAPlainDictionary() throws {
        let dumped = try UltraDict<String, Int>(name: uniqueName())
        defer { dumped.unlink() }
        dumped["a"] = 1
        try dumped.dump()
        let dump = try #require(try dumped.status().fullDumpName)
        let plain = try UltraDict<String, Int>(name: SegmentName.random())
        defer { plain.unlink() }
        plain["kept"] = 1

        let pickle = UltraDictConfiguration(serializer: PickleSerializer(), recurse: true)
        let root = try UltraDict<UltraValue, UltraValue>(name: uniqueName(), create: true, configuration: pickle)
        root["tree"] = ["leaf": 1]
        let register = try UltraDict<String, UltraValue>(
            name: NestedDictionaries.registerName(ofRoot: root.name), create: false, configuration: UltraDictConfiguration(serializer: PickleSerializer())
        )
        try register.update(with: [dump: true, plain.name: true])
        register.close()
        root.unlink()
        #expect(segments(of: root.name).isEmpty)
        #expect(try UltraDict<String, Int>(name: dumped.name, create: false)["a"] == 1, "the dump is still there")
        #expect(try UltraDict<String, Int>(name: plain.name, create: false)["kept"] == 1)
    }

    /// Python's `psm_` names are followed only in a tree with pickle: elsewhere a reference to
    /// one is reported, and never opened.
    @Test func psmNamesAreNotFollowedInATreeWithoutPickle() throws {
        let python = try UltraDict<UltraValue, UltraValue>(name: SegmentName.random(), recurse: true)
        defer { python.unlink() }
        python["kept"] = 1
        let root = try UltraDict<UltraValue, UltraValue>(name: uniqueName(), recurse: true)
        defer { root.unlink() }
        let reference = NestedDictionaryReference(name: python.name, register: nil).value
        _ = try root.write(.set("evil", reference), key: "evil", value: reference)  // as a hostile writer would
        expectError(.corruptSharedMemory) { try root.nested("evil") }
        try root.removeAll()
        #expect(python["kept"] == 1)
    }

    @Test func theRootsUnlinkSkipsHostileRegisterEntries() throws {
        let other = try victim()
        defer { other.unlink() }
        let root = try UltraDict<UltraValue, UltraValue>(name: uniqueName(), recurse: true)
        root["tree"] = ["leaf": 1]
        let register = try UltraDict<String, UltraValue>(name: NestedDictionaries.registerName(ofRoot: root.name), create: false)
        register[other.name] = true
        root.unlink()
        try expectIntact(other)
        #expect(segments(of: root.name).isEmpty)
    }

    @Test func aHostileReferenceIsReportedAndNeverOpenedOrUnlinked() throws {
        let other = try victim()
        defer { other.unlink() }
        let root = try UltraDict<UltraValue, UltraValue>(name: uniqueName(), recurse: true)
        defer { root.unlink(); #expect(segments(of: root.name).isEmpty) }
        let reference = NestedDictionaryReference(name: other.name, register: nil).value
        _ = try root.write(.set("evil", reference), key: "evil", value: reference)  // as a hostile writer would

        let reader = try UltraDict<UltraValue, UltraValue>(name: root.name, create: false, recurse: true)
        #expect(reader["evil"] == reference && reader.lastReadError?.code == .corruptSharedMemory)
        #expect(reader.lastReadError?.message.contains("'\(other.name)', which is not a nested dictionary of this tree") == true)
        expectError(.corruptSharedMemory) { try reader.value(forKey: "evil") }
        expectError(.corruptSharedMemory) { try reader.nested("evil") }
        expectError(.corruptSharedMemory) { try reader.deepCopy() }

        try reader.removeAll()  // releases what the values refer to: never the other dictionary
        try expectIntact(other)
    }

    @Test func aHostileReferenceNeverKeepsItsKeyFromBeingReplacedOrRemoved() throws {
        let other = try victim()
        defer { other.unlink() }
        let root = try UltraDict<UltraValue, UltraValue>(name: uniqueName(), recurse: true)
        defer { root.unlink(); #expect(segments(of: root.name).isEmpty) }
        let reference = NestedDictionaryReference(name: other.name, register: nil).value
        for key: UltraValue in ["replaced", "removed"] { _ = try root.write(.set(key, reference), key: key, value: reference) }
        #expect(try root.updateValue(1, forKey: "replaced") == reference)
        #expect(try root.removeValue(forKey: "removed") == reference)
        #expect(root.snapshot == ["replaced": 1])
        try expectIntact(other)
    }
}

/// What the review of the hardening found in nested dictionaries: references that lead back to
/// where they start, and `NAME_register` of a dictionary without recursion.
@Suite("Nested references and registers, continued")
struct NestedCycleTests {
    @Test func aReferenceCycleThrowsAndIsReleasedOnce() throws {
        let root = try UltraDict<UltraValue, UltraValue>(name: uniqueName(), recurse: true)
        defer { root.unlink(); #expect(segments(of: root.name).isEmpty) }
        root["a"] = ["x": 1]
        let child = try #require(try root.nested("a"))
        let loop = NestedDictionaryReference(name: child.name, register: nil).value
        _ = try child.write(.set("back", loop), key: "back", value: loop)  // as a hostile writer would: a refers to itself

        let reader = try UltraDict<UltraValue, UltraValue>(name: root.name, create: false, recurse: true)
        expectError(.corruptSharedMemory) { try reader.deepCopy() }
        expectError(.corruptSharedMemory) { try reader.value(forKey: "a") }
        #expect(reader["a"].flatMap(NestedDictionaryReference.init)?.name == child.name && reader.lastReadError?.code == .corruptSharedMemory)
        try reader.removeAll()  // releases a, whose reference to itself is not followed again
        #expect(segments(of: child.name).isEmpty)
    }

    @Test func unlinkingAPlainDictionaryByNameLeavesADictionaryNamedLikeARegister() throws {
        let name = uniqueName()
        let plain = try UltraDict<String, Int>(name: name, autoUnlink: false)
        plain.close()
        let lookalike = try UltraDict<String, Int>(name: name + "_register")
        defer { lookalike.unlink() }
        lookalike["kept"] = 1
        #expect(try UltraDict<String, Int>.unlink(name: name))
        #expect(try UltraDict<String, Int>(name: lookalike.name, create: false)["kept"] == 1)
    }
}
