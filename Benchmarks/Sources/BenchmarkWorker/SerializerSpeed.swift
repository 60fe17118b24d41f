import Foundation
import UltraDict
import UltraDictJSON
import UltraDictPickle
import UltraDictPropertyList

/// Encoding and decoding by each serializer (`Docs/SERIALIZERS.md`, "Choosing one"):
///
///     BenchmarkWorker serializers
///
/// Three payloads: the record `[true, 4711, 4711]`, a record whose value is a 4-entry
/// dictionary, and a 10,000-key snapshot `{"keyN": N}`. Each figure is the median of 9 rounds of
/// the calling thread's CPU time per operation, after a warm-up round.
enum SerializerSpeed {
    static let serializers: [(String, any UltraDictSerializer)] = [
        ("msgpack", MessagePackSerializer()), ("json", JSONSerializer()), ("plist", PropertyListSerializer()), ("pickle", PickleSerializer()),
    ]

    static func run() throws {
        let small = UltraDictUpdate.set(true, 4711)
        let dictionaryRecord = UltraDictUpdate.set("k", ["a": 1, "b": "two", "c": 3.5, "d": [1, 2]])
        let snapshot = UltraValue.dictionary(Dictionary(uniqueKeysWithValues: (0..<10_000).map { (UltraValue.string("key\($0)"), UltraValue.int(Int64($0))) }))
        print("# encode / decode, median of 9 rounds of thread CPU time per operation")
        print(Table.row(["serializer", "small_enc", "small_dec", "dict_enc", "dict_dec", "10k_enc_us", "10k_dec_us"]))
        for (name, serializer) in serializers {
            let (smallEncode, smallDecode) = try measure(serializer, record: small, times: 20_000)
            let (dictEncode, dictDecode) = try measure(serializer, record: dictionaryRecord, times: 5_000)
            let (snapEncode, snapDecode) = try measure(serializer, snapshot: snapshot, times: 3)
            print(Table.row([
                name, format(smallEncode), format(smallDecode), format(dictEncode), format(dictDecode),
                format(snapEncode / 1000), format(snapDecode / 1000),
            ]))
        }
    }

    private static func format(_ nanoseconds: Double) -> String { String(format: "%.1f", nanoseconds) }

    /// Nanoseconds per `encodeUpdate` and per `decodeUpdate` of `record`.
    static func measure(_ serializer: any UltraDictSerializer, record: UltraDictUpdate, times: Int) throws -> (Double, Double) {
        try measure(times: times, encode: { try serializer.encodeUpdate(record, into: &$0) }, decode: { _ = try serializer.decodeUpdate($0) })
    }

    /// Nanoseconds per `encode` and per `decode` of `snapshot`.
    static func measure(_ serializer: any UltraDictSerializer, snapshot: UltraValue, times: Int) throws -> (Double, Double) {
        try measure(times: times, encode: { try serializer.encode(snapshot, into: &$0) }, decode: { _ = try serializer.decode($0) })
    }

    /// Nanoseconds per `encode` into a reused buffer, and per `decode` of what it wrote.
    private static func measure(
        times: Int, encode: (inout [UInt8]) throws -> Void, decode: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> (Double, Double) {
        var buffer: [UInt8] = []
        try encode(&buffer)
        let bytes = buffer
        let encoding = try median { for _ in 0..<times { buffer.removeAll(keepingCapacity: true); try encode(&buffer) } }
        let decoding = try median { for _ in 0..<times { try bytes.withUnsafeBytes(decode) } }
        return (encoding / Double(times), decoding / Double(times))
    }

    /// The median thread CPU time of 9 runs of `body`, after a warm-up run.
    private static func median(_ body: () throws -> Void) throws -> Double {
        try body()
        let runs = try (0..<9).map { _ in
            let start = ThreadCPUClock.now()
            try body()
            return Double(ThreadCPUClock.now() - start)
        }
        return runs.sorted()[4]
    }
}
