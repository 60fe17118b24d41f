import Foundation
import Testing
import UltraDictCore
import UltraDictPropertyList
import UltraDictTesting

// MARK: - Helpers

private let serializer = PropertyListSerializer()

private func encode(_ value: UltraValue) throws -> [UInt8] { try serializer.encoded(value) }
private func decode(_ bytes: [UInt8]) throws -> UltraValue { try serializer.decoded(bytes) }

/// What Foundation itself reads from `bytes`, to see the tagged forms.
private func foundationObject(_ bytes: [UInt8]) throws -> Any {
    try PropertyListSerialization.propertyList(from: Data(bytes), options: [], format: nil)
}

/// `"62 70 6c"` → `[0x62, 0x70, 0x6c]`.
private func hex(_ text: String) -> [UInt8] {
    text.split(separator: " ").map { UInt8($0, radix: 16) ?? 0 }
}

private func bigEndian(_ value: UInt64, width: Int) -> [UInt8] {
    (0 ..< width).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
}

/// A binary property list built by hand from encoded `objects`, for inputs Foundation never writes;
/// the trailer's fields can be overridden.
private func bplist(
    _ objects: [[UInt8]], top: UInt64 = 0, offsetSize: Int = 1, referenceSize: Int = 1,
    objectCount: UInt64? = nil, tableOffset: UInt64? = nil, offsets: [UInt64]? = nil
) -> [UInt8] {
    var bytes = Array("bplist00".utf8)
    var starts: [UInt64] = []
    for object in objects {
        starts.append(UInt64(bytes.count))
        bytes += object
    }
    let table = UInt64(bytes.count)
    for offset in offsets ?? starts { bytes += bigEndian(offset, width: offsetSize) }
    bytes += [0, 0, 0, 0, 0, 0, UInt8(offsetSize), UInt8(referenceSize)]
    bytes += bigEndian(objectCount ?? UInt64(objects.count), width: 8) + bigEndian(top, width: 8) + bigEndian(tableOffset ?? table, width: 8)
    return bytes
}

