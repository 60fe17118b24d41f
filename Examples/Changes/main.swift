// Being told of changes instead of polling for them.
//
//     swift run Changes
//
// This process watches a dictionary with `changes()`; a second process (this program run with
// `--write NAME`) sets ten prices and removes one. Each change is printed as it arrives: the
// watcher sleeps in the kernel until the writer wakes it, without polling.
import Foundation
import UltraDict

let prices = 10

if CommandLine.arguments.count == 3, CommandLine.arguments[1] == "--write" {
    // The writer: attaches the watcher's dictionary and changes it.
    let shop = try UltraDict<String, Int>(name: CommandLine.arguments[2], create: false)
    for item in 1...prices {
        shop["item \(item)"] = item * 100
        usleep(20_000)  // so that the changes arrive one by one
    }
    try shop.removeValue(forKey: "item 1")
} else {
    let shop = try UltraDict<String, Int>(name: "changes_example_\(getpid())")
    defer { shop.unlink() }
    let changes = shop.changes()  // from now on: nothing is missed while the writer starts

    let writer = Process()
    writer.executableURL = URL(fileURLWithPath: "/proc/self/exe")
    writer.arguments = ["--write", shop.name]
    try writer.run()

    var sets = 0
    var removals = 0
    for try await change in changes {
        switch change {
        case .set(let item, let price):
            print("\(item) costs \(price)")
            sets += 1
        case .removed(let item):
            print("\(item) removed")
            removals += 1
        }
        if sets == prices && removals == 1 { break }
    }
    writer.waitUntilExit()
    print("Changes: \(sets + removals) == \(prices + 1)")
}
