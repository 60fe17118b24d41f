// A dictionary shared between two processes through a serializer of our own, CompactSerializer
// (in CompactSerializer.swift beside this file; its tests run UltraDictSerializerConformance on it).
//
//     swift run CustomSerializer
//
// The parent creates the dictionary under a random name and starts this same program again as the
// child, passing the name. The child attaches with the same serializer and writes 100 entries; the
// parent reads them back. Attaching with another serializer would throw `parameterMismatch`.
import Foundation
import UltraDict

let count = 100

if CommandLine.arguments.count == 3, CommandLine.arguments[1] == "--child" {
    let scores = try UltraDict<String, Int>(name: CommandLine.arguments[2], create: false, serializer: CompactSerializer())
    for player in 0 ..< count { scores["player \(player)"] = player }
} else {
    // No name: a new dictionary with a random one, unlinked when `scores` goes away.
    let scores = try UltraDict<String, Int>(serializer: CompactSerializer())
    let child = Process()
    child.executableURL = URL(fileURLWithPath: "/proc/self/exe")  // this program (Linux)
    child.arguments = ["--child", scores.name]
    try child.run()
    child.waitUntilExit()
    guard child.terminationStatus == 0 else {
        FileHandle.standardError.write(Data("error: the child process failed with status \(child.terminationStatus)\n".utf8))
        exit(1)
    }
    let correct = (0 ..< count).filter { scores["player \($0)"] == $0 }.count
    print("The child wrote \(scores.count) entries, for example player 42: \(scores["player 42"] ?? -1)")
    print("Custom serializer: \(correct) == \(count)")
}
