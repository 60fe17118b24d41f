// The hot paths that instruction-counts.sh counts under callgrind, which collects only inside
// `measured(_:)`: it runs each operation for one round and for two, and divides the difference.
//
//   InstructionCounts list               prints the operations' names
//   InstructionCounts round OPERATION    prints how many operations make one round of OPERATION
//   InstructionCounts run OPERATION N    runs N operations of OPERATION
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
let operation = arguments.count >= 2 ? Operation(rawValue: arguments[1]) : nil
// The dictionaries are this process's own: they are unlinked when it exits normally, and by
// instruction-counts.sh (`ultradict clean`) after a run that did not.
let name = "instruction_counts_\(getpid())"
if arguments == ["list"] {
    for operation in Operation.allCases { print(operation.rawValue) }
} else if arguments.count == 2, arguments[0] == "round", let operation {
    print(try operation.workload(name: name).roundLength())
} else if arguments.count == 3, arguments[0] == "run", let operation, let count = Int(arguments[2]), count >= 0 {
    try operation.workload(name: name).run(count)
} else {
    let names = Operation.allCases.map(\.rawValue).joined(separator: ", ")
    FileHandle.standardError.write(Data("usage: InstructionCounts list, round OPERATION, or run OPERATION N\noperations: \(names)\n".utf8))
    exit(2)
}
