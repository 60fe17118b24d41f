// A small program that multi-process tests launch: each command opens a dictionary by name,
// does one thing, and prints its result on the last line of stdout. The options
// (`--serializer`, `--directory`, `--durability`) are read in Options.swift.

/// Every command, by the name that the command line gives it.
let commands: [String: () throws -> Void] = [
    "write-range": writeRange, "ack-writer": ackWriter, "delete-range": deleteRange, "count": count,
    "create": create, "dump-all": dumpAll, "increment": increment, "string-length": stringLength,
    "lagging-reader": laggingReader, "monotonic-writer": monotonicWriter, "monotonic-reader": monotonicReader,
    "hold-lock": holdLock, "hold-lock-and-wait": holdLockAndWait, "hold-lock-then-write": holdLockThenWrite, "try-lock": tryLock,
    "increment-threads": incrementThreads, "steal-increment": stealIncrement,
    "fork-while-holding": forkWhileHolding, "nested-increment": nestedIncrement,
    "nested-churn": nestedChurn, "hold": hold, "write-after-close": writeAfterClose, "exit-hook": exitHook,
    "write-on-line": writeOnLine, "wait-for-lock": waitForLock, "publish-and-die": publishAndDie,
    "partition-writer": partitionWriter, "write-lines": writeLines,
]

guard let run = commands[options.command] else { fail("unknown command \(options.command)") }
do {
    try run()
} catch {
    fail("\(error)")
}
