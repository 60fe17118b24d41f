import Foundation
import Testing

/// Every example runs as users run it, and its last line is asserted.
@Suite("Examples")
struct ExamplesTests {
    /// Runs the example `product` with `arguments` and returns its last line, expecting success.
    func lastLine(of product: String, _ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try ChildProcess(product, arguments).finish()
        #expect(result.status == 0, "\(product) failed: \(result.errors)", sourceLocation: sourceLocation)
        return result.lastLine
    }

    @Test func simple() throws {
        #expect(try lastLine(of: "Simple") == "Length: 100000 == 100000 == 100000")
    }

    /// A class whose properties live in a shared dictionary through `@dynamicMemberLookup`, in two processes.
    @Test func dynamicMember() throws {
        #expect(try lastLine(of: "DynamicMember") == "greeting: hello, parent, visits: 2, position: (3, 4)")
    }

    /// A serializer written in one file (`Examples/CustomSerializer/CompactSerializer.swift`), shared by two processes.
    @Test func customSerializer() throws {
        #expect(try lastLine(of: "CustomSerializer") == "Custom serializer: 100 == 100")
    }

    /// Needs the Python side in .venv (`bash .ci/install-deps`); without it the example fails, and so does this test.
    @Test func twoLanguages() throws {
        #expect(try lastLine(of: "TwoLanguages") == "Counter: 20000 == 20000")
    }

    /// Python creates the dictionary with its defaults (pickle) and `shared_lock=True`; Swift attaches with `PickleSerializer`.
    @Test func twoLanguagesWithPythonsDefaults() throws {
        #expect(try lastLine(of: "TwoLanguages", "--pickle") == "Counter: 20000 == 20000")
    }

    /// Three processes, one after another, count their visits in a file store; the dictionary outlives each.
    @Test func durable() throws {
        #expect(try lastLine(of: "Durable") == "Visits: 3 == 3")
    }

    /// One process prints each change a second one makes, as it arrives.
    @Test func changes() throws {
        #expect(try lastLine(of: "Changes") == "Changes: 11 == 11")
    }

    /// Four processes × 25,000 increments under `withLock`.
    @Test func parallel() throws {
        #expect(try lastLine(of: "Parallel") == "Counter: 100000 == 100000")
    }

    /// Two processes × 10,000 increments under `withLock`, on a Redis server the example starts.
    @Test func beyondOneHost() throws {
        #expect(try lastLine(of: "BeyondOneHost") == "Counter: 20000 == 20000")
    }

    /// Five processes count to 100; one is killed holding the lock, and the others take it over.
    @Test func recoverFromStaleLock() throws {
        let started = ContinuousClock.now
        #expect(try lastLine(of: "RecoverFromStaleLock") == "Counter: 100 == 100")
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    /// A nested dictionary changed in place by a second process.
    @Test func nested() throws {
        #expect(try lastLine(of: "Nested") == #"{"nested": {"deeper": {0: 2}}} == {"nested": {"deeper": {0: 2}}}"#)
    }
}
