// Work that a benchmark runs in other processes, and the Swift figures of compare-python.sh.
//
//   BenchmarkWorker increment NAME TIMES      locked increments of "counter"
//   BenchmarkWorker echo NAME ROUNDS          waits for "ping" == i, then writes "pong" = i
//   BenchmarkWorker compare                   prints "operation<TAB>ns" lines (see compare-python.sh)
import Foundation
import UltraDict

let arguments = CommandLine.arguments
switch arguments.dropFirst().first {
case "increment":
    let d = try UltraDict<String, Int>(name: arguments[2], create: false)
    for _ in 0..<Int(arguments[3])! {
        try d.withLock { d in d["counter", default: 0] += 1 }
    }
case "echo":
    let d = try UltraDict<String, Int>(name: arguments[2], create: false)
    for round in 1...Int(arguments[3])! {
        while d["ping"] != round {}
        d["pong"] = round
    }
case "compare":
    try PythonComparison.run()
default:
    FileHandle.standardError.write(Data("usage: BenchmarkWorker increment|echo NAME N, or compare\n".utf8))
    exit(2)
}
