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

    @Test func dumpGetSetAndDeleteFollowTheRecursionFlag() throws {
        let name = uniqueName()
        let root = try makeTree(name)

        #expect(try ultradict("dump", name).lastLine == #"{"inner":{"a":1,"deep":{"b":2}},"plain":1}"#)
        #expect(try ultradict("get", name, "inner").lastLine == #"{"a":1,"deep":{"b":2}}"#)
        #expect(try ultradict("get", name, "plain").lastLine == "1")

        let set = try ultradict("set", name, "other", #"{"x":true}"#)
        #expect(set.status == 0, "\(set.errors)")
        #expect(try root.nested("other")?.snapshot == ["x": true], "the creator sees a nested dictionary")
        let delete = try ultradict("delete", name, "other")
        #expect(delete.status == 0, "\(delete.errors)")
        #expect(try root.value(forKey: "other") == nil)

        root.close()
        #expect(segments(of: name).isEmpty, "the command's nested dictionary went with the tree")
    }

    @Test func watchPrintsNestedDictionariesAsObjects() throws {
        let name = uniqueName()
        let root = try makeTree(name)
        defer { root.close(); #expect(segments(of: name).isEmpty) }
        let watcher = try ChildProcess("ultradict", ["watch", name, "--initial"])
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

    @Test func unlinkRemovesTheRegisterAndEveryNestedDictionary() throws {
        let name = uniqueName()
        let root = try makeTree(name, autoUnlink: false)
        defer { root.close() }
        let tree = segments(of: name)
        #expect(tree.contains(name + "_register") && tree.count >= 8, "root, register and two nested dictionaries: \(tree)")

        let result = try ultradict("unlink", name)
        #expect(result.status == 0, "\(result.errors)")
        let unlinked = try #require(try parseJSON(result.lastLine) as? [String])
        #expect(Array(unlinked.prefix(2)) == [name, name + "_memory"], "the root's control segment goes first")
        #expect(unlinked.sorted() == tree.sorted())
        #expect(segments(of: name).isEmpty)
    }

    @Test func listShowsATreeAndCleanKeepsANestedDictionaryOfALiveTree() throws {
        let name = uniqueName()
        let root = try makeTree(name, nested: false)
        defer { root.close(); #expect(segments(of: name).isEmpty) }
        // Created by the command, which exits: a nested dictionary whose creator is dead, that nobody maps.
        #expect(try ultradict("set", name, "inner", #"{"a":1}"#).status == 0)
        let nestedName = try #require(segments(of: name + "_n").first { !$0.hasSuffix("_memory") })

        let list = try #require(try parseJSON(try ultradict("list").lastLine) as? [[String: Any]])
        let entries = Dictionary(list.compactMap { entry in (entry["name"] as? String).map { ($0, entry) } }) { first, _ in first }
        #expect(entries[name]?["nested"] as? [String] == [name + "_register", nestedName])
        #expect(entries[name]?["root"] is NSNull)
        #expect(entries[nestedName]?["root"] as? String == name)
        #expect(entries[name + "_register"]?["root"] as? String == name)

        #expect(try ultradict("clean", "--prefix", name).lastLine == "[]", "the tree's creator runs")
        #expect(try ultradict("get", name, "inner").lastLine == #"{"a":1}"#)
        let direct = try ultradict("get", nestedName, "a")
        #expect(direct.status == 2)
        #expect(direct.errors.contains("a nested dictionary is read through its root"), "\(direct.errors)")
        let watcher = try ChildProcess("ultradict", ["watch", nestedName, "--initial"])
        let deadline = Watchdog(watcher, seconds: 60)
        defer { deadline.stop() }
        #expect(watcher.readLine() == #"{"event":"set","key":"a","value":1}"#, "watch reads a nested dictionary alone")
        kill(watcher.process.processIdentifier, SIGKILL)
        _ = watcher.finish()
    }

    @Test func cleanRemovesAnOrphanedTreeWhole() throws {
        // A root with no creator recorded (as Python leaves one) is an orphan once nobody uses it.
        let name = uniqueName()
        try makePythonStyleDictionary(name, recurse: true)
        let nestedName = name + "_n" + String(repeating: "0", count: 15) + "1"
        try makeRegister(of: name, listing: [nestedName])
        try UltraDict<String, Int>(name: nestedName, create: true, autoUnlink: false).close()
        defer { _ = try? ultradict("unlink", name) }
        let tree = [name, name + "_memory", name + "_register", name + "_register_memory", nestedName, nestedName + "_memory"]
        let expected = #"[{"kind":"dictionary","name":"\#(name)","segments":["\#(tree.joined(separator: #"",""#))"]}]"#

        #expect(try ultradict("clean", "--dry-run", "--prefix", name).lastLine == expected)
        #expect(try ultradict("clean", "--prefix", name).lastLine == expected)
        #expect(segments(of: name).isEmpty)
    }

    @Test func unlinkFollowsOnlyNestedNamesFromTheRegister() throws {
        // A register is shared memory: a name in it that is not a nested dictionary's of this
        // tree is never unlinked, nor reported as unlinked.
        let name = uniqueName()
        let other = try UltraDict<String, Int>(name: uniqueName("other"), create: true)
        defer { other.close(); #expect(segments(of: other.name).isEmpty) }
        try makePythonStyleDictionary(name, recurse: true)
        try makeRegister(of: name, listing: [other.name])

        let list = try #require(try parseJSON(try ultradict("list").lastLine) as? [[String: Any]])
        let root = list.first { $0["name"] as? String == name }
        #expect(root?["nested"] as? [String] == [name + "_register"], "a name of another shape is not shown as nested")
        #expect(list.first { $0["name"] as? String == other.name }?["root"] is NSNull, "nor counted in the tree")

        let result = try ultradict("unlink", name)
        #expect(result.lastLine == #"["\#(name)","\#(name)_memory","\#(name)_register","\#(name)_register_memory"]"#, "\(result.errors)")
        #expect(segments(of: name).isEmpty)
        #expect(segments(of: other.name).count == 2, "the dictionary the register named stays")
    }

    // MARK: Helpers

    /// Creates the recursive dictionary `name` in this process with `plain: 1` and, when `nested`,
    /// `inner: {a: 1, deep: {b: 2}}`: two nested dictionaries and the register.
    private func makeTree(_ name: String, autoUnlink: Bool? = nil, nested: Bool = true) throws -> UltraDict<String, UltraValue> {
        let root = try UltraDict<String, UltraValue>(name: name, create: true, autoUnlink: autoUnlink, recurse: true)
        try root.updateValue(1, forKey: "plain")
        if nested { try root.updateValue(["a": 1, "deep": ["b": 2]], forKey: "inner") }
        return root
    }

    /// Creates the register of the root `rootName` listing `names`, and closes it (it stays).
    private func makeRegister(of rootName: String, listing names: [String]) throws {
        let register = try UltraDict<String, Int>(name: rootName + "_register", create: true, autoUnlink: false)
        for name in names { register[name] = 1 }
        register.close()
    }
}
