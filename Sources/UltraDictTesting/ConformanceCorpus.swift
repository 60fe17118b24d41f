import UltraDictCore

/// The values the conformance check sends through a serializer, each with a name for messages.
enum Corpus {
    typealias Named = (name: String, value: UltraValue)

    /// Every scalar case, with the boundaries where encodings change width or meaning.
    static let scalars: [Named] = {
        var values: [Named] = [("null", .null), ("true", true), ("false", false)]
        let integers: [Int64] = [
            0, 1, -1, 15, 16, 31, 32, 127, 128, 255, 256, -32, -33, -128, -129, 32767, 32768, -32768, -32769,
            65535, 65536, Int64(Int32.max), Int64(Int32.max) + 1, Int64(Int32.min), Int64(Int32.min) - 1,
            Int64(UInt32.max), Int64(UInt32.max) + 1, 1 << 53, (1 << 53) + 1, .max - 1, .max, .min + 1, .min,
        ]
        values += integers.map { ("int \($0)", .int($0)) }
        let unsigned: [UInt64] = [1 << 63, (1 << 63) + 1, .max - 1, .max]
        values += unsigned.map { ("uint \($0)", .uint($0)) }
        let doubles: [Double] = [
            0, -0.0, 1, -1, 1.5, 0.1, -2.25, .pi, 1e16, 123_456_789.125, 9_007_199_254_740_992, 1e300, -1e-300,
            .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
            .infinity, -.infinity, .nan,
        ]
        values += doubles.map { ("double \($0)", .double($0)) }
        let strings = [
            "", "a", "key", "héllo wörld", "日本語のテキスト", "😀👍🏽🇫🇷", "e\u{301} (decomposed)", "\u{0}", "a\u{0}b",
            "\u{1}\u{8}\t\n\u{c}\r\u{1b}\u{1f}\u{7f}", "\"\\/'`", "\u{2028}\u{2029}", "\u{FEFF}BOM", "\u{FFFD}\u{FFFF}\u{10FFFF}",
            "1", "-0", "1.0", "1e5", "NaN", "Infinity", "true", "null", "None", "$bytes", "$null", "$map",
            String((0x20 ... 0x7E).map { Character(Unicode.Scalar(UInt8($0))) }),
            String(repeating: "x", count: 70_000),
        ]
        values += strings.map { ("string \(brief(.string($0)))", .string($0)) }
        let bytes: [[UInt8]] = [[], [0], [0xFF], Array(0 ... 255), Array(repeating: 0xA7, count: 70_000)]
        values += bytes.map { ("bytes of \($0.count)", .bytes($0)) }
        return values
    }()

    /// Arrays and dictionaries with string keys: empty, mixed, nested, and over 16-bit counts.
    static let containers: [Named] = [
        ("empty array", []), ("array of an empty array", [[]]), ("empty containers", [[], [:], "", .bytes([])]),
        ("mixed array", [nil, true, false, 0, -1, .uint(.max), 1.5, .double(-.infinity), "s", .bytes([1, 2]), [1, [2]], ["k": "v"]]),
        ("array of 70,000 ints", .array((0 ..< 70_000).map { .int(Int64($0) - 35_000) })),
        ("empty dictionary", [:]), ("empty key", ["": ""]),
        ("string keys", ["a": 1, "b": [1, 2], "c": ["d": nil], "e": .bytes([0, 255])]),
        ("unicode keys", ["ключ": "значение", "😀": 1, "e\u{301}": 2, "é": 3]),
        ("keys that look like other types", ["1": "one", "-1": 2, "true": "yes", "null": nil, "1.5": 1.5]),
        ("1,000 string keys", .dictionary(Dictionary(uniqueKeysWithValues: (0 ..< 1000).map { (.string("key \($0)"), .int(Int64($0))) }))),
    ]

    /// Dictionaries with keys other than strings, one kind at a time and mixed.
    static let otherKeys: [Named] = [
        ("int keys", [1: "a", -1: "b", 0: "c", .int(.max): "d", .int(.min): "e"]),
        ("uint key", [.uint(.max): "a"]), ("double keys", [1.5: "a", .double(-.infinity): "b"]),
        ("bool keys", [true: 1, false: 0]), ("null key", [nil: 1]), ("bytes key", [.bytes([1, 2]): 1]),
        ("array key", [[1, "a"]: 1]), ("dictionary key", [["k": [1: 2]]: 1]),
        ("keys of every kind", ["1": "string", 1: "int", 1.0: "double", true: "bool", nil: "null", .bytes([49]): "bytes"]),
    ]

    /// Values a serializer may refuse with a serialization error but must not corrupt: tag-like
    /// one-entry dictionaries that formats use for what they lack, and a key containing NUL.
    static let refusable: [Named] = [
        ("[\"$bytes\": \"AAAA\"]", ["$bytes": "AAAA"]), ("[\"$bytes\": bytes]", ["$bytes": .bytes([1])]),
        ("[\"$null\": true]", ["$null": true]), ("[\"$map\": []]", ["$map": []]), ("[\"$map\": [1, 2]]", ["$map": [1, 2]]),
        ("[\"__bytes__\": \"AA==\"]", ["__bytes__": "AA=="]), ("[\"$binary\": \"AA==\"]", ["$binary": "AA=="]),
        ("[\"$type\": \"null\"]", ["$type": "null"]), ("key with NUL", ["a\u{0}b": 1]),
    ]

    /// Values of about a megabyte, and 10,000-entry snapshots.
    static func large(_ capabilities: UltraDictSerializerCapabilities) -> [Named] {
        capabilities.keys == .any ? megabyteValues + snapshots : megabyteValues + snapshots.prefix(1)
    }

