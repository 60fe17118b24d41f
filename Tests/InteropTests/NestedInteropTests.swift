import Foundation
import Testing
import UltraDict
import UltraDictPickle

/// Nested dictionaries (`recurse=True`) shared with Python UltraDict 0.0.6, which nests only with
/// its default serializer, pickle: each side reads the other's nested dictionaries, increments
/// counters in them in place, creates new ones the other opens as live dictionaries, and
/// unlinking the root from either side removes every segment of the tree.
@Suite("Interop: nested dictionaries")
struct NestedInteropTests {
    /// The recursive root `name` with pickle and the shared lock, opened in this process.
    private func openRoot(_ name: String, create: Bool) throws -> UltraDict<UltraValue, UltraValue> {
        try UltraDict(
            name: name, create: create,
            configuration: UltraDictConfiguration(serializer: PickleSerializer(), autoUnlink: false, recurse: true)
        )
    }

    /// The segments of the tree of `root`: its own, its register's, and those of every
    /// dictionary its register lists (as names of `/dev/shm`). The test's dictionaries are too
    /// small to make full dumps.
    private func treeSegments(of root: UltraDict<UltraValue, UltraValue>) throws -> Set<String> {
        let register = try UltraDict<String, UltraValue>(
            name: root.name + "_register", create: false, configuration: UltraDictConfiguration(serializer: PickleSerializer())
        )
        defer { register.close() }
        return Set(([root.name, register.name] + register.keys).flatMap { [$0, $0 + "_memory"] })
    }

    private func existing(_ segments: Set<String>) -> Set<String> {
        segments.filter { FileManager.default.fileExists(atPath: "/dev/shm/\($0)") }
    }

    /// Increments the counter `key` of `dictionary` `times` times under its lock.
    private func increment(_ key: UltraValue, in dictionary: UltraDict<UltraValue, UltraValue>, times: Int) throws {
        for _ in 0..<times {
            try dictionary.withLock { d in d[key] = .int((d[key]?.intValue ?? 0) + 1) }
        }
    }

    @Test func pythonsTreeIsReadWrittenAndUnlinkedBySwift() throws {
        let name = "udinterop_\(UInt32.random(in: .min ... .max))"
        let python = try PythonAgent(name, serializer: .pickle, create: (10_000, nil), sharedLock: true, recurse: true, keep: true)
        defer { try? python.close() }
        try python.run("nest_make tree")
        let root = try openRoot(name, create: false)
        defer { root.close() }
        #expect(try root.deepCopy() == ["tree": ["n": 0, "deep": ["m": 0]]])

        // Both sides increment the same counters in place, at once.
        let tree = try #require(try root.nested("tree"))
        let deep = try #require(try tree.nested("deep"))
        python.start("nest_increment tree.n 300")
        try increment("n", in: tree, times: 300)
        _ = try python.answer(to: "nest_increment")
        try python.run("nest_increment tree.deep.m 100")
        try increment("m", in: deep, times: 100)
        #expect(try tree.value(forKey: "n") == 600 && deep.value(forKey: "m") == 200)

        // A dictionary Swift nests is a live UltraDict in Python, in Python's tree.
        root["swift"] = ["k": 1, "inner": ["z": 5]]
        #expect(try python.run("nest_type swift") == "UltraDict")
        #expect(try python.run("nest_type swift.inner") == "UltraDict")
        #expect(try python.run("nest_increment swift.k 10") == "11")
        #expect(try root.nested("swift")?.value(forKey: "k") == 11)
        #expect(try python.run("nest_get") == #"{"swift":{"inner":{"z":5},"k":11},"tree":{"deep":{"m":200},"n":600}}"#)

        let segments = try treeSegments(of: root)
        #expect(segments.count >= 12 && existing(segments) == segments, "\(segments)")
        root.unlink()
        #expect(existing(segments).isEmpty)
        try python.close()
    }

    @Test func swiftsTreeIsReadWrittenAndUnlinkedByPython() throws {
        let name = "udinterop_\(UInt32.random(in: .min ... .max))"
        let root = try openRoot(name, create: true)
        defer { root.close() }
        root["tree"] = ["n": 0, "deep": ["m": 0]]
        let python = try PythonAgent(name, serializer: .pickle, create: nil, sharedLock: true)
        defer { try? python.close() }
        #expect(try python.run("nest_type tree.deep") == "UltraDict")

        let tree = try #require(try root.nested("tree"))
        python.start("nest_increment tree.n 300")
        try increment("n", in: tree, times: 300)
        _ = try python.answer(to: "nest_increment")
        try python.run("nest_increment tree.deep.m 7")
        #expect(try tree.value(forKey: "n") == 600 && tree.nested("deep")?.value(forKey: "m") == 7)

        // A dictionary Python nests is registered in Swift's tree, and Swift opens it.
        try python.run("nest_make python")
        #expect(try root.deepCopy()["python"] == ["n": 0, "deep": ["m": 0]])
        let pythonsOwn = try #require(try root.nested("python"))
        try increment("n", in: pythonsOwn, times: 3)
        #expect(try python.run("nest_get") == #"{"python":{"deep":{"m":0},"n":3},"tree":{"deep":{"m":7},"n":600}}"#)

        let segments = try treeSegments(of: root)
        #expect(segments.count >= 12 && existing(segments) == segments, "\(segments)")
        try python.unlink()
        #expect(existing(segments).isEmpty)
        root.close()
    }
}
