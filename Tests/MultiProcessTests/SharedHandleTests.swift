import Foundation
import Testing
import UltraDict
import _UltraDictTestSupport

/// One handle shared by the tasks of this process while another process writes.
@Suite("A handle shared by tasks, beside another process")
struct SharedHandleTests {
    /// 8 tasks of a task group share one handle: each sets its own key and increments a shared
    /// counter under the lock, while a helper process increments the same counter.
    @Test(arguments: TestStore.allCases)
    func eightTasksAndAnotherProcessCountExactly(store: TestStore) async throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let d: UltraDict<String, Int> = try fixture.createDictionary(name, serializer: "msgpack")
        defer { d.unlink(); #expect(fixture.segments(of: name).isEmpty) }
        let (tasks, times, helperTimes) = (8, 300, 5_000)

        let helper = try fixture.helper(["increment", name, "counter", String(helperTimes)])
        // The tasks start once the helper writes, so that their writes and reads meet its writes.
        while d["counter"] == nil { try await Task.sleep(for: .milliseconds(1)) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    for i in 1...times {
                        try d.withLock { d in d["counter", default: 0] += 1 }
                        d["task\(task)"] = i
                        guard d["task\(task)"] == i else { throw UltraDictError(.invalidArgument, "task \(task) lost its write \(i)") }
                    }
                }
            }
            try await group.waitForAll()
        }
        let result = helper.finish()
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.lastLine.hasPrefix("value "))
        #expect(d["counter"] == tasks * times + helperTimes)
        #expect((0..<tasks).allSatisfy { d["task\($0)"] == times })
    }
}
