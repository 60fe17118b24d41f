import Foundation
import Testing
import UltraDict
import _UltraDictTestSupport

/// Nested dictionaries (`recurse: true`): shared by every process, with every serializer, and no leaks.
/// String keys throughout, because JSON turns integer keys into strings in full dumps.
@Suite("Nested dictionaries")
struct NestedTests {
    /// The segments of a recursive root with no nested dictionary: its own and its register's.
    func rootSegments(_ name: String) -> Set<String> {
        [name, name + "_memory", name + "_register", name + "_register_memory"]
    }

    @Test(arguments: serializerNames)
    func writesAreSeenAcrossProcesses(serializer: String) throws {
        let name = uniqueName()
        let root: UltraDict<UltraValue, UltraValue> = try createDictionary(name, serializer: serializer, recurse: true)
        defer { root.unlink() }
        root["outer"] = ["inner": ["count": 1], "label": "x"]

        let line = try runHelper("nested-increment", name, "outer.inner.count", "1", "--serializer", serializer)
        #expect(line == #"tree {"outer": {"inner": {"count": 2}, "label": "x"}}"#)
        #expect(root["outer"] == ["inner": ["count": 2], "label": "x"])
        #expect(try root.nested("outer")?.nested("inner")?["count"] == 2)
        #expect(try root.deepCopy() == ["outer": ["inner": ["count": 2], "label": "x"]])
    }

    @Test(arguments: serializerNames)
    func lockedIncrementsFromFourProcessesAreExact(serializer: String) throws {
        let name = uniqueName()
        let root: UltraDict<UltraValue, UltraValue> = try createDictionary(name, serializer: serializer, recurse: true)
        defer { root.unlink() }
        root["nested"] = ["deeper": ["counter": 0]]

        let arguments = ["nested-increment", name, "nested.deeper.counter", "1000", "--serializer", serializer]
        try runHelpersConcurrently(Array(repeating: arguments, count: 4))
        #expect(try root.nested("nested")?.nested("deeper")?.value(forKey: "counter") == 4000)
    }

    @Test(arguments: serializerNames)
    func replacingAndDeletingReleaseTheSegments(serializer: String) throws {
        let name = uniqueName()
        let root: UltraDict<UltraValue, UltraValue> = try createDictionary(name, serializer: serializer, recurse: true)
        defer { root.unlink() }

        root["a"] = ["b": ["c": 1]]
        #expect(Set(segments(of: name)).count == rootSegments(name).count + 4)  // two nested dictionaries of two segments
        root["a"] = 5
        #expect(Set(segments(of: name)) == rootSegments(name))
        #expect(root["a"] == 5)

        root["a"] = ["b": ["c": 1]]
        #expect(try root.removeValue(forKey: "a") == ["b": ["c": 1]])
        #expect(Set(segments(of: name)) == rootSegments(name))
        let register = try UltraDict<String, Int>(name: name + "_register", create: false)
        #expect(register.isEmpty)
    }

    /// A nested dictionary stored through another handle (not the creator's) is removed with the root too.
    @Test func closingTheCreatorUnlinksEveryNestedDictionary() throws {
        let name = uniqueName()
        let root = try UltraDict<UltraValue, UltraValue>(name: name, create: true, recurse: true)
        let other = try UltraDict<UltraValue, UltraValue>(name: name, create: false, recurse: true)
        root["mine"] = ["x": ["y": 1]]
        other["theirs"] = ["z": 2]
        #expect(root["theirs"] == ["z": 2])
        other.close()
        root.close()
        #expect(segments(of: name).isEmpty)
    }

    /// Cleaning up after a crash by name removes the nested dictionaries and the register too, whatever the lock.
    @Test(arguments: [true, false])
    func unlinkingByNameUnlinksEveryNestedDictionary(sharedLock: Bool) throws {
        let name = uniqueName()
        let root = try sharedLock
            ? UltraDict<UltraValue, UltraValue>(name: name, create: true, autoUnlink: false, recurse: true)
            : UltraDict<UltraValue, UltraValue>(name: name, create: true, autoUnlink: false, lock: ProcessLocalLock.self, recurse: true)
        defer { root.close() }
        root["a"] = ["b": ["c": 1]]
        #expect(try UltraDict<UltraValue, UltraValue>.unlink(name: name))
        #expect(segments(of: name).isEmpty)
    }

    @Test(arguments: serializerNames)
    func aThousandNestedDictionariesLeaveNothingBehind(serializer: String) throws {
        let name = uniqueName()
        let line = try runHelper("nested-churn", name, "1000", "--serializer", serializer)
        let counts = line.split(separator: " ")
        #expect(counts.count == 4 && counts[1] == counts[3], "\(line)")
        #expect(segments(of: name).isEmpty)
    }

    @Test func recurseIsFixedAtCreation() throws {
        let name = uniqueName()
        let root = try UltraDict<UltraValue, UltraValue>(name: name, create: true, recurse: true)
        defer { root.unlink() }
        let error = try #require(throws: UltraDictError.self) { try UltraDict<UltraValue, UltraValue>(name: name, create: false) }
        #expect(error.code == .parameterMismatch && error.message.contains("recurse=true") && error.message.contains("recurse=false"))
        #expect(throws: UltraDictError.self) { try UltraDict<String, Int>(create: true, recurse: true) }
    }
}
