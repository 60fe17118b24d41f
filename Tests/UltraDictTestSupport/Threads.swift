import Foundation

/// Runs `body(index)` on `count` threads at once, waits for all of them, and throws the first
/// error any of them threw.
package func runConcurrently(threads count: Int, _ body: @escaping @Sendable (Int) throws -> Void) throws {
    let firstError = FirstError()
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        Thread {
            do { try body(index) } catch { firstError.record(error) }
            group.leave()
        }.start()
    }
    group.wait()
    if let error = firstError.error { throw error }
}

/// The first error any thread recorded.
private final class FirstError: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (any Error)?

    func record(_ error: any Error) { lock.withLock { if stored == nil { stored = error } } }
    var error: (any Error)? { lock.withLock { stored } }
}
