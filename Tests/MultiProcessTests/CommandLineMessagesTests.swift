import Foundation
import Testing
import UltraDict
import _UltraDictTestSupport

/// What the `ultradict` command says when a key is missing and in its help, and what the tests'
/// own leak check does when it cannot look.
@Suite("Command line: messages", .serialized)
struct CommandLineMessagesTests {
    @Test(arguments: TestStore.allCases)
    func aMissingKeyHintsAtTheOtherReadingOnlyWhenThatKeyIsThere(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let held = try HeldDictionary(uniqueName(), in: fixture, entries: ["7", "seven"])
        defer { held.release() }
        let name = held.name
        #expect(try fixture.ultradict("set", name, "12", "1").status == 0, "the string key \"12\"")

        let asString = try fixture.ultradict("get", name, "7")
        #expect(asString.status == 1)
        #expect(asString.errors == "error: no key \"7\" in '\(name)' (KEY was read as a string; there is the key 7: pass --int-key)\n")
        let asInteger = try fixture.ultradict("delete", name, "12", "--int-key")
        #expect(asInteger.status == 1)
        #expect(asInteger.errors == "error: no key 12 in '\(name)' (KEY was read as an integer; there is the key \"12\": drop --int-key)\n")
        #expect(try fixture.ultradict("get", name, "8").errors == "error: no key \"8\" in '\(name)'\n", "no hint when neither is there")
        #expect(try fixture.ultradict("get", name, "b").errors == "error: no key \"b\" in '\(name)'\n")
    }

    @Test(arguments: ["dump", "watch"]) func commandsWithoutAKeyDescribeIntKeyAsDecoding(command: String) throws {
        let output = try helpText(command)
        #expect(output.contains("Decode a JSON full dump's keys as integers"), "\(output)")
        #expect(!output.contains("Read KEY"), "\(output)")
    }

    @Test func commandsWithAKeyDescribeIntKeyAsReadingIt() throws {
        #expect(try helpText("get").contains("Read KEY as an integer"))
    }

    @Test func theLeakCheckFailsWhenItCannotListTheDirectory() {
        var listed: [String] = []
        withKnownIssue("the directory does not exist") {
            listed = segments(of: "x", in: "/nonexistent-\(UInt32.random(in: .min ... .max))")
        }
        #expect(!listed.isEmpty, "a check for no segments fails")
    }

    /// The whole help of `ultradict COMMAND`.
    private func helpText(_ command: String) throws -> String {
        let result = try ChildProcess("ultradict", [command, "--help"]).finishWithOutput()
        #expect(result.status == 0, "\(result.errors)")
        return result.lines.joined(separator: "\n")
    }
}
