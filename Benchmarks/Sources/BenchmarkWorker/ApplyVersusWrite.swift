import Foundation
import UltraDict

/// Records applied per second by a reader against records written per second by a writer at
/// full speed (issue 14, item 2):
///
///     BenchmarkWorker apply-vs-write
///
/// In one process, one handle writes ``records`` int records back to back (timed), then a
/// second handle on the same dictionary, current before those writes, applies them all in one
/// read `d[0]` (timed). The records fit in the stream, so no full dump comes between: the
/// reader replays exactly them (checked). Each round starts with a full dump, so that the
/// stream starts over on pages already touched; the figures are medians of ``rounds`` rounds
/// after one warm-up round.
enum ApplyVersusWrite {
    /// Records per round: about 15 bytes each, well under the 1 MiB a stream grows to before a dump.
    static let records = 50_000
    /// Measured rounds, after one warm-up round.
    static let rounds = 5

    /// Measures and prints a header and one row: records, nanoseconds per write and writes per
    /// second, nanoseconds per applied record and records applied per second, and their ratio.
    static func run() throws {
        let writer = try UltraDict<Int, Int>(name: PythonComparison.uniqueName())
        defer { writer.unlink() }
        try writer.update(with: Dictionary(uniqueKeysWithValues: (0..<BusyWriterBenchmark.keyCount).map { ($0, $0) }))
        let reader = try UltraDict<Int, Int>(name: writer.name, create: false)
        let measured = try (0...rounds).map { _ in try measureRound(writer: writer, reader: reader) }.dropFirst()
        let write = median(measured.map(\.write)), apply = median(measured.map(\.apply))
        print("# One process, UltraDict<Int, Int> with \(BusyWriterBenchmark.keyCount) keys: a handle writes \(records) records,")
        print("# then another handle applies them all in one read; medians of \(rounds) rounds; ratio = applies/s / writes/s")
        print(Table.row(["records", "write_ns", "writes/s", "apply_ns", "applies/s", "ratio"]))
        print(Table.row([
            String(records), String(format: "%.1f", write), String(Int(1e9 / write)),
            String(format: "%.1f", apply), String(Int(1e9 / apply)), String(format: "%.2f", write / apply),
        ]))
    }

    /// One round: a full dump that the reader loads, then ``records`` timed writes and one timed
    /// read that applies them; returns nanoseconds per record for each. Throws if a dump came
    /// between, or if the reader did not end where the writer did.
    static func measureRound(writer: UltraDict<Int, Int>, reader: UltraDict<Int, Int>) throws -> (write: Double, apply: Double) {
        try writer.dump()
        blackHole(reader[0])
        let dumps = try writer.status().fullDumpCounter
        let writeStart = MonotonicClock.now()
        for record in 0..<records { writer[record % BusyWriterBenchmark.keyCount] = record }
        let applyStart = MonotonicClock.now()
        blackHole(reader[0])
        let applyEnd = MonotonicClock.now()
        let written = try writer.status(), applied = try reader.status()
        guard written.fullDumpCounter == dumps else {
            throw BenchmarkFailure("the writes caused a full dump: \(records) records do not fit the stream")
        }
        guard reader.lastReadError == nil, applied.appliedCursor == written.appliedCursor else {
            throw BenchmarkFailure("the reader did not apply every record: \(reader.lastReadError.map { "\($0)" } ?? "cursor \(applied.appliedCursor), writer at \(written.appliedCursor)")")
        }
        return (Double(applyStart - writeStart) / Double(records), Double(applyEnd - applyStart) / Double(records))
    }

    /// The median of `values` (the upper one of the middle two when there is an even count).
    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
}
