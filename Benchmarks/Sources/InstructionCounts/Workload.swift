import UltraDict

/// One hot path as the guard counts it: an operation run again and again, each time after an
/// uncounted preparation, in rounds that are all alike.
struct Workload {
    /// How many operations make a round.
    enum Round {
        /// A fixed number of operations.
        case operations(Int)
        /// From an empty update stream just after a full dump to the first operation after which
        /// a full dump has happened and the stream is empty again: every round starts from the
        /// same state and holds its share of the dumps. `status` reads the dictionary's state.
        case dumpCycle(status: () throws -> UltraDictStatus)
    }

    /// Runs before each operation, uncounted, with the operation's index: it writes the record a
    /// read applies, or the key a delete removes.
    var prepare: (Int) throws -> Void = { _ in }
    /// The counted operation, with its index.
    var operation: (Int) throws -> Void
    /// How many operations make a round.
    var round: Round

    /// Runs `count` operations, each after its preparation.
    func run(_ count: Int) throws {
        for index in 0..<count { try step(index) }
    }

    /// How many operations make one round; a dump cycle is found by running one, and throws
    /// if none ends within ``longestDumpCycle`` operations.
    func roundLength() throws -> Int {
        switch round {
        case .operations(let length):
            return length
        case .dumpCycle(let status):
            let counter = try status().fullDumpCounter
            for length in 1...Self.longestDumpCycle {
                try step(length - 1)
                let state = try status()
                if state.fullDumpCounter != counter && state.streamPosition == 0 { return length }
            }
            throw UltraDictError(.invalidArgument, "no dump cycle ended within \(Self.longestDumpCycle) operations")
        }
    }

    /// Far more operations than a round of these workloads takes: their streams are compacted at
    /// 1 MiB, which holds fewer than 150,000 records.
    static let longestDumpCycle = 10_000_000

    /// Prepares and runs the `index`-th operation.
    private func step(_ index: Int) throws {
        try prepare(index)
        measuredOperation = operation
        measured(index)
    }
}

/// The operation that ``measured(_:)`` runs.
nonisolated(unsafe) var measuredOperation: (Int) throws -> Void = { _ in }

/// Runs one counted operation. instruction-counts.sh has callgrind collect only while this
/// function runs (`--toggle-collect=ultradict_measured`), hence its plain symbol name.
@_silgen_name("ultradict_measured") @inline(never)
func measured(_ index: Int) {
    do {
        try measuredOperation(index)
    } catch {
        fatalError("operation \(index) failed: \(error)")
    }
}

/// Keeps a value alive so that the optimizer cannot drop the read that made it.
@inline(never)
func blackHole<T>(_ value: T) {}
