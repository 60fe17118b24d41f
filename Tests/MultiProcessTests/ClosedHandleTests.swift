import Foundation
import Testing
import _UltraDictTestSupport

/// What a closed handle does that a test process cannot survive: in a process of its own.
@Suite("Closed handles")
struct ClosedHandleTests {
    /// The subscript's setter cannot throw: a write after `close()` traps, naming the dictionary
    /// and why, as any failed write does, rather than being dropped.
    @Test(arguments: TestStore.allCases)
    func aSubscriptWriteAfterCloseTraps(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let result = try fixture.helper(["write-after-close", name]).finishWithOutput()
        #expect(result.lines == ["closed"])
        #expect(result.status != 0 && result.errors.contains("UltraDict '\(name)' is closed"), "\(result.errors)")
        #expect(fixture.segments(of: name).isEmpty)
    }
}
