import Foundation
import Testing
import UltraDict

/// The command-line tool on a dictionary that Python UltraDict 0.0.6 made with its defaults
/// (pickle, no serializer recorded): `list` shows `pickle`, found in the stream or in the full
/// dump, and the commands read and write it without `--serializer`.
@Suite("Pickle in the command-line tool")
struct PickleToolTests {
    /// `ultradict`, built beside the test bundle.
    static let tool = SwiftHelper.executable.deletingLastPathComponent().appendingPathComponent("ultradict")

    /// Runs the tool with `arguments` and returns its exit status and last line.
    func ultradict(_ arguments: String...) throws -> (status: Int32, lastLine: String) {
        let process = try LineProcess(Self.tool, arguments)
        var last = ""
        while let line = try? process.readLine(timeout: .seconds(60)) { last = line }
        return (process.waitForExit(), last)
    }

    /// The serializer `list` shows for `name`.
    func listedSerializer(of name: String) throws -> String? {
        let list = try ultradict("list")
        let entries = try JSONSerialization.jsonObject(with: Data(list.lastLine.utf8)) as? [[String: Any]]
        return entries?.first { $0["name"] as? String == name }?["serializer"] as? String
    }

    @Test func theToolFindsPicklesInAPythonDictionary() throws {
        let s = InteropSession(.pickle)
        defer { s.finish() }
        let python = try s.python(create: (bufferSize: 1 << 16, fullDumpSize: nil))
        try python.run("write-range 0 3")
        #expect(try listedSerializer(of: s.name) == "pickle", "from the stream's first record")
        #expect(try ultradict("get", s.name, "1", "--int-key") == (0, "1"))
        #expect(try ultradict("set", s.name, "7", "70", "--int-key").status == 0)
        try python.run("dump")
        #expect(try listedSerializer(of: s.name) == "pickle", "from the full dump")
        #expect(try ultradict("dump", s.name) == (0, #"{"0":0,"1":1,"2":2,"7":70}"#))
        try python.run("expect-range 0 3")
    }

    /// A tree Python nested (`recurse=True`): `list` shows its nested dictionaries, named by
    /// Python (`psm_…`), `dump` reads it whole, and `unlink` removes every segment of it.
    @Test func theToolReadsAndUnlinksAPythonTree() throws {
        let name = "udinterop_\(UInt32.random(in: .min ... .max))"
        let python = try PythonAgent(name, serializer: .pickle, create: (10_000, nil), sharedLock: true, recurse: true, keep: true)
        try python.run("nest_make tree")
        try python.close()
        let list = try JSONSerialization.jsonObject(with: Data(ultradict("list").lastLine.utf8)) as? [[String: Any]]
        let nested = try #require(list?.first { $0["name"] as? String == name }?["nested"] as? [String])
        #expect(nested.count == 3 && nested[0] == name + "_register" && nested.dropFirst().allSatisfy { $0.hasPrefix("psm_") }, "\(nested)")
        #expect(try ultradict("dump", name) == (0, #"{"tree":{"deep":{"m":0},"n":0}}"#))
        let segments = ([name] + nested).flatMap { [$0, $0 + "_memory"] }
        #expect(segments.allSatisfy { FileManager.default.fileExists(atPath: "/dev/shm/\($0)") })
        #expect(try ultradict("unlink", name).status == 0)
        #expect(segments.filter { FileManager.default.fileExists(atPath: "/dev/shm/\($0)") }.isEmpty)
    }
}
