import Foundation
import UltraDict

/// Swift creates the dictionary with its defaults, MessagePack and the shared spinlock, and
/// `two_languages.py` attaches to it with `serializer=msgpack, shared_lock=True`.
func swiftCreates() throws {
    // Heterogeneous values, as in Python; a random name, which the Python script gets as an argument.
    let shared = try UltraDict<String, UltraValue>()
    shared["greeting"] = "Hello from Swift"
    shared["counter"] = 0

    let child = try startPython("two_languages.py", [shared.name, String(times)])

    for _ in 0..<times {
        // Read-modify-write is atomic only under the lock, which Python's `with d.lock:` takes too.
        // The timeout and the take-over matter only if the Python process died holding the lock.
        try shared.withLock(timeout: .seconds(10), stealAfterTimeout: true) { d in
            guard case .int(let counter)? = d["counter"] else { fail("counter is \(String(describing: d["counter"]))") }
            d["counter"] = .int(counter + 1)
        }
    }

    child.waitUntilExit()
    guard child.terminationStatus == 0 else {
        shared.unlink()
        fail("the Python script exited with status \(child.terminationStatus)")
    }
    print("Swift read: \(shared["reply"] ?? nil) in \(shared["languages"] ?? nil)")
    print("Counter: \(shared["counter"] ?? nil) == \(2 * times)")
    shared.unlink()
}
