// Two processes share one dictionary: each writes half of 100,000 keys, and both see all of them.
//
//     swift run Simple
//
// The parent creates the dictionary under a random name and starts this same program again as
// the child, passing the name. Both write at once; the child prints how many keys it sees.
import Foundation
import UltraDict

let count = 100_000

if CommandLine.arguments.count == 3, CommandLine.arguments[1] == "--child" {
    // The child attaches to the parent's dictionary by name.
    let other = try UltraDict<Int, Int>(name: CommandLine.arguments[2], create: false)
    for i in count / 2..<count { other[i] = i }
    // Wait until the parent's half has arrived too (each read applies what is new).
    while other.count < count { usleep(1000) }
    print(other.count)
} else {
    // No name: a new dictionary with a random one. It is unlinked when `ultra` goes away.
    let ultra = try UltraDict<Int, Int>(bufferSize: 100_000)
    let child = Process()
    child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
    child.arguments = ["--child", ultra.name]
    let output = Pipe()
    child.standardOutput = output
    try child.run()

    for i in 0..<count / 2 { ultra[i] = i }

    let childCount = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    child.waitUntilExit()
    guard child.terminationStatus == 0 else {
        FileHandle.standardError.write(Data("error: the child process failed with status \(child.terminationStatus)\n".utf8))
        exit(1)
    }
    while ultra.count < count { usleep(1000) }
    print("Length: \(childCount) == \(ultra.count) == \(count)")
}
