import Testing
import UltraDictCore
import UltraDictJSON
import UltraDictTesting

// MARK: - Helpers

private let serializer = JSONSerializer()
private let integerKeys = JSONSerializer(topLevelKeys: .integers)

private func text(_ value: UltraValue) throws -> String {
    var buffer: [UInt8] = []
    try serializer.encode(value, into: &buffer)
    return String(decoding: buffer, as: UTF8.self)
}

private func text(_ update: UltraDictUpdate) throws -> String {
    var buffer: [UInt8] = []
    try serializer.encodeUpdate(update, into: &buffer)
    return String(decoding: buffer, as: UTF8.self)
}

private func decode(_ bytes: [UInt8], with serializer: JSONSerializer = serializer) throws -> UltraValue {
    try bytes.withUnsafeBytes { try serializer.decode($0) }
}

private func decode(_ text: String, with serializer: JSONSerializer = serializer) throws -> UltraValue {
    try decode(Array(text.utf8), with: serializer)
}

private func decodeUpdate(_ text: String) throws -> UltraDictUpdate {
    try Array(text.utf8).withUnsafeBytes { try serializer.decodeUpdate($0) }
}

private func nested(_ depth: Int, around innermost: String = "1") -> String {
    String(repeating: "[", count: depth) + innermost + String(repeating: "]", count: depth)
}

