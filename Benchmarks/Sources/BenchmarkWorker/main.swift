// The Swift figures of compare-python.sh.
//
//   BenchmarkWorker compare                   prints "operation<TAB>ns" lines (see compare-python.sh)
//   BenchmarkWorker bulk                      only the bulk lines of `compare` (BulkComparison)
//   BenchmarkWorker increment NAME TIMES      locked increments of "counter" (its 4-process counter)
import Foundation
import UltraDict

let arguments = CommandLine.arguments
switch arguments.dropFirst().first {
case "increment":
    let d = try UltraDict<String, Int>(name: arguments[2], create: false)
    for _ in 0..<Int(arguments[3])! {
        try d.withLock { d in d["counter", default: 0] += 1 }
    }
case "compare":
    try PythonComparison.run()
    try BulkComparison.run()
case "bulk":
    try BulkComparison.run()
default:
    FileHandle.standardError.write(Data("usage: BenchmarkWorker compare, bulk, or increment NAME TIMES\n".utf8))
    exit(2)
}
