import UltraDictCore
import UltraDictRedis

/// Seeds for the Redis surface: the answers of each request of the module, written by the
/// module's own writers (`RedisReply.serialized`, `StreamEntry.reply`), and hostile bytes and
/// answers, each aimed at one check.
enum RedisSeeds {
    /// A bulk string of `text`.
    private static func bulk(_ text: String) -> RedisReply { .bulk(Array(text.utf8)) }

    /// The entry `milliseconds-sequence` holding `record`, as the server sends it, with the ID written as `id` when given.
    private static func entry(_ milliseconds: UInt64, _ sequence: UInt64, _ content: StreamEntry.Content, id: String? = nil) -> RedisReply {
        let reply = StreamEntry(id: StreamID(milliseconds: milliseconds, sequence: sequence), content: content).reply
        guard let id, case let .array(parts) = reply else { return reply }
        return .array([bulk(id)] + parts.dropFirst())
    }

    static func seeds() throws -> [FuzzSeed] {
        let records = try TransportSeeds.records()
        let entries = records.enumerated().map { entry(1_700_000_000_000, UInt64($0.offset), .record($0.element)) }
            + [entry(1_700_000_000_001, 0, .fullDump)]
        let page = RedisReply.array(entries)
        let written = { (id: String, page: RedisReply) in RedisReply.array([.integer(1), bulk(id), page]) }
        let types = ["hash", "stream", "hash", "string", "string"].map(RedisReply.status)
        let facts = { (version: String, fence: String) in
            RedisReply.array([
                .integer(1), .array([bulk("msgpack"), bulk("0"), bulk(version)]), .integer(5), .array([entries[0]]), .array([entries[4]]),
                bulk("1700000000001-0"), .integer(17), .integer(9000), bulk(fence),
            ] + types)
        }
        let valid: [(String, RedisReply)] = [
            ("log-page", page),
            ("log-page-empty", .array([])),
            ("xread", .array([.array([bulk("{fuzz}:log"), page])])),
            ("xread-timed-out", .null),
            ("lease-granted", .array([.integer(42), page])),
            ("lease-held", .array([.integer(-9800)])),
            ("append-written", written("1700000000002-0", page)),
            ("append-lease-held", .array([.integer(0), .integer(1234)])),
            ("dump-published", .array([.integer(1), bulk("1700000000002-0")])),
            ("dump-outdated", .array([.integer(2), bulk("1700000000001-0")])),
            ("stored-dump", .array([bulk("1700000000001-0"), .bulk(try TransportSeeds.snapshot())])),
            ("open-attached", .array([bulk("attached"), bulk("msgpack"), bulk("0"), bulk("1")])),
            ("open-created", .array([bulk("created")])),
            ("facts", facts("1", "42")),
        ]
        let hostile: [(String, RedisReply)] = [
            ("lease-fence-int64-min", .array([.integer(.min)])),
            ("lease-fence-zero", .array([.integer(0), page])),
            ("stream-id-with-sign", .array([entry(1, 1, .fullDump, id: "+1-1")])),
            ("stream-id-leading-zero", .array([entry(1, 1, .fullDump, id: "01-1")])),
            ("stream-id-overflow", .array([entry(1, 1, .fullDump, id: "18446744073709551616-1")])),
            ("stream-id-missing-sequence", .array([entry(1, 1, .fullDump, id: "1-")])),
            ("page-out-of-order", .array(entries.reversed())),
            ("page-repeated-id", .array([entries[0], entries[0]])),
            ("page-at-the-requested-id", .array([entry(1, 0, .fullDump)])),
            ("append-missed-after-its-own", written("1700000000000-1", page)),
            ("append-remaining-below-minus-one", .array([.integer(0), .integer(-2)])),
            ("dump-older-than-its-entry", .array([bulk("0-5"), .bulk([])])),
            ("open-serializer-too-long", .array([bulk("attached"), bulk(String(repeating: "m", count: MetaSetting.longest + 1)), bulk("0"), bulk("1")])),
            ("facts-version-with-plus", facts("+1", "42")),
            ("facts-fence-with-leading-zero", facts("1", "042")),
        ]
        let raw: [(String, String)] = [
            ("array-of-2147483647", "*2147483647\r\n"),
            ("bulk-of-2-GiB", "$2147483648\r\n"),
            ("nesting-too-deep", String(repeating: "*1\r\n", count: RedisReply.maximumDepth) + ":1\r\n"),
            ("resp3-map", "%1\r\n+a\r\n+b\r\n"),
            ("bulk-without-crlf", "$3\r\nabcd\r\n"),
            ("integer-leading-zero", ":007\r\n"),
            ("length-minus-two", "$-2\r\n"),
            ("cr-without-lf", "+OK\rX\r\n"),
        ]
        let pipeline: [RedisReply] = [.status("OK"), .status("QUEUED"), .error("WRONGTYPE Operation against a key holding the wrong kind of value"), .integer(-1), .null]
        return valid.map { FuzzSeed(name: "valid-\($0.0)", bytes: $0.1.serialized) }
            + [FuzzSeed(name: "valid-pipeline", bytes: pipeline.flatMap(\.serialized))]
            + hostile.map { FuzzSeed(name: "hostile-\($0.0)", bytes: $0.1.serialized) }
            + raw.map { FuzzSeed(name: "hostile-\($0.0)", bytes: Array($0.1.utf8)) }
    }
}
