import Foundation
import Testing
import _UltraDictTestSupport

/// What a closed handle does that a test process cannot survive: in a process of its own.
@Suite("Closed handles")
struct ClosedHandleTests {
    /// The subscript's setter cannot throw: a write after `close()` traps, naming the dictionary
    /// and why, as any failed write does, rather than being dropped.
    @Test func aSubscriptWriteAfterCloseTraps() throws {
        let name = uniqueName()
        let result = try ChildProcess("UltraDictTestHelper", ["write-after-close", name]).finishWithOutput()
        #expect(result.lines == ["closed"])
        #expect(result.status != 0 && result.errors.contains("UltraDict '\(name)' is closed"), "\(result.errors)")
        #expect(segments(of: name).isEmpty)
    }
}
