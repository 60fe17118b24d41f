import Foundation
import Testing
import UltraDict
import UltraDictPickle
import _UltraDictTestSupport

/// Nested dictionaries (`recurse: true`): shared by every process, with every serializer and in
/// every store, and no leaks. String keys throughout, because JSON turns integer keys into
/// strings in full dumps.
@Suite("Nested dictionaries")
struct NestedTests {
    /// The segments of a recursive root with no nested dictionary: its own and its register's.
    func rootSegments(_ name: String) -> Set<String> {
        [name, name + "_memory", name + "_register", name + "_register_memory"]
    }

    @Test(arguments: TestStore.allCases, serializerNames)
    func writesAreSeenAcrossProcesses(store: TestStore, serializer: String) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let root: UltraDict<UltraValue, UltraValue> = try fixture.createDictionary(name, serializer: serializer, recurse: true)
        defer { root.unlink() }
        root["outer"] = ["inner": ["count": 1], "label": "x"]

        let line = try fixture.runHelper("nested-increment", name, "outer.inner.count", "1", "--serializer", serializer)
        #expect(line == #"tree {"outer": {"inner": {"count": 2}, "label": "x"}}"#)
        #expect(root["outer"] == ["inner": ["count": 2], "label": "x"])
        #expect(try root.nested("outer")?.nested("inner")?["count"] == 2)
        #expect(try root.deepCopy() == ["outer": ["inner": ["count": 2], "label": "x"]])
    }

    @Test(arguments: TestStore.allCases, serializerNames)
    func lockedIncrementsFromFourProcessesAreExact(store: TestStore, serializer: String) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let root: UltraDict<UltraValue, UltraValue> = try fixture.createDictionary(name, serializer: serializer, recurse: true)
        defer { root.unlink() }
        root["nested"] = ["deeper": ["counter": 0]]

        let arguments = ["nested-increment", name, "nested.deeper.counter", "1000", "--serializer", serializer]
        try fixture.runHelpersConcurrently(Array(repeating: arguments, count: 4))
        #expect(try root.nested("nested")?.nested("deeper")?.value(forKey: "counter") == 4000)
    }

    @Test(arguments: TestStore.allCases, serializerNames)
    func replacingAndDeletingReleaseTheSegments(store: TestStore, serializer: String) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let root: UltraDict<UltraValue, UltraValue> = try fixture.createDictionary(name, serializer: serializer, recurse: true)
        defer { root.unlink() }

        root["a"] = ["b": ["c": 1]]
        #expect(Set(fixture.segments(of: name)).count == rootSegments(name).count + 4)  // two nested dictionaries of two segments
        root["a"] = 5
        #expect(Set(fixture.segments(of: name)) == rootSegments(name))
        #expect(root["a"] == 5)

        root["a"] = ["b": ["c": 1]]
        #expect(try root.removeValue(forKey: "a") == ["b": ["c": 1]])
        #expect(Set(fixture.segments(of: name)) == rootSegments(name))
        let register = try UltraDict<String, UltraValue>(
            name: name + "_register", create: false,
            configuration: UltraDictConfiguration(serializer: NestedDictionaries.registerSerializer(ofTreeWith: root.configuration.serializer), store: fixture.store)
        )
        #expect(register.isEmpty)
    }

    /// A nested dictionary stored through another handle (not the creator's) is removed with the root too.
    @Test(arguments: TestStore.allCases)
    func closingTheCreatorUnlinksEveryNestedDictionary(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let configuration = UltraDictConfiguration(recurse: true, store: fixture.store)
        var creator = configuration
        creator.autoUnlink = true  // As a creator's default in shared memory, also in the file store.
        let root = try UltraDict<UltraValue, UltraValue>(name: name, create: true, configuration: creator)
        let other = try UltraDict<UltraValue, UltraValue>(name: name, create: false, configuration: configuration)
        root["mine"] = ["x": ["y": 1]]
        other["theirs"] = ["z": 2]
        #expect(root["theirs"] == ["z": 2])
        other.close()
        root.close()
        #expect(fixture.segments(of: name).isEmpty)
    }

    /// Cleaning up after a crash by name removes the nested dictionaries and the register too, whatever the lock.
    @Test(arguments: TestStore.allCases, [true, false])
    func unlinkingByNameUnlinksEveryNestedDictionary(store: TestStore, sharedLock: Bool) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let lock: any SharedMemoryLock.Type = sharedLock ? SharedSpinLock.self : ProcessLocalLock.self
        let configuration = UltraDictConfiguration(lock: lock, autoUnlink: false, recurse: true, store: fixture.store)
        let root = try UltraDict<UltraValue, UltraValue>(name: name, create: true, configuration: configuration)
        defer { root.close() }
        root["a"] = ["b": ["c": 1]]
        #expect(try UltraDict<UltraValue, UltraValue>.unlink(name: name, store: fixture.store))
        #expect(fixture.segments(of: name).isEmpty)
    }

    /// The register is read with the root's serializer, which unlinking by name is told: another
    /// one removes nothing and says which to pass.
    @Test(arguments: TestStore.allCases)
    func unlinkingByNameNeedsTheRootsSerializer(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let configuration = UltraDictConfiguration(serializer: PickleSerializer(), autoUnlink: false, recurse: true, store: fixture.store)
        let root = try UltraDict<UltraValue, UltraValue>(name: name, create: true, configuration: configuration)
        defer { root.close() }
        root["a"] = ["b": ["c": 1]]
        let segments = Set(fixture.segments(of: name))
        let error = #expect(throws: UltraDictError.self) { try UltraDict<UltraValue, UltraValue>.unlink(name: name, store: fixture.store) }
        #expect(error?.code == .parameterMismatch && error?.message.contains("cannot be read as the register of a tree with the msgpack serializer") == true, "\(String(describing: error))")
        #expect(Set(fixture.segments(of: name)) == segments)
        #expect(try UltraDict<UltraValue, UltraValue>.unlink(name: name, store: fixture.store, serializer: PickleSerializer()))
        #expect(fixture.segments(of: name).isEmpty)
    }

    @Test(arguments: TestStore.allCases, serializerNames)
    func aThousandNestedDictionariesLeaveNothingBehind(store: TestStore, serializer: String) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        // A file reserves its stream on disk: a thousand of the default 64 MiB would take 64 GiB.
        let bufferSize = store == .files ? ["--buffer-size", "65536"] : []
        let line = try fixture.runHelper(["nested-churn", name, "1000", "--serializer", serializer] + bufferSize)
        let counts = line.split(separator: " ")
        #expect(counts.count == 4 && counts[1] == counts[3], "\(line)")
        #expect(fixture.segments(of: name).isEmpty)
    }

    @Test(arguments: TestStore.allCases)
    func recurseIsFixedAtCreation(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let root = try UltraDict<UltraValue, UltraValue>(name: name, create: true, configuration: UltraDictConfiguration(autoUnlink: true, recurse: true, store: fixture.store))
        defer { root.unlink() }
        let error = try #require(throws: UltraDictError.self) {
            try UltraDict<UltraValue, UltraValue>(name: name, create: false, configuration: UltraDictConfiguration(store: fixture.store))
        }
        #expect(error.code == .parameterMismatch && error.message.contains("recurse=true") && error.message.contains("recurse=false"))
        #expect(throws: UltraDictError.self) {
            try UltraDict<String, Int>(create: true, configuration: UltraDictConfiguration(autoUnlink: true, recurse: true, store: fixture.store))
        }
    }
}
