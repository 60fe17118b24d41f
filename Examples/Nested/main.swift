// Nested dictionaries shared by two processes: `recurse: true` turns a dictionary value into a
// shared dictionary of its own, which every process changes in place.
//
//     swift run Nested
//
// The parent stores ["nested": ["deeper": [0: 1]]]; a second process (this same program, given
// the name) increments nested.deeper[0] under the lock through live nested handles; the parent
// then sees 2. Unlinking the root removes the nested dictionaries too.
import Foundation
import UltraDict

if CommandLine.arguments.count == 3, CommandLine.arguments[1] == "--worker" {
    let other = try UltraDict<UltraValue, UltraValue>(name: CommandLine.arguments[2], create: false, recurse: true)
    try other.nested("nested")!.nested("deeper")!.withLock { d in d[0] = .int((d[0]?.intValue ?? 0) + 1) }
} else {
    let shared = try UltraDict<UltraValue, UltraValue>(recurse: true)
    shared["nested"] = ["deeper": [0: 1]]

    let worker = Process()
    worker.executableURL = URL(fileURLWithPath: "/proc/self/exe")
    worker.arguments = ["--worker", shared.name]
    try worker.run()
    worker.waitUntilExit()
    guard worker.terminationReason == .exit, worker.terminationStatus == 0 else {
        print("worker failed with status \(worker.terminationStatus)")
        exit(1)
    }

    // `deepCopy()` copies the whole tree out as plain values (as reading `shared["nested"]` does for one entry).
    let expected: UltraValue = ["nested": ["deeper": [0: 2]]]
    let seen = UltraValue.dictionary(try shared.deepCopy())
    print("\(seen) == \(expected)")
    shared.unlink()
}
