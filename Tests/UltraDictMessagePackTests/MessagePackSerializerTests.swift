import Testing
import UltraDictCore
import UltraDictMessagePack
import UltraDictTesting

// MARK: - Helpers

private let serializer = MessagePackSerializer()

private func encode(_ value: UltraValue) throws -> [UInt8] { try serializer.encoded(value) }
private func decode(_ bytes: [UInt8]) throws -> UltraValue { try serializer.decoded(bytes) }
private func decodeUpdate(_ bytes: [UInt8]) throws -> UltraDictUpdate { try serializer.decodedUpdate(bytes) }

/// `"93 c3 01 02"` → `[0x93, 0xc3, 0x01, 0x02]`.
private func hex(_ text: String) -> [UInt8] {
    text.split(separator: " ").map { UInt8($0, radix: 16) ?? 0 }
}

private func nested(_ depth: Int, dictionaries: Bool = false) -> UltraValue {
    var value: UltraValue = 1
    for _ in 0 ..< depth { value = dictionaries ? .dictionary(["k": value]) : .array([value]) }
    return value
}

/// Expects `body` to throw a `.serialization` error with a "msgpack: " message.
@discardableResult
private func expectSerializationError(
    _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> UltraDictError? {
    expectSerializationError(messagePrefix: "msgpack: ", comment, sourceLocation: sourceLocation, body)
}

private let sample: UltraValue = [
    "name": "ünïcødé 😀", "list": [1, -1, 2.5, nil, true, .bytes([0, 255])],
    .int(7): ["nested": [[], [:], ""]], .uint(UInt64.max): .int(Int64.min),
]

// MARK: - Byte-exact encodings (from Python's msgpack.dumps)

@Test(arguments: [
    (UltraValue.array([true, 1, 2]), "93 c3 01 02"),
    ([false, "k", nil], "93 c2 a1 6b c0"),
    (["a": 1], "81 a1 61 01"),
    (.bytes([1]), "c4 01 01"),
    (1.5, "cb 3f f8 00 00 00 00 00 00"),
    (-1, "ff"),
    (.uint(1 << 63), "cf 80 00 00 00 00 00 00 00"),
    (nil, "c0"), (0, "00"), (127, "7f"), (128, "cc 80"), (256, "cd 01 00"), (65536, "ce 00 01 00 00"),
    (.int(1 << 32), "cf 00 00 00 01 00 00 00 00"), (-32, "e0"), (-33, "d0 df"), (-129, "d1 ff 7f"),
    (-32769, "d2 ff ff 7f ff"), (-2_147_483_649, "d3 ff ff ff ff 7f ff ff ff"),
    (.int(.max), "cf 7f ff ff ff ff ff ff ff"), (.int(.min), "d3 80 00 00 00 00 00 00 00"),
    (.uint(.max), "cf ff ff ff ff ff ff ff ff"), (-0.0, "cb 80 00 00 00 00 00 00 00"),
    (.double(.infinity), "cb 7f f0 00 00 00 00 00 00"), ("", "a0"), ("héllo😀", "aa 68 c3 a9 6c 6c 6f f0 9f 98 80"),
    (.bytes([]), "c4 00"), ([], "90"), ([:], "80"), ([1, [2, [3]]], "92 01 92 02 91 03"),
    (["k": [nil, .bytes([255])]], "81 a1 6b 92 c0 c4 01 ff"), ([5: nil], "81 05 c0"),
] as [(UltraValue, String)])
func encodesLikePython(value: UltraValue, expected: String) throws {
    #expect(try encode(value) == hex(expected))
}

@Test func encodesLengthFormatsLikePython() throws {
    #expect(try encode(.string(String(repeating: "x", count: 31))) == [0xbf] + Array(repeating: 0x78, count: 31))
    #expect(try encode(.string(String(repeating: "x", count: 32))) == [0xd9, 0x20] + Array(repeating: 0x78, count: 32))
    #expect(try encode(.bytes(Array(repeating: 0x79, count: 300))) == [0xc5, 0x01, 0x2c] + Array(repeating: 0x79, count: 300))
    #expect(try encode(.array(Array(repeating: 1, count: 16))) == [0xdc, 0x00, 0x10] + Array(repeating: 1, count: 16))
}

@Test func encodesUpdatesLikePython() throws {
    var buffer: [UInt8] = [0xaa]
    try serializer.encodeUpdate(.set(1, 2), into: &buffer)
    try serializer.encodeUpdate(.delete("k"), into: &buffer)
    #expect(buffer == [0xaa] + hex("93 c3 01 02") + hex("93 c2 a1 6b c0"))
    let update = UltraDictUpdate.set(sample, ["x": sample])
    var direct: [UInt8] = []
    try serializer.encodeUpdate(update, into: &direct)
    #expect(try decodeUpdate(direct) == update)
    #expect(try decode(direct) == update.record)
}

@Test func encodingAppendsAndLeavesTheBufferAloneOnFailure() throws {
    var buffer: [UInt8] = [1, 2, 3]
    try serializer.encode("a", into: &buffer)
    #expect(buffer == [1, 2, 3, 0xa1, 0x61])
    expectSerializationError { try serializer.encode([1, "b", nested(40)], into: &buffer) }
    expectSerializationError { try serializer.encodeUpdate(.set("k", nested(32)), into: &buffer) }
    #expect(buffer == [1, 2, 3, 0xa1, 0x61])
}

@Test func decodesWhatPythonMayWrite() throws {
    #expect(try decode(hex("ca 3f c0 00 00")) == 1.5)                  // float 32
    #expect(try decode(hex("d0 05")) == 5)                             // non-minimal ints
    #expect(try decode(hex("cf 00 00 00 00 00 00 00 05")) == 5)
    #expect(try decode(hex("d3 ff ff ff ff ff ff ff ff")) == -1)
    #expect(try decode(hex("cf 80 00 00 00 00 00 00 00")) == .uint(1 << 63))
    #expect(try decode(hex("82 a1 61 01 a1 61 02")) == ["a": 2])       // a repeated key keeps the last
    #expect(try decode(hex("81 92 01 02 c0")) == [[1, 2]: nil])         // any key type
    #expect(try decode(hex("da 00 01 61")) == "a")                       // str 16 for a short string
    #expect(try decodeUpdate(hex("93 01 a1 6b c0")) == .set("k", nil)) // Python may send ints for isSet
    #expect(try decodeUpdate(hex("93 00 a1 6b c0")) == .delete("k"))
}

// MARK: - Round trips

@Test(arguments: [
    nil, true, false, 0, 1, -1, 127, 128, -32, -33, .int(.max), .int(.min), .uint(1 << 63), .uint(.max),
    0.0, -0.0, 1.5, .double(.pi), .double(.infinity), .double(-.infinity), .double(.leastNonzeroMagnitude),
    "", "a", "héllo 😀 ünïcødé \u{0}", .string(String(repeating: "é", count: 40_000)),
    .bytes([]), .bytes(Array(0 ... 255)), .bytes(Array(repeating: 7, count: 70_000)),
    [], [:], [[], [:], [[]]], .array((0 ..< 70_000).map { .int(Int64($0)) }), sample, [sample: sample],
    .dictionary(Dictionary(uniqueKeysWithValues: (0 ..< 1000).map { (.int(Int64($0) - 500), .string("v\($0)")) })),
    [nil: 1, true: 2, 3: [4], 2.5: "x", "s": .bytes([1]), .bytes([2]): [:], [1]: [1: 1], [2: 2]: nil],
    nested(MessagePackSerializer.maximumDepth), nested(MessagePackSerializer.maximumDepth, dictionaries: true),
] as [UltraValue])
func roundTrips(value: UltraValue) throws {
    #expect(try decode(encode(value)) == value)
}

@Test func roundTripsAOneMegabyteStringAndStringLengthBoundaries() throws {
    let big = UltraValue.string(String(repeating: "0123456789abcdef", count: 65_536))
    #expect(try decode(encode(big)) == big)
    for count in [31, 32, 255, 256, 65_535, 65_536] {
        let text = UltraValue.string(String(repeating: "x", count: count))
        let bytes = UltraValue.bytes(Array(repeating: 1, count: count))
        #expect(try decode(encode(text)) == text)
        #expect(try decode(encode(bytes)) == bytes)
    }
}

@Test func roundTripsNaNAndUpdates() throws {
    guard case .double(let nan) = try decode(encode(.double(.nan))) else { Issue.record("not a double"); return }
    #expect(nan.isNaN)
    for update in [UltraDictUpdate.set("k", sample), .delete(42), .set(sample, nil)] {
        var buffer: [UInt8] = []
        try serializer.encodeUpdate(update, into: &buffer)
        #expect(try decodeUpdate(buffer) == update)
        #expect(try UltraDictUpdate(record: decode(buffer)) == update)
    }
}

// MARK: - Rejections

@Test func rejectsEveryTruncation() throws {
    var update: [UInt8] = []
    try serializer.encodeUpdate(.set("key", sample), into: &update)
    for valid in [try encode(sample), update, try encode(nested(20)), try encode(.uint(.max)), try encode("héllo")] {
        for end in 0 ..< valid.count {
            let prefix = Array(valid[..<end])
            expectSerializationError("prefix \(end) of \(valid.count)") { _ = try decode(prefix) }
            expectSerializationError("prefix \(end) of \(valid.count)") { _ = try decodeUpdate(prefix) }
        }
    }
}

@Test(arguments: ["c0 c0", "93 c3 01 02 00", "a1 61 ff", "80 80", "c4 00 c1"])
func rejectsTrailingBytes(input: String) {
    expectSerializationError { _ = try decode(hex(input)) }
}

@Test(arguments: ["a1 ff", "a2 c3 28", "a3 ed a0 80", "a2 c0 af", "a4 f4 90 80 80", "91 a1 80", "81 a1 fe 01"])
func rejectsInvalidUTF8(input: String) {
    expectSerializationError { _ = try decode(hex(input)) }
}

@Test(arguments: [
    "d4 01 00", "d5 01 00 00", "d6 ff 00 00 00 00", "d7 ff 00 00 00 00 00 00 00 00", "c7 01 05 00",
    "c8 00 01 05 00", "c9 00 00 00 01 05 00", "91 d4 01 00", "c1", "", "91 c1",
])
func rejectsExtTypesAndReservedBytes(input: String) {
    expectSerializationError { _ = try decode(hex(input)) }
}

@Test func rejectsTooDeepNesting() throws {
    let limit = MessagePackSerializer.maximumDepth
    #expect(limit == 32)
    for dictionaries in [false, true] {
        let tooDeep = nested(limit + 1, dictionaries: dictionaries)
        expectSerializationError { _ = try encode(tooDeep) }
        expectSerializationError { _ = try encode([tooDeep: 1]) }
    }
    for depth in [limit + 1, limit + 2, 100_000] {
        expectSerializationError { _ = try decode(Array(repeating: 0x91, count: depth) + [0xc0]) }
        expectSerializationError { _ = try decode(Array(repeating: 0x91, count: depth - 1) + [0x90]) }
        expectSerializationError { _ = try decode(Array(repeating: 0x81, count: depth) + [0xc0]) }   // nested as keys
    }
    var deepest: UltraValue = []   // `limit` arrays, the innermost one empty, is still accepted
    for _ in 1 ..< limit { deepest = [deepest] }
    #expect(try decode(Array(repeating: 0x91, count: limit - 1) + [0x90]) == deepest)
}

@Test(arguments: [
    "dd ff ff ff ff 01 02 03 04 05", "df ff ff ff ff 01 02 03 04 05", "dd 04 00 00 00 01 02 03 04 05",
    "df 04 00 00 00 01 02 03 04 05", "dc ff ff 01", "de ff ff 01", "91 dd ff ff ff ff c0", "93 c3 a1 6b df 7f ff ff ff",
    "db ff ff ff ff 61", "c6 ff ff ff ff 61", "d9 ff 61", "da ff ff", "c5 ff ff 00",
])
func rejectsHugeDeclaredLengthsBeforeAllocating(input: String) {
    let error = expectSerializationError { _ = try decode(hex(input)) }
    // These messages come from the bounds walk that runs before msgpack-c's unpacker allocates.
    #expect(error?.message.contains("declares") == true || error?.message.contains("truncated input:") == true)
    expectSerializationError { _ = try decodeUpdate(hex(input)) }
}

@Test(arguments: ["c0", "92 c3 01", "94 c3 01 02 03", "93 a1 6b 01 02", "93 c0 01 02", "93 cf ff ff ff ff ff ff ff ff 01 02"])
func rejectsMalformedUpdateRecords(input: String) {
    expectSerializationError { _ = try decodeUpdate(hex(input)) }
}

// MARK: - Randomized

/// Decodes `bytes` with both entry points: each must succeed or throw a serialization error.
private func decodeOrThrow(_ bytes: [UInt8]) {
    for decodeBoth in [{ _ = try decode(bytes) }, { _ = try decodeUpdate(bytes) }] as [() throws -> Void] {
        do { try decodeBoth() } catch let error as UltraDictError where error.code == .serialization {
        } catch { Issue.record("unexpected error \(error) for \(bytes)") }
    }
}

@Test func randomBytesDecodeOrThrow() {
    var random = SplitMix64(state: 0x5EED)
    for _ in 0 ..< 20_000 {
        decodeOrThrow((0 ..< Int.random(in: 0 ... 40, using: &random)).map { _ in UInt8.random(in: 0 ... 255, using: &random) })
    }
}

/// A record of scalars is read in Swift, any other by msgpack-c: on scalar records, intact and
/// with one byte changed, `decodeUpdate` must agree with decoding the tree and reading it as a
/// record (the same update, or both refuse).
@Test func scalarRecordsDecodeAsTheFullDecoderReadsThem() throws {
    var random = SplitMix64(state: 0x5CA1A)
    let scalars: [UltraValue] = [
        nil, true, false, 0, 127, 128, 255, 256, 65535, 65536, .int(1 << 32), .int(.max), .uint(.max), -1, -32, -33,
        -128, -129, -32768, -32769, .int(Int64(Int32.min) - 1), .int(.min), 1.5, -0.0, .double(.nan), "", "k",
        .string(String(repeating: "x", count: 40)), "héllo😀", .bytes([]), .bytes([0, 255]), .bytes(Array(repeating: 7, count: 300)),
    ]
    var records: [[UInt8]] = [
        hex("93 01 a1 6b 02"), hex("93 00 a1 6b c0"), hex("93 ff a1 6b 02"), hex("93 c3 ca 3f c0 00 00 cc 05"),
        hex("93 c3 d0 05 d1 00 05"), hex("93 cf ff ff ff ff ff ff ff ff a1 6b 02"),
    ]
    for _ in 0 ..< 2_000 {
        let update = UltraDictUpdate(
            isSet: Bool.random(using: &random),
            key: scalars.randomElement(using: &random)!, value: scalars.randomElement(using: &random)!
        )
        var bytes: [UInt8] = []
        try serializer.encodeUpdate(update, into: &bytes)
        records.append(bytes)
    }
    for record in records {
        var mutated = record
        mutated[Int.random(in: 0 ..< mutated.count, using: &random)] = UInt8.random(in: 0 ... 255, using: &random)
        for bytes in [record, mutated] {
            let fast = try? decodeUpdate(bytes)
            let full = try? UltraDictUpdate(record: decode(bytes))
            // Compared as encodings, so that a NaN equals itself.
            #expect(try fast.map { try encode($0.record) } == full.map { try encode($0.record) }, "\(bytes)")
        }
    }
}

@Test func mutatedEncodingsDecodeOrThrow() throws {
    var random = SplitMix64(state: 0xC0FFEE)
    var update: [UInt8] = []
    try serializer.encodeUpdate(.set(["k": [1, 2.5]], sample), into: &update)
    let corpus = [update, try encode(sample), try encode(nested(30)), try encode([1, "abc", .bytes([1, 2, 3]), -300, 1e9])]
    for _ in 0 ..< 20_000 {
        var bytes = corpus[Int.random(in: 0 ..< corpus.count, using: &random)]
        bytes[Int.random(in: 0 ..< bytes.count, using: &random)] = UInt8.random(in: 0 ... 255, using: &random)
        decodeOrThrow(bytes)
    }
}