    /// Strings and bytes of a megabyte, made once per process.
    private static let megabyteValues: [Named] = [
        ("1 MB ASCII string", .string(String(repeating: "0123456789abcdef", count: 65_536))),
        ("1 MB two-byte string", .string(String(repeating: "é", count: 524_288))),
        ("1 MB four-byte string", .string(String(repeating: "😀", count: 262_144))),
        ("1 MB random bytes", .bytes(randomBytes(1 << 20))),
    ]

    /// 10,000-entry snapshots with string keys and with int keys, made once per process.
    private static let snapshots: [Named] = [
        ("10,000-entry snapshot with string keys", snapshot(10_000) { .string("key\($0)") }),
        ("10,000-entry snapshot with int keys", snapshot(10_000) { .int(Int64($0)) }),
    ]

    /// `count` (a multiple of 8) reproducible random bytes, a word at a time.
    private static func randomBytes(_ count: Int) -> [UInt8] {
        var random = SplitMix64(state: 0x1A26E)
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            let words = UnsafeMutableRawBufferPointer(buffer)
            for offset in stride(from: 0, to: count, by: 8) { words.storeBytes(of: random.next(), toByteOffset: offset, as: UInt64.self) }
            initialized = count
        }
    }

    /// A dictionary of `count` entries with mixed values under `key(i)`.
    static func snapshot(_ count: Int, key: (Int) -> UltraValue) -> UltraValue {
        let values: [UltraValue] = [1, "value", 2.5, nil, true, [1, 2], ["nested": "dictionary"], .bytes([1, 2, 3])]
        return .dictionary(Dictionary(uniqueKeysWithValues: (0 ..< count).map { (key($0), values[$0 % values.count]) }))
    }

    /// `depth` nested arrays (or one-entry dictionaries) around a scalar.
    static func nested(_ depth: Int, dictionaries: Bool = false) -> UltraValue {
        var value: UltraValue = "innermost"
        for _ in 0 ..< depth { value = dictionaries ? ["k": value] : [value] }
        return value
    }

    /// Updates to send through `encodeUpdate` and `decodeUpdate`: sets and deletes of every key kind
    /// the serializer keeps, and sets of the scalar and container values.
    static func updates(_ capabilities: UltraDictSerializerCapabilities) -> [UltraDictUpdate] {
        var keys: [UltraValue] = ["key", "", "ünïcødé 😀", "1"]
        if capabilities.keys == .any { keys += [1, -1, .uint(.max), 2.5, true, nil, .bytes([1, 2]), [1, "a"], ["k": 1]] }
        let values = (scalars + containers).map(\.value).filter { !isLarge($0) }
        return keys.map { .set($0, "value") } + keys.map { .delete($0) } + values.map { .set("key", $0) }
    }

    /// Trees that are not update records, each of which `decodeUpdate` must refuse.
    static let notRecords: [UltraValue] = [
        "record", 5, nil, [], [true, "k"], [true, "k", 1, 2], ["true", "k", 1], [nil, "k", 1], [1.5, "k", 1],
        [[true], "k", 1], ["isSet": true, "key": "k", "value": 1],
    ]

    /// Small values whose encodings seed the random mutations.
    static func fuzzSeeds(_ capabilities: UltraDictSerializerCapabilities) -> [UltraValue] {
        var seeds: [UltraValue] = [
            ["name": "ünïcødé 😀", "list": [1, -1, 2.5, nil, true, .bytes([0, 255])], "n": ["nested": [[], [:], ""]]],
            [1, "abc", .bytes([1, 2, 3]), -300, 1e9, .uint(.max), .int(.min), .double(.nan), .double(-.infinity)],
            nested(min(20, capabilities.maximumDepth - 1)), nested(min(10, capabilities.maximumDepth - 1), dictionaries: true),
            snapshot(20) { .string("k\($0)") }, "a string with \"quotes\" and \\ and \u{0}", .bytes(Array(0 ... 40)),
        ]
        if capabilities.keys == .any { seeds.append(snapshot(20) { .int(Int64($0) * 1000) }) }
        return seeds
    }

    /// Whether `value` is one of the 70,000-element values, too slow to send through every update.
    private static func isLarge(_ value: UltraValue) -> Bool {
        switch value {
        case .string(let text): text.utf8.count > 10_000
        case .bytes(let bytes): bytes.count > 10_000
        case .array(let items): items.count > 10_000
        default: false
        }
    }
}

/// Whether two trees are the same down to the bits: unlike `==`, a double's sign of zero counts
/// (every NaN equals every NaN) and strings compare by their UTF-8 bytes, not by Unicode
/// canonical equivalence, so a serializer that normalizes text does not pass.
func identical(_ first: UltraValue, _ second: UltraValue) -> Bool {
    switch (first, second) {
    case (.double(let a), .double(let b)): return a.isNaN ? b.isNaN : a.bitPattern == b.bitPattern
    case (.string(let a), .string(let b)): return a.utf8.elementsEqual(b.utf8)
    case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy(identical)
    case (.dictionary(let a), .dictionary(let b)):
        return a.count == b.count && a.allSatisfy { key, value in
            guard let index = b.index(forKey: key) else { return false }
            return identical(b[index].key, key) && identical(b[index].value, value)
        }
    default: return first == second
    }
}

/// A description of `value` short enough for a failure message.
func brief(_ value: UltraValue) -> String {
    let text = value.description
    return text.count <= 80 ? text : text.prefix(77) + "…"
}
