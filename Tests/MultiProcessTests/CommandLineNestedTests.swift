import Foundation
import Testing
import UltraDict
import _UltraDictTestSupport

/// The `ultradict` command on dictionaries created with `recurse: true`: it reads and writes them
/// with their nested dictionaries, and `unlink`, `list` and `clean` treat a root, its register
/// `NAME_register` and its nested dictionaries as one tree.
@Suite("Command line: nested dictionaries", .serialized)
struct CommandLineNestedTests {
    // MARK: Reading and writing

    @Test(arguments: TestStore.allCases)
    func dumpGetSetAndDeleteFollowTheRecursionFlag(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let root = try makeTree(name, in: fixture)

        #expect(try fixture.ultradict("dump", name).lastLine == #"{"inner":{"a":1,"deep":{"b":2}},"plain":1}"#)
        #expect(try fixture.ultradict("get", name, "inner").lastLine == #"{"a":1,"deep":{"b":2}}"#)
        #expect(try fixture.ultradict("get", name, "plain").lastLine == "1")

        let set = try fixture.ultradict("set", name, "other", #"{"x":true}"#)
        #expect(set.status == 0, "\(set.errors)")
        #expect(try root.nested("other")?.snapshot == ["x": true], "the creator sees a nested dictionary")
        let delete = try fixture.ultradict("delete", name, "other")
        #expect(delete.status == 0, "\(delete.errors)")
        #expect(try root.value(forKey: "other") == nil)

        root.close()
        #expect(fixture.segments(of: name).isEmpty, "the command's nested dictionary went with the tree")
    }

    @Test(arguments: TestStore.allCases)
    func watchPrintsNestedDictionariesAsObjects(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let root = try makeTree(name, in: fixture)
        defer { root.close(); #expect(fixture.segments(of: name).isEmpty) }
        let watcher = try fixture.tool(["watch", name, "--initial"])
        let deadline = Watchdog(watcher, seconds: 60)
        defer { deadline.stop() }

        #expect(watcher.readLine() == #"{"event":"set","key":"inner","value":{"a":1,"deep":{"b":2}}}"#)
        #expect(watcher.readLine() == #"{"event":"set","key":"plain","value":1}"#)
        try root.updateValue(["c": 3], forKey: "more")
        #expect(watcher.readLine() == #"{"event":"set","key":"more","value":{"c":3}}"#, "read from the pipe while watch runs")

        kill(watcher.process.processIdentifier, SIGKILL)
        _ = watcher.finish()
    }

    // MARK: unlink, list and clean

    @Test(arguments: TestStore.allCases)
    func unlinkRemovesTheRegisterAndEveryNestedDictionary(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let root = try makeTree(name, in: fixture, autoUnlink: false)
        defer { root.close() }
        let tree = fixture.segments(of: name)
        #expect(tree.contains(name + "_register") && tree.count >= 8, "root, register and two nested dictionaries: \(tree)")

        let result = try fixture.ultradict("unlink", name)
        #expect(result.status == 0, "\(result.errors)")
        let unlinked = try #require(try parseJSON(result.lastLine) as? [String])
        #expect(Array(unlinked.prefix(2)) == [name, name + "_memory"], "the root's control segment goes first")
        #expect(unlinked.sorted() == tree.sorted())
        #expect(fixture.segments(of: name).isEmpty)
    }

    @Test(arguments: TestStore.allCases)
    func listShowsATreeAndCleanKeepsANestedDictionaryOfALiveTree(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let root = try makeTree(name, in: fixture, nested: false)
        defer { root.close(); #expect(fixture.segments(of: name).isEmpty) }
        // Created by the command, which exits: a nested dictionary whose creator is dead, that nobody maps.
        #expect(try fixture.ultradict("set", name, "inner", #"{"a":1}"#).status == 0)
        let nestedName = try #require(fixture.segments(of: name + "_n").first { !$0.hasSuffix("_memory") })

        let list = try #require(try parseJSON(try fixture.ultradict("list").lastLine) as? [[String: Any]])
        let entries = Dictionary(list.compactMap { entry in (entry["name"] as? String).map { ($0, entry) } }) { first, _ in first }
        #expect(entries[name]?["nested"] as? [String] == [name + "_register", nestedName])
        #expect(entries[name]?["root"] is NSNull)
        #expect(entries[nestedName]?["root"] as? String == name)
        #expect(entries[name + "_register"]?["root"] as? String == name)

        #expect(try fixture.ultradict("clean", "--prefix", name).lastLine == "[]", "the tree's creator runs")
        #expect(try fixture.ultradict("get", name, "inner").lastLine == #"{"a":1}"#)
        let direct = try fixture.ultradict("get", nestedName, "a")
        #expect(direct.status == 2)
        #expect(direct.errors.contains("a nested dictionary is read through its root"), "\(direct.errors)")
        let watcher = try fixture.tool(["watch", nestedName, "--initial"])
        let deadline = Watchdog(watcher, seconds: 60)
        defer { deadline.stop() }
        #expect(watcher.readLine() == #"{"event":"set","key":"a","value":1}"#, "watch reads a nested dictionary alone")
        kill(watcher.process.processIdentifier, SIGKILL)
        _ = watcher.finish()
    }

    @Test(arguments: TestStore.allCases)
    func cleanRemovesAnOrphanedTreeWhole(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        // A root with no creator recorded (as Python leaves one) is an orphan once nobody uses it.
        let name = uniqueName()
        try makePythonStyleDictionary(name, in: fixture, recurse: true)
        let nestedName = name + "_n" + String(repeating: "0", count: 15) + "1"
        try makeRegister(of: name, listing: [nestedName], in: fixture)
        _ = try makePythonStyleDictionary(nestedName, in: fixture, recurse: true)
        defer { _ = try? fixture.ultradict("unlink", name) }
        let tree = [name, name + "_memory", name + "_register", name + "_register_memory", nestedName, nestedName + "_memory"]
        let expected = fixture.cleaned(#"[{"kind":"dictionary","name":"\#(name)","segments":["\#(tree.joined(separator: #"",""#))"]}]"#)

        #expect(try fixture.ultradict("clean", "--dry-run", "--prefix", name).lastLine == expected)
        #expect(try fixture.ultradict("clean", "--prefix", name).lastLine == expected)
        #expect(fixture.segments(of: name).count == (fixture.cleanRemovesDictionaries ? 0 : tree.count))
    }

    @Test(arguments: TestStore.allCases)
    func unlinkFollowsOnlyNestedNamesFromTheRegister(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        // A register is shared memory: a name in it that is not a nested dictionary's of this
        // tree is never unlinked, nor reported as unlinked.
        let name = uniqueName()
        let other = try UltraDict<String, Int>(name: uniqueName("other"), create: true, configuration: UltraDictConfiguration(autoUnlink: true, store: fixture.store))
        defer { other.close(); #expect(fixture.segments(of: other.name).isEmpty) }
        try makePythonStyleDictionary(name, in: fixture, recurse: true)
        try makeRegister(of: name, listing: [other.name], in: fixture)

        let list = try #require(try parseJSON(try fixture.ultradict("list").lastLine) as? [[String: Any]])
        let root = list.first { $0["name"] as? String == name }
        #expect(root?["nested"] as? [String] == [name + "_register"], "a name of another shape is not shown as nested")
        #expect(list.first { $0["name"] as? String == other.name }?["root"] is NSNull, "nor counted in the tree")

        let result = try fixture.ultradict("unlink", name)
        #expect(result.lastLine == #"["\#(name)","\#(name)_memory","\#(name)_register","\#(name)_register_memory"]"#, "\(result.errors)")
        #expect(fixture.segments(of: name).isEmpty)
        #expect(fixture.segments(of: other.name).count == 2, "the dictionary the register named stays")
    }

    // MARK: Helpers

    /// Creates the recursive dictionary `name` in this process, in `fixture`'s store, with `plain: 1`
    /// and, when `nested`, `inner: {a: 1, deep: {b: 2}}`: two nested dictionaries and the register.
    private func makeTree(_ name: String, in fixture: StoreFixture, autoUnlink: Bool? = nil, nested: Bool = true) throws -> UltraDict<String, UltraValue> {
        let configuration = UltraDictConfiguration(autoUnlink: autoUnlink ?? true, recurse: true, store: fixture.store)
        let root = try UltraDict<String, UltraValue>(name: name, create: true, configuration: configuration)
        try root.updateValue(1, forKey: "plain")
        if nested { try root.updateValue(["a": 1, "deep": ["b": 2]], forKey: "inner") }
        return root
    }

    /// Creates in `fixture`'s store the register of the root `rootName` listing `names`, and closes it (it stays).
    private func makeRegister(of rootName: String, listing names: [String], in fixture: StoreFixture) throws {
        let configuration = UltraDictConfiguration(autoUnlink: false, store: fixture.store)
        let register = try UltraDict<String, UltraValue>(name: rootName + "_register", create: true, configuration: configuration)
        for name in names { register[name] = true }
        register.close()
    }
}
