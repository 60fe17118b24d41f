// The Swift figures of compare-python.sh.
//
//   BenchmarkWorker compare                   prints "operation<TAB>ns" lines (see compare-python.sh)
//   BenchmarkWorker bulk                      only the bulk lines of `compare` (BulkComparison)
//   BenchmarkWorker locked-counter            4 processes × 25,000 locked increments: time and CPU (LockedCounter)
//   BenchmarkWorker increment NAME TIMES      locked increments of "counter" after a start signal (one of those processes)
//   BenchmarkWorker busy-writer [--seconds S] [--pin]
//                                             reads under a writer in another process (BusyWriterBenchmark)
//   BenchmarkWorker paced-writer NAME RATE|full SECONDS [CPU]
//                                             that writer (PacedWriter)
//   BenchmarkWorker apply-vs-write            records applied against records written per second (ApplyVersusWrite)
//   BenchmarkWorker store-writes [DIRECTORY]  int writes to shared memory and to files in each durability (StoreWrites)
//   BenchmarkWorker serializers               each serializer's encoding and decoding (SerializerSpeed)
//   BenchmarkWorker change-latency [IDLE_SECONDS]
//                                             write-to-consumer latency and idle CPU: changes() against polling (ChangeLatency)
//   BenchmarkWorker latency-writer NAME COUNT INTERVAL_US
//                                             that writer (ChangeLatency)
//   BenchmarkWorker wake-writer COUNT INTERVAL_US
//                                             the writer of the floor it is measured against, to a pipe (BareWake)
//   BenchmarkWorker redis URL                 the dictionary on Redis against shared memory and raw hiredis (RedisComparison)
//   BenchmarkWorker redis-increment URL NAME TIMES
//                                             one of its 4 counting processes (RedisComparison)
//   BenchmarkWorker redis-change-latency URL [--writer-url URL] [--writer-namespace NS] [--name NAME] [--writes N] [--interval-us U]
//                                             write-to-changes() latency over Redis, the writer maybe on another host (RedisChangeLatency)
//   BenchmarkWorker sendable-reads            one handle read by one thread and by two (SendableReads)
import Foundation
import UltraDict

let arguments = CommandLine.arguments
do {
    switch arguments.dropFirst().first {
    case "increment":
        try LockedCounter.increment(arguments.dropFirst(2))
    case "locked-counter":
        try LockedCounter.run()
    case "compare":
        try PythonComparison.run()
        try BulkComparison.run()
    case "bulk":
        try BulkComparison.run()
    case "busy-writer":
        try BusyWriterBenchmark.run(arguments.dropFirst(2))
    case "paced-writer":
        try PacedWriter.run(arguments.dropFirst(2))
    case "apply-vs-write":
        try ApplyVersusWrite.run()
    case "store-writes":
        try StoreWrites.run(arguments.dropFirst(2))
    case "serializers":
        try SerializerSpeed.run()
    case "change-latency":
        try await ChangeLatency.run(arguments.dropFirst(2))
    case "latency-writer":
        try ChangeLatency.write(arguments.dropFirst(2))
    case "wake-writer":
        try BareWake.writer(arguments.dropFirst(2))
    case "redis":
        try await RedisComparison.run(arguments.dropFirst(2))
    case "redis-increment":
        try RedisComparison.increment(arguments.dropFirst(2))
    case "redis-change-latency":
        try await RedisChangeLatency.run(arguments.dropFirst(2))
    case "sendable-reads":
        try SendableReads.run()
    default:
        throw BenchmarkFailure("usage: BenchmarkWorker compare | bulk | increment NAME TIMES | busy-writer [--seconds S] [--pin] | paced-writer NAME RATE|full SECONDS [CPU] | apply-vs-write | store-writes [DIRECTORY] | serializers | change-latency [IDLE_SECONDS] | latency-writer NAME COUNT INTERVAL_US | wake-writer COUNT INTERVAL_US | redis URL | redis-increment URL NAME TIMES | redis-change-latency URL [--writer-url URL] [--writer-namespace NS] [--name NAME] [--writes N] [--interval-us U] | sendable-reads")
    }
} catch {
    FileHandle.standardError.write(Data("BenchmarkWorker: \(error)\n".utf8))
    exit(error is BenchmarkFailure ? 2 : 1)
}
