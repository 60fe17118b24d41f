import Foundation
import UltraDict

/// Reads of one `Sendable` handle from one thread and from two (issue 16, item 1):
///
///     BenchmarkWorker sendable-reads
///
/// On `UltraDict<Int, Int>` with ``keyCount`` keys and nothing pending, one thread reads
/// ``reads`` keys in turn; the figure is nanoseconds per read, beside a plain `[Int: Int]`
/// lookup of the same keys and a `[Int: Int]` behind an `NSLock` (the design where one mutex
/// guards every access). Then two threads read one handle (or the locked dictionary) at once,
/// ``reads`` each; the figure is their reads per second together against one thread's. Every
/// figure is the median of ``rounds`` rounds after a warm-up round, the kinds measured in turn in
/// each round, and each ratio the median of the rounds' ratios. The targets: a handle's
/// read at most 1.5 times a plain lookup, two threads at least as many reads per second as one.
enum SendableReads {
    /// Keys of the dictionary.
    static let keyCount = 10_000
    /// Reads per thread per round.
    static let reads = 5_000_000
    /// Measured rounds, after one warm-up round.
    static let rounds = 5

    /// Measures and prints the two tables.
    static func run() throws {
        let entries = Dictionary(uniqueKeysWithValues: (0..<keyCount).map { ($0, $0) })
        let handle = try UltraDict<Int, Int>(name: PythonComparison.uniqueName())
        defer { handle.unlink() }
        try handle.update(with: entries)
        let locked = LockedDictionary(entries)

        print("# One thread reads \(reads) of \(keyCount) int keys in turn, nothing pending; the three in turn in each round,")
        print("# medians of \(rounds) rounds; plain = [Int: Int], locked = [Int: Int] behind an NSLock, handle = UltraDict<Int, Int>;")
        print("# ratio = the median of each round's ns / plain's ns (rounds in turn, so that a busy machine slows both)")
        print(Table.row(["reader", "ns/read", "ratio"]))
        let oneThread = (0...rounds).map { _ in
            [nanoseconds(threads: 1, entries), nanoseconds(threads: 1, locked), nanoseconds(threads: 1, handle)]
        }.dropFirst()
        for (column, name) in ["plain", "locked", "handle"].enumerated() {
            let ns = ApplyVersusWrite.median(oneThread.map { $0[column] }) / Double(reads)
            let ratio = ApplyVersusWrite.median(oneThread.map { $0[column] / $0[0] })
            print(Table.row([name, String(format: "%.2f", ns), String(format: "%.2f", ratio)]))
        }

        print("# Two threads read one dictionary at once, \(reads) reads each, after one thread alone, in each round;")
        print("# medians of \(rounds) rounds; ratio = the median of each round's reads/s of both / reads/s of one")
        print(Table.row(["reader", "1thr_reads/s", "2thr_reads/s", "ratio"]))
        printTwoThreads("locked", locked)
        printTwoThreads("handle", handle)
    }

    /// Prints the row of `dictionary`, named `name`, in the table of two threads: in each round,
    /// one thread's reads per second, then two threads'.
    static func printTwoThreads(_ name: String, _ dictionary: some IntReadable) {
        let measured = (0...rounds).map { _ in
            (one: Double(reads) * 1e9 / nanoseconds(threads: 1, dictionary), both: 2 * Double(reads) * 1e9 / nanoseconds(threads: 2, dictionary))
        }.dropFirst()
        let one = ApplyVersusWrite.median(measured.map(\.one)), both = ApplyVersusWrite.median(measured.map(\.both))
        let ratio = ApplyVersusWrite.median(measured.map { $0.both / $0.one })
        print(Table.row([name, String(Int(one)), String(Int(both)), String(format: "%.2f", ratio)]))
    }

    /// Wall-clock nanoseconds for `threads` threads, started together, to make ``reads`` reads
    /// each of `dictionary`; generic, so that each kind's loop is specialized.
    static func nanoseconds(threads: Int, _ dictionary: some IntReadable) -> Double {
        let start = DispatchSemaphore(value: 0), done = DispatchGroup()
        for _ in 0..<threads {
            done.enter()
            Thread {
                start.wait()
                var sum = 0
                for index in 0..<reads { sum &+= dictionary[index % keyCount] ?? 0 }
                if sum == 42 { print("") }  // Keeps the reads from being optimized away.
                done.leave()
            }.start()
        }
        let begin = MonotonicClock.now()
        for _ in 0..<threads { start.signal() }
        done.wait()
        return Double(MonotonicClock.now() - begin)
    }
}

/// What the benchmark reads: a dictionary of int keys and values that threads share.
protocol IntReadable: Sendable {
    /// The value for `key`, or `nil`.
    subscript(key: Int) -> Int? { get }
}

extension Dictionary: IntReadable where Key == Int, Value == Int {}
extension UltraDict: IntReadable where Key == Int, Value == Int {}

/// A `[Int: Int]` that one `NSLock` guards: the simple design's cost of a read.
final class LockedDictionary: IntReadable, @unchecked Sendable {
    private let lock = NSLock()
    private let entries: [Int: Int]

    init(_ entries: [Int: Int]) { self.entries = entries }

    /// The value for `key`, read holding the lock.
    subscript(key: Int) -> Int? { lock.withLock { entries[key] } }
}