/// Expects `body` to throw a `.serialization` error with a "json: " message.
@discardableResult
private func expectSerializationError(
    _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> UltraDictError? {
    expectSerializationError(messagePrefix: "json: ", comment, sourceLocation: sourceLocation, body)
}

// MARK: - What Python reads

@Test(arguments: [
    (UltraValue.array([true, "k", 1]), #"[true,"k",1]"#),
    (["a": 1], #"{"a":1}"#),
    (nil, "null"), (.int(.min), "-9223372036854775808"), (.uint(.max), "18446744073709551615"),
    (1.0, "1.0"), (-0.0, "-0.0"), (1e-7, "1e-07"), (1e100, "1e+100"), (0.1, "0.1"),
    (.double(.nan), "NaN"), (.double(.infinity), "Infinity"), (.double(-.infinity), "-Infinity"),
    ("é/😀\n\"\\\u{1}", #""é/😀\n\"\\\u0001""#),
    (.bytes([0, 1, 2, 255]), #"{"$bytes":"AAEC/w=="}"#), (.bytes([]), #"{"$bytes":""}"#),
    ([1: "a"], #"{"1":"a"}"#), ([true: 1], #"{"true":1}"#), ([nil: 1], #"{"null":1}"#), ([1.5: 1], #"{"1.5":1}"#),
    ([.uint(.max): 1], #"{"18446744073709551615":1}"#), ([.double(.nan): 1], #"{"NaN":1}"#),
] as [(UltraValue, String)])
func writesWhatPythonReads(value: UltraValue, expected: String) throws {
    // Each expected text was checked with Python 3's json.loads.
    #expect(try text(value) == expected)
}

@Test func writesUpdateRecordsAsPythonTuples() throws {
    #expect(try text(.set("k", 1)) == #"[true,"k",1]"#)
    #expect(try text(.set(7, ["x": [1.5, nil]])) == #"[true,7,{"x":[1.5,null]}]"#)
    #expect(try text(.delete("k")) == #"[false,"k",null]"#)
}

// MARK: - What Python writes

/// `json.dumps(value).encode()` in Python 3, byte for byte.
@Test(arguments: [
    (#"[true, 1, "x"]"#, UltraValue.array([true, 1, "x"])),
    (#"{"1": 1, "2": 2, "a": null}"#, ["1": 1, "2": 2, "a": nil]),
    (#""\u00e9\ud83d\ude00/\"\\\n\u0001""#, "é😀/\"\\\n\u{1}"),
    ("[Infinity, -Infinity, 1e+100, 1.5, -0.0, 1.0, 1e-07, 0.1]", [.double(.infinity), .double(-.infinity), 1e100, 1.5, -0.0, 1.0, 1e-7, 0.1]),
    ("18446744073709551615", .uint(.max)), ("-9223372036854775808", .int(.min)), ("9223372036854775807", .int(.max)),
    (#"{"true": 1, "null": 2, "1.5": 3}"#, ["true": 1, "null": 2, "1.5": 3]),
    (#"{"a": {"b": [null, true, []]}, "c": {}}"#, ["a": ["b": [nil, true, []]], "c": [:]]),
    (" \t\n[1]\r\n ", [1]),
] as [(String, UltraValue)])
func readsWhatPythonWrites(text: String, expected: UltraValue) throws {
    #expect(try decode(text) == expected)
}

@Test func readsPythonsNaNAndTheSignOfZero() throws {
    guard case .array(let items) = try decode("[NaN, -0.0]"), case .double(let nan) = items[0], case .double(let zero) = items[1] else {
        Issue.record("not an array of two doubles")
        return
    }
    #expect(nan.isNaN)
    #expect(zero == 0 && zero.sign == .minus)
}

@Test func readsPythonsUpdateRecords() throws {
    #expect(try decodeUpdate(#"[true, 1, "x"]"#) == .set(1, "x"))
    let delete = try decodeUpdate(#"[false, "k", ""]"#)  // a delete through Python's bytes wrapper
    #expect(!delete.isSet && delete.key == "k")
    #expect(try decodeUpdate(#"[1, "k", 2]"#) == .set("k", 2))
}

@Test func aLoneSurrogateBecomesTheReplacementCharacter() throws {
    #expect(try decode(#""\ud800x""#) == "\u{FFFD}x")
}

// MARK: - Bytes

@Test func bytesRoundTripThroughTheTaggedObject() throws {
    for count in 0 ... 7 {
        let bytes = UltraValue.bytes((0 ..< count).map { UInt8($0 * 37 & 0xFF) })
        #expect(try decode(Array(text(bytes).utf8)) == bytes)
    }
}

@Test(arguments: [
    #"{"$bytes": "not base64!"}"#, #"{"$bytes": "AB=="}"#, #"{"$bytes": "AA="}"#, #"{"$bytes": 5}"#,
    #"{"$bytes": "AA==", "x": 1}"#, #"{"$Bytes": "AA=="}"#, #"{"$bytes": "A==="}"#, #"{"$bytes": "AA\n=="}"#,
])
func objectsThatAreNotCanonicalBytesStayDictionaries(text: String) throws {
    guard case .dictionary = try decode(text) else { Issue.record("\(text) did not decode as a dictionary"); return }
}

@Test func aDictionaryThatWouldReadBackAsBytesIsRefused() throws {
    expectSerializationError { _ = try text(["$bytes": "AA=="]) }
    #expect(try decode(Array(text(["$bytes": "hello"]).utf8)) == ["$bytes": "hello"])
    #expect(try decode(Array(text(["$bytes": "AA==", "other": 1]).utf8)) == ["$bytes": "AA==", "other": 1])
}

// MARK: - Keys

@Test func fullDumpKeysComeBackAsIntegersOnlyWhenAsked() throws {
    let python = #"{"1": 1, "-5": 2, "007": 3, "-0": 4, "+1": 5, "18446744073709551615": 6, "18446744073709551616": 7, "a": 8, "n": {"9": 9}}"#
    #expect(try decode(python) == [
        "1": 1, "-5": 2, "007": 3, "-0": 4, "+1": 5, "18446744073709551615": 6, "18446744073709551616": 7, "a": 8, "n": ["9": 9],
    ])
    #expect(try decode(python, with: integerKeys) == [
        1: 1, -5: 2, "007": 3, "-0": 4, "+1": 5, .uint(.max): 6, "18446744073709551616": 7, "a": 8, "n": ["9": 9],
    ])
    let snapshot: UltraValue = .dictionary(Dictionary(uniqueKeysWithValues: (-500 ..< 500).map { (.int(Int64($0)), .int(Int64($0))) }))
    #expect(try decode(Array(text(snapshot).utf8), with: integerKeys) == snapshot)
}

@Test func integerKeysLeaveUpdateRecordsAlone() throws {
    let record = try Array(#"[true, "1", {"2": 2}]"#.utf8).withUnsafeBytes { try integerKeys.decodeUpdate($0) }
    #expect(record == .set("1", ["2": 2]))
}

@Test func theKeyTypeChoosesHowKeysAreRead() {
    #expect(JSONSerializer(keyType: Int.self).topLevelKeys == .integers)
    #expect(JSONSerializer(keyType: UInt8.self).topLevelKeys == .integers)
    #expect(JSONSerializer(keyType: UInt64.self).topLevelKeys == .integers)
    #expect(JSONSerializer(keyType: String.self).topLevelKeys == .strings)
    #expect(JSONSerializer(keyType: UltraValue.self).topLevelKeys == .strings)
    #expect(JSONSerializer().topLevelKeys == .strings)
}

@Test(arguments: [
    [.bytes([1]): 1], [[1]: 1], [["k": 1]: 1], ["a\u{0}b": 1], [1: "int", "1": "string"], [true: 1, "true": 2], [nil: 1, "null": 2],
] as [UltraValue])
func keysJSONCannotWriteAreRefused(value: UltraValue) {
    expectSerializationError { _ = try text(value) }
}

// MARK: - Rejections

@Test func encodingAppendsAndLeavesTheBufferAloneOnFailure() throws {
    var buffer: [UInt8] = [1, 2, 3]
    try serializer.encode("a", into: &buffer)
    #expect(buffer == [1, 2, 3] + Array(#""a""#.utf8))
    expectSerializationError { try serializer.encode([1, [.bytes([1]): 2]], into: &buffer) }
    expectSerializationError { try serializer.encodeUpdate(.set("k", [[.bytes([1]): 2]]), into: &buffer) }
    #expect(buffer == [1, 2, 3] + Array(#""a""#.utf8))
}

@Test func rejectsEveryTruncation() throws {
    let valid = try [text(.set("key", ["a": [1, -2.5, "x\u{e9}", nil, true, .bytes([1])]])), text(.uint(.max)), text(["k": "héllo"])]
    for bytes in valid.map({ Array($0.utf8) }) {
        for end in 0 ..< bytes.count where !(end > 0 && bytes[..<end].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }) {
            expectSerializationError("prefix \(end) of \(bytes.count)") { _ = try decode(Array(bytes[..<end])) }
        }
    }
}

@Test(arguments: [
    "[1] x", "[1][2]", "[1] [", "1 2", "[1,]", #"{"a":1,}"#, "[1 /* c */]", "// c\n[1]", "['a']", "True", "nan", "infinity",
    "-infinity", "NULL", "01", "[01]", ".5", "1e", "+1", "[1", #"{"a"}"#, #"{"a":}"#, #"{1:2}"#, #""\x""#, #""\u12""#,
    "[1]\u{0}", "\"\u{0}\"", "[\"a\", \u{0}]", "",
])
func rejectsMalformedJSON(input: String) {
    expectSerializationError { _ = try decode(input) }
}

@Test(arguments: [
    [0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xE0, 0x80, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22],
    [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xF8, 0x88, 0x80, 0x80, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22],
    [0x22, 0xC3, 0x22], [0x5B, 0xC3, 0xA9, 0x5D], [0x22, 0xC3],
] as [[UInt8]])
func rejectsMalformedUTF8(input: [UInt8]) {
    expectSerializationError { _ = try decode(input) }
}

@Test(arguments: [
    "18446744073709551616", "-9223372036854775809", "1" + String(repeating: "0", count: 30), "[99999999999999999999]",
    #"{"a": -99999999999999999999}"#, "00000000000000000000018446744073709551616",
])
func rejectsIntegersBeyond64Bits(input: String) {
    let error = expectSerializationError { _ = try decode(input) }
    #expect(error?.message.contains("64 bits") == true || error?.message.contains("number") == true)
}

@Test func acceptsTheIntegerExtremesAndBigFloats() throws {
    #expect(try decode("[18446744073709551615, -9223372036854775808, 9223372036854775808, 1e400]")
        == [.uint(.max), .int(.min), .uint(1 << 63), .double(.infinity)])
}

@Test(arguments: [#"{"a\u0000b": 1}"#, #"{"\u0000" : 1}"#, #"[{"x": 1, "\u0000": 2}]"#])
func rejectsObjectKeysContainingNUL(input: String) {
    let error = expectSerializationError { _ = try decode(input) }
    #expect(error?.message.contains("\\u0000") == true)
}

@Test func keepsNULInsideStringValues() throws {
    #expect(try decode(#"["a\u0000b", {"k": "\u0000"}, "\\u0000"]"#) == ["a\u{0}b", ["k": "\u{0}"], "\\u0000"])
}

@Test func nestingStopsAtTheMaximumDepth() throws {
    let limit = JSONSerializer.maximumDepth
    #expect(limit == UltraValue.maximumDepth)
    var deepest: UltraValue = 1
    for _ in 0 ..< limit { deepest = [deepest] }
    #expect(try decode(nested(limit)) == deepest)
    #expect(throws: Never.self) { try decode(nested(limit, around: #"{"$bytes":"AA=="}"#)) }  // bytes are no level
    #expect(throws: Never.self) { try decode(nested(limit - 1, around: #"{"k":1}"#)) }
    for depth in [limit + 1, limit + 2, 100_000] {
        let error = expectSerializationError { _ = try decode(nested(depth)) }
        #expect(error?.message.contains("nesting deeper than \(limit)") == true)
    }
    expectSerializationError { _ = try decode(nested(limit, around: #"{"k":1}"#)) }
    expectSerializationError { _ = try decode(nested(limit, around: "[]")) }
    expectSerializationError { _ = try text(.array([deepest])) }
    expectSerializationError { _ = try text(.set("k", deepest)) }
}
