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
}
