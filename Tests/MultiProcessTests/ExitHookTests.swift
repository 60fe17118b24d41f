import Foundation
import Testing
import UltraDict
import _UltraDictTestSupport

/// What happens to the dictionaries of handles still open when a process ends (the exit hook,
/// `Docs/RELIABILITY.md`): the helper creates a recursive dictionary with one nested dictionary,
/// keeps its handle in a global, which is never deinitialized, and ends in different ways.
@Suite("Exit hook")
struct ExitHookTests {
    /// Runs `exit-hook NAME how` to its end; returns its status and what it printed.
    func runExitHook(_ name: String, _ how: String) throws -> (status: Int32, lines: [String], errors: String) {
        try ChildProcess("UltraDictTestHelper", ["exit-hook", name, how]).finishWithOutput()
    }

    /// Expects the segments of `name` (with its nested dictionary and register: at least six) to be there.
    func expectLeftBehind(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(segments(of: name).count >= 6, "\(segments(of: name))", sourceLocation: sourceLocation)
    }

    @Test(arguments: ["return", "exit"])
    func aNormalExitUnlinksTheCreatorsDictionaries(ending how: String) throws {
        let name = uniqueName()
        defer { _ = try? UltraDict<UltraValue, UltraValue>.unlink(name: name) }
        let result = try runExitHook(name, how)
        #expect(result.status == 0 && result.lines == ["created"], "\(result.errors)")
        #expect(segments(of: name).isEmpty)
    }

    @Test func handlesCreatedOnSeveralThreadsAreAllUnlinked() throws {
        let name = uniqueName()
        let names = [name] + (0..<4).map { "\(name)_t\($0)" }
        defer { for name in names { _ = try? UltraDict<UltraValue, UltraValue>.unlink(name: name) } }
        let result = try runExitHook(name, "threads")
        #expect(result.status == 0, "\(result.errors)")
        #expect(segments(of: name).isEmpty)
    }

    @Test func aForkedChildsExitLeavesTheParentsDictionary() throws {
        let name = uniqueName()
        defer { for name in [name, name + "_child"] { _ = try? UltraDict<UltraValue, UltraValue>.unlink(name: name) } }
        let result = try runExitHook(name, "fork")
        #expect(result.status == 0 && result.lines == ["created", "after the child's exit: present"], "\(result.errors)")
        #expect(segments(of: name).isEmpty)  // the child's own dictionary went at its exit, the parent's at the parent's
    }

    @Test func aForkedChildThatClosesItsCopyOfTheHandleLeavesTheParentsDictionary() throws {
        let name = uniqueName()
        let result = try runExitHook(name, "fork-close")
        #expect(result.status == 0 && result.lines == ["created", "after the child's close: present"], "\(result.errors)")
        #expect(segments(of: name).isEmpty)  // the parent's exit unlinks it
    }

    @Test func autoUnlinkTurnedOffBeforeExitKeepsTheDictionary() throws {
        let name = uniqueName()
        defer { _ = try? UltraDict<UltraValue, UltraValue>.unlink(name: name) }
        let result = try runExitHook(name, "keep")
        #expect(result.status == 0, "\(result.errors)")
        expectLeftBehind(name)
        let kept = try UltraDict<UltraValue, UltraValue>(name: name, create: false, recurse: true)
        #expect(kept["tree"] == ["leaf": 1])
    }

    @Test(arguments: [SIGTERM, SIGINT, SIGKILL])
    func aSignalLeavesTheSegmentsUntilTheyAreUnlinkedByName(signal: Int32) throws {
        let name = uniqueName()
        let child = try ChildProcess("UltraDictTestHelper", ["exit-hook", name, "wait"])
        #expect(child.readLine() == "created")
        kill(child.process.processIdentifier, signal)
        let result = child.finishWithOutput()
        #expect(child.process.terminationReason == .uncaughtSignal && result.status == signal)
        expectLeftBehind(name)
        #expect(try UltraDict<UltraValue, UltraValue>.unlink(name: name))
        #expect(segments(of: name).isEmpty)
    }

    @Test func aCrashLeavesTheSegmentsUntilTheyAreUnlinkedByName() throws {
        let name = uniqueName()
        let result = try runExitHook(name, "crash")
        #expect(result.status != 0 && result.errors.contains("crashing on purpose"))
        expectLeftBehind(name)
        #expect(try UltraDict<UltraValue, UltraValue>.unlink(name: name))
        #expect(segments(of: name).isEmpty)
    }
}
