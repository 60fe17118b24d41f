import Foundation
import Testing
import UltraDict
import _UltraDictTestSupport

/// What happens to the dictionaries of handles still open when a process ends (the exit hook,
/// `Docs/RELIABILITY.md`): the helper creates a recursive dictionary with one nested dictionary,
/// keeps its handle in a global, which is never deinitialized, and ends in different ways.
@Suite("Exit hook")
struct ExitHookTests {
    /// Runs `exit-hook NAME how` in `fixture`'s store, with `serializer`, to its end; returns its
    /// status and what it printed.
    func runExitHook(
        _ name: String, _ how: String, in fixture: StoreFixture, serializer: String = "msgpack"
    ) throws -> (status: Int32, lines: [String], errors: String) {
        try fixture.helper(["exit-hook", name, how, "--serializer", serializer]).finishWithOutput()
    }

    /// Expects the segments of `name` (with its nested dictionary and register: at least six) to be there.
    func expectLeftBehind(_ name: String, in fixture: StoreFixture, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(fixture.segments(of: name).count >= 6, "\(fixture.segments(of: name))", sourceLocation: sourceLocation)
    }

    /// Unlinks the dictionaries `names` by name, as a test's cleanup (they may be gone already).
    func unlinkQuietly(_ names: [String], in fixture: StoreFixture) {
        for name in names { _ = try? UltraDict<UltraValue, UltraValue>.unlink(name: name, store: fixture.store) }
    }

    @Test(arguments: TestStore.allCases, ["return", "exit"])
    func aNormalExitUnlinksTheCreatorsDictionaries(store: TestStore, ending how: String) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        defer { unlinkQuietly([name], in: fixture) }
        let result = try runExitHook(name, how, in: fixture)
        #expect(result.status == 0 && result.lines == ["created"], "\(result.errors)")
        #expect(fixture.segments(of: name).isEmpty)
    }

    /// A tree with pickle (whose register is pickled, as Python's) goes whole at exit too.
    @Test(arguments: TestStore.allCases)
    func aNormalExitUnlinksATreeWithPickle(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        defer { unlinkQuietly([name], in: fixture) }
        let result = try runExitHook(name, "return", in: fixture, serializer: "pickle")
        #expect(result.status == 0 && result.lines == ["created"], "\(result.errors)")
        #expect(fixture.segments(of: name).isEmpty)
    }

    @Test(arguments: TestStore.allCases)
    func handlesCreatedOnSeveralThreadsAreAllUnlinked(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        defer { unlinkQuietly([name] + (0..<4).map { "\(name)_t\($0)" }, in: fixture) }
        let result = try runExitHook(name, "threads", in: fixture)
        #expect(result.status == 0, "\(result.errors)")
        #expect(fixture.segments(of: name).isEmpty)
    }

    @Test(arguments: TestStore.allCases)
    func aForkedChildsExitLeavesTheParentsDictionary(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        defer { unlinkQuietly([name, name + "_child"], in: fixture) }
        let result = try runExitHook(name, "fork", in: fixture)
        #expect(result.status == 0 && result.lines == ["created", "after the child's exit: present"], "\(result.errors)")
        #expect(fixture.segments(of: name).isEmpty)  // the child's own dictionary went at its exit, the parent's at the parent's
    }

    @Test(arguments: TestStore.allCases)
    func aForkedChildThatClosesItsCopyOfTheHandleLeavesTheParentsDictionary(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let result = try runExitHook(name, "fork-close", in: fixture)
        #expect(result.status == 0 && result.lines == ["created", "after the child's close: present"], "\(result.errors)")
        #expect(fixture.segments(of: name).isEmpty)  // the parent's exit unlinks it
    }

    @Test(arguments: TestStore.allCases)
    func autoUnlinkTurnedOffBeforeExitKeepsTheDictionary(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        defer { unlinkQuietly([name], in: fixture) }
        let result = try runExitHook(name, "keep", in: fixture)
        #expect(result.status == 0, "\(result.errors)")
        expectLeftBehind(name, in: fixture)
        let kept = try UltraDict<UltraValue, UltraValue>(name: name, create: false, configuration: UltraDictConfiguration(recurse: true, store: fixture.store))
        #expect(kept["tree"] == ["leaf": 1])
    }

    @Test(arguments: TestStore.allCases, [SIGTERM, SIGINT, SIGKILL])
    func aSignalLeavesTheSegmentsUntilTheyAreUnlinkedByName(store: TestStore, signal: Int32) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let child = try fixture.helper(["exit-hook", name, "wait"])
        #expect(child.readLine() == "created")
        kill(child.process.processIdentifier, signal)
        let result = child.finishWithOutput()
        #expect(child.process.terminationReason == .uncaughtSignal && result.status == signal)
        expectLeftBehind(name, in: fixture)
        #expect(try UltraDict<UltraValue, UltraValue>.unlink(name: name, store: fixture.store))
        #expect(fixture.segments(of: name).isEmpty)
    }

    @Test(arguments: TestStore.allCases)
    func aCrashLeavesTheSegmentsUntilTheyAreUnlinkedByName(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let result = try runExitHook(name, "crash", in: fixture)
        #expect(result.status != 0 && result.errors.contains("crashing on purpose"))
        expectLeftBehind(name, in: fixture)
        #expect(try UltraDict<UltraValue, UltraValue>.unlink(name: name, store: fixture.store))
        #expect(fixture.segments(of: name).isEmpty)
    }
}