/// Expects `body` to throw a `.serialization` error with a "plist: " message.
@discardableResult
private func expectSerializationError(
    _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> UltraDictError? {
    expectSerializationError(messagePrefix: "plist: ", comment, sourceLocation: sourceLocation, body)
}

// MARK: - The mapping

@Test func writesNativeTypesAsTheMatchingPlistTypes() throws {
    let bytes = try encode(["flag": true, "int": -5, "double": 1.5, "text": "é", "data": .bytes([1, 2]), "list": [1, "a"]])
    #expect(bytes.starts(with: Array("bplist00".utf8)))
    let object = try #require(try foundationObject(bytes) as? [String: Any])
    #expect(object["flag"] as? Bool == true)
    #expect((object["int"] as? NSNumber)?.int64Value == -5)
    #expect((object["double"] as? NSNumber)?.doubleValue == 1.5)
    #expect(object["text"] as? String == "é")
    #expect(object["data"] as? Data == Data([1, 2]))
    #expect((object["list"] as? [Any])?.count == 2)
}

@Test func writesNullAndOtherKeysInTaggedForms() throws {
    let null = try #require(try foundationObject(encode(nil)) as? [String: Any])
    #expect(null.count == 1 && null["$null"] as? Bool == true)
    let map = try #require(try foundationObject(encode([1: "a"])) as? [String: Any])
    let entries = try #require(map["$map"] as? [Any])
    #expect(entries.count == 2 && (entries[0] as? NSNumber)?.int64Value == 1 && entries[1] as? String == "a")
    // A one-entry dictionary under a tag is written in the $map form, so it is not read as a tag.
    for lookalike: UltraValue in [["$null": true], ["$map": []]] {
        let written = try #require(try foundationObject(encode(lookalike)) as? [String: Any])
        #expect(written.keys.sorted() == ["$map"])
        #expect(try decode(encode(lookalike)) == lookalike)
    }
    #expect(try decode(encode(["$null": true, "other": 1])) == ["$null": true, "other": 1])
}

@Test func writesUnsignedAboveInt64AsA16ByteInteger() throws {
    let bytes = try encode(.uint(.max))
    #expect(bytes.contains(0x14))
    #expect(try decode(bytes) == .uint(.max))
    #expect(try decode(encode(.uint(1 << 63))) == .uint(1 << 63))
}

@Test(arguments: [
    nil, true, false, 0, 1, -1, 255, 256, .int(.max), .int(.min), .uint(.max), 1.0, -0.0, .double(.infinity), "", "a\u{0}b", "😀",
    .bytes([]), [], [:], [nil: nil], [[1]: [2: [3]]], [true: false, 1: 1, 1.0: 1.0, "1": "1"], ["$null": nil], ["$map": ["$map": 1]],
] as [UltraValue])
func roundTrips(value: UltraValue) throws {
    let decoded = try decode(encode(value))
    #expect(decoded == value)
    if case .double(let number) = value, case .double(let back) = decoded { #expect(number.sign == back.sign) }
}

@Test func everySmallIntegerComesBackAsAnIntNotABool() throws {
    let integers = UltraValue.array((-300 ... 70_000).map { .int(Int64($0)) })
    #expect(try decode(encode(integers)) == integers)
    #expect(try decode(encode([true, false, 0, 1])) == [true, false, 0, 1])
}

// MARK: - What Python's plistlib writes

/// `plistlib.dumps(value, fmt=plistlib.FMT_BINARY)` in Python 3, byte for byte.
@Test(arguments: [
    ("62 70 6c 69 73 74 30 30 a3 01 02 03 09 51 6b 10 05 08 0c 0d 0f 00 00 00 00 00 00 01 01 00 00 00 00 00 00 00 04 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 11",
     UltraValue.array([true, "k", 5])),
    ("62 70 6c 69 73 74 30 30 d2 01 02 03 07 51 61 51 62 a3 04 05 06 10 01 23 40 04 00 00 00 00 00 00 42 00 01 d1 08 09 51 63 61 00 e9 08 0d 0f 11 15 17 20 23 26 28 00 00 00 00 00 00 01 01 00 00 00 00 00 00 00 0a 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 2b",
     ["a": [1, 2.5, .bytes([0, 1])], "b": ["c": "é"]]),
    ("62 70 6c 69 73 74 30 30 a4 01 02 03 04 14 00 00 00 00 00 00 00 00 ff ff ff ff ff ff ff ff 13 ff ff ff ff ff ff ff ff 13 80 00 00 00 00 00 00 00 14 00 00 00 00 00 00 00 00 80 00 00 00 00 00 00 00 08 0d 1e 27 30 00 00 00 00 00 00 01 01 00 00 00 00 00 00 00 05 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 41",
     [.uint(.max), -1, .int(.min), .uint(1 << 63)]),
] as [(String, UltraValue)])
func readsWhatPythonWrites(bytes: String, expected: UltraValue) throws {
    #expect(try decode(hex(bytes)) == expected)
}

@Test func readsPythonsDeleteRecord() throws {
    let bytes = hex("62 70 6c 69 73 74 30 30 a3 01 02 03 08 51 6b 50 08 0c 0d 0f 00 00 00 00 00 00 01 01 00 00 00 00 00 00 00 04 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 10")
    let update = try bytes.withUnsafeBytes { try serializer.decodeUpdate($0) }
    #expect(!update.isSet && update.key == "k")
}

// MARK: - Untrusted input

@Test func rejectsWhatIsNotABinaryPropertyList() throws {
    let xml = try PropertyListSerialization.data(fromPropertyList: ["a": 1], format: .xml, options: 0)
    expectSerializationError { _ = try decode(Array(xml)) }
    expectSerializationError { _ = try decode([]) }
    expectSerializationError { _ = try decode(Array("bplist00".utf8)) }
    expectSerializationError { _ = try decode(Array("bplist01".utf8) + Array(try encode(1).dropFirst(8))) }
}

@Test func rejectsEveryTruncationAndTrailingBytes() throws {
    for valid in [try encode(["k": [1, "two", 3.0, .bytes([4])]]), try encode(.uint(.max)), try encode("héllo")] {
        for end in 0 ..< valid.count { expectSerializationError("prefix \(end)") { _ = try decode(Array(valid[..<end])) } }
        expectSerializationError { _ = try decode(valid + [0]) }
        expectSerializationError { _ = try decode([0] + valid) }
    }
}

@Test(arguments: [
    ("the trailer's offset table start", bplist([[0x10, 0x01]], tableOffset: 8)),
    ("an offset table start beyond the trailer", bplist([[0x10, 0x01]], tableOffset: 1000)),
    ("a huge object count", bplist([[0x10, 0x01]], objectCount: 1 << 62)),
    ("no objects", bplist([], objectCount: 0)),
    ("a top object out of range", bplist([[0x10, 0x01]], top: 1)),
    ("an offset size of 0", bplist([[0x10, 0x01]], offsetSize: 0)),
    ("an offset size of 9", bplist([[0x10, 0x01]], offsetSize: 9)),
    ("a reference size of 0", bplist([[0x10, 0x01]], referenceSize: 0)),
    ("an offset into the header", bplist([[0x10, 0x01]], offsets: [3])),
    ("an offset into the offset table", bplist([[0x10, 0x01]], offsets: [10])),
    ("a reference out of range", bplist([[0xA1, 0x05]])),
    ("a string longer than the objects", bplist([[0x55, 0x61, 0x62, 0x63]])),
    ("a data length of 2^63", bplist([[0x4F, 0x13, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]])),
    ("a length that is not an int", bplist([[0x5F, 0x23, 0, 0, 0, 0, 0, 0, 0, 0]])),
    ("an array longer than the objects", bplist([[0xAF, 0x12, 0x00, 0x10, 0x00, 0x00, 0x00]])),
    ("a date", bplist([[0x33, 0, 0, 0, 0, 0, 0, 0, 0]])),
    ("a UID", bplist([[0x80, 0x01]])),
    ("a set", bplist([[0xC1, 0x01], [0x10, 0x01]])),
    ("the null marker", bplist([[0x00]])),
    ("a fill byte", bplist([[0x0F]])),
    ("a 2-byte real", bplist([[0x21, 0, 0]])),
    ("a 32-byte int", bplist([[0x15] + Array(repeating: 0, count: 32)])),
    ("a 128-bit int beyond 64 bits", bplist([[0x14, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]])),
    ("a negative 128-bit int", bplist([[0x14] + Array(repeating: 0xFF, count: 16)])),
    ("a key that is not a string", bplist([[0xD1, 0x01, 0x02], [0x10, 0x01], [0x10, 0x02]])),
    ("an ASCII string with a byte above 0x7F", bplist([[0x51, 0xE9]])),
    ("an unpaired high surrogate", bplist([[0x61, 0xD8, 0x3D]])),
    ("an unpaired low surrogate", bplist([[0x62, 0xDE, 0x00, 0x00, 0x41]])),
    ("an array that contains itself", bplist([[0xA1, 0x00]])),
    ("two references to one array", bplist([[0xA2, 0x01, 0x01], [0xA0]])),
    ("a dictionary reached through itself", bplist([[0xD1, 0x01, 0x02], [0x51, 0x6B], [0xA1, 0x00]])),
] as [(String, [UInt8])])
func rejectsHostileStructures(what: String, bytes: [UInt8]) {
    expectSerializationError(Comment(rawValue: what)) { _ = try decode(bytes) }
}

@Test func acceptsSharedScalarsAndPairedSurrogates() throws {
    // Foundation and Python share equal strings and numbers; a reader must accept that.
    #expect(try decode(bplist([[0xA3, 0x01, 0x01, 0x02], [0x51, 0x6B], [0x62, 0xD8, 0x3D, 0xDE, 0x00]])) == ["k", "k", "😀"])
}

@Test func rejectsSharedDataThatExpandsBeyondTheLimit() throws {
    // One 1 MiB data object referenced 1,100 times: 1.1 GiB once expanded, from a 1 MiB input.
    let data: [UInt8] = [0x4F, 0x12] + bigEndian(1 << 20, width: 4) + Array(repeating: 0x5A, count: 1 << 20)
    let references = 1100
    let array: [UInt8] = [0xAF, 0x11] + bigEndian(UInt64(references), width: 2) + Array(repeating: 0x01, count: references)
    let error = expectSerializationError { _ = try decode(bplist([array, data], offsetSize: 4)) }
    #expect(error?.message.contains("expand") == true)
    // A few references are fine.
    let few: [UInt8] = [0xA3, 0x01, 0x01, 0x01]
    #expect(try decode(bplist([few, [0x43, 1, 2, 3]])) == [.bytes([1, 2, 3]), .bytes([1, 2, 3]), .bytes([1, 2, 3])])
}

@Test func nestingStopsAtTheMaximumDepth() throws {
    let limit = PropertyListSerializer.maximumDepth
    #expect(limit == UltraValue.maximumDepth)
    var arrays: UltraValue = 1
    var dictionaries: UltraValue = 1
    var aroundNull: UltraValue = nil
    for level in 0 ..< limit {
        arrays = [arrays]
        dictionaries = [.int(Int64(level)): dictionaries]  // two plist levels each: 512, Foundation's limit
        aroundNull = [.int(Int64(level)): aroundNull]
    }
    #expect(try decode(encode(arrays)) == arrays)
    #expect(try decode(encode(dictionaries)) == dictionaries)
    expectSerializationError { _ = try encode([arrays]) }
    expectSerializationError { _ = try encode([1: dictionaries]) }
    let tooDeep = expectSerializationError { _ = try encode(aroundNull) }  // the null takes one level more
    #expect(tooDeep?.message.contains("512 property list levels") == true)
    // A chain of arrays written by hand: 257 levels pass the structure walk, then the conversion
    // refuses. References and offsets of 4 bytes, wide enough for 100,000 objects.
    func chain(_ depth: Int) -> [UInt8] {
        bplist((0 ..< depth).map { [0xA1] + bigEndian(UInt64($0 + 1), width: 4) } + [[0x10, 0x01]], offsetSize: 4, referenceSize: 4)
    }
    #expect(try decode(chain(limit)) == arrays)
    expectSerializationError { _ = try decode(chain(limit + 1)) }
    let error = expectSerializationError { _ = try decode(chain(100_000)) }
    #expect(error?.message.contains("nesting deeper") == true)
}

@Test(arguments: [["$null": 1], ["$null": false], ["$null": "yes"], ["$map": [1]], ["$map": "x"], ["$map": ["k": 1]]] as [[String: any Sendable]])
func rejectsMalformedTags(object: [String: any Sendable]) throws {
    let bytes = try PropertyListSerialization.data(fromPropertyList: object, format: .binary, options: 0)
    expectSerializationError { _ = try decode(Array(bytes)) }
}

@Test func encodingAppendsAndLeavesTheBufferAloneOnFailure() throws {
    var buffer: [UInt8] = [1, 2, 3]
    try serializer.encode("a", into: &buffer)
    #expect(Array(buffer.prefix(3)) == [1, 2, 3])
    #expect(try decode(Array(buffer.dropFirst(3))) == "a")
    let before = buffer
    var deep: UltraValue = 1
    for _ in 0 ... PropertyListSerializer.maximumDepth { deep = [deep] }
    expectSerializationError { try serializer.encode(deep, into: &buffer) }
    #expect(buffer == before)
}
