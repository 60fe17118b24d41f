import UltraDictCore
import UltraDictJSON
import UltraDictMessagePack
import UltraDictPickle
import UltraDictPropertyList
import UltraDictTransport

/// One input of a seed corpus: a file name that says what it is, and its bytes.
public struct FuzzSeed: Sendable {
    /// The file name: `valid-…` for bytes that the library's own writers produce, `hostile-…`
    /// for crafted bytes aimed at one check (most are refused; a few test a tolerated oddity).
    public var name: String
    /// The input.
    public var bytes: [UInt8]
}

extension FuzzSurface {
    /// The seed corpus of this surface, made with the library's own writers and a few crafted
    /// hostile variants; `Tests/Fuzz`'s `MakeCorpus` writes them to `Tests/Fuzz/Corpus/<name>/`.
    ///
    /// Deterministic, so that writing the corpus again changes no file. Not thread-safe: the
    /// transport seeds are written through this process's scratch segments.
    public func seeds() throws -> [FuzzSeed] {
        switch self {
        case .framing: try TransportSeeds.framing()
        case .controlBlock: try TransportSeeds.controlBlock()
        case .updateLog: try TransportSeeds.updateLog()
        case .messagePack: try SerializerSeeds.messagePack()
        case .json: try SerializerSeeds.json()
        case .propertyList: try SerializerSeeds.propertyList()
        case .pickle: try SerializerSeeds.pickle()
        case .redis: try RedisSeeds.seeds()
        }
    }
}

/// `value` encoded by `serializer` into a fresh buffer.
func encoded(_ value: UltraValue, with serializer: some UltraDictSerializer) throws -> [UInt8] {
    var bytes: [UInt8] = []
    try serializer.encode(value, into: &bytes)
    return bytes
}

/// Seeds for the decoders: update records and snapshots of a value of each kind, and hostile bytes.
enum SerializerSeeds {
    /// One value of each kind, with names.
    static let values: [(name: String, value: UltraValue)] = [
        ("null", .null), ("bool", true), ("int", -12345), ("int-max", .int(.max)), ("uint-max", .uint(.max)),
        ("double", 1.5), ("infinity", .double(.infinity)), ("string", "héllo wörld 😀"), ("bytes", .bytes([0, 1, 0x7F, 0xFF])),
        ("array", [1, "two", nil, [3.5, []]]), ("dictionary", ["a": 1, "b": ["c": [true, false]], "": [:]]),
        ("int-keys", [1: "one", -2: "minus two"]),
    ]

    /// A snapshot with a key of each kind the serializer takes at the top level.
    static let snapshot = UltraValue.dictionary(Dictionary(uniqueKeysWithValues: values.map { (.string($0.name), $0.value) }))

    static func messagePack() throws -> [FuzzSeed] {
        let deep = [UInt8](repeating: 0x91, count: MessagePackSerializer.maximumDepth + 1) + [0xC0]
        return try valid(MessagePackSerializer(), snapshots: [snapshot, [1: "a", .bytes([2]): [3]]]) + [
            FuzzSeed(name: "hostile-array-of-4-billion", bytes: [0xDD, 0xFF, 0xFF, 0xFF, 0xFF]),
            FuzzSeed(name: "hostile-map-of-4-billion", bytes: [0xDF, 0xFF, 0xFF, 0xFF, 0xFF, 0xC0, 0xC0]),
            FuzzSeed(name: "hostile-nesting-too-deep", bytes: deep),
            FuzzSeed(name: "hostile-string-past-the-end", bytes: [0x93, 0xC3, 0xDA, 0xFF, 0xFF, 0x61]),
            FuzzSeed(name: "hostile-ext-type", bytes: [0x93, 0xC3, 0xA1, 0x6B, 0xD4, 0x01, 0x00]),
            FuzzSeed(name: "hostile-string-not-utf8", bytes: [0x93, 0xC3, 0xA2, 0xC3, 0x28, 0xC0]),
            FuzzSeed(name: "hostile-record-of-4", bytes: [0x94, 0xC3, 0xA1, 0x6B, 0x01, 0x02]),
        ]
    }

    static func json() throws -> [FuzzSeed] {
        let text: [(String, String)] = [
            ("nesting-too-deep", String(repeating: "[", count: JSONSerializer.maximumDepth + 1) + String(repeating: "]", count: JSONSerializer.maximumDepth + 1)),
            ("integer-beyond-64-bits", #"[true,"k",123456789012345678901234567890]"#),
            ("bytes-not-base64", #"[true,"k",{"$bytes":"!!!"}]"#),
            ("lone-surrogate", #"[true,"k","\ud800"]"#),
            ("nul-in-key", #"{"a\u0000b":1}"#),
            ("trailing-comma", "[true,\"k\",1,]"),
            ("comment", "/* c */ {}"),
            ("integer-key-with-leading-zero", #"{"01":1,"-0":2,"18446744073709551616":3}"#),
        ]
        let notUTF8: [UInt8] = Array(#"[true,"k",""#.utf8) + [0xC3, 0x28] + Array(#""]"#.utf8)
        return try valid(JSONSerializer(), snapshots: [snapshot, [1: "a", -2: [3]]])
            + text.map { FuzzSeed(name: "hostile-\($0.0)", bytes: Array($0.1.utf8)) }
            + [FuzzSeed(name: "hostile-string-not-utf8", bytes: notUTF8)]
    }

    static func propertyList() throws -> [FuzzSeed] {
        let serializer = PropertyListSerializer()
        let plist = try encoded(snapshot, with: serializer)
        // The 32-byte trailer ends a binary plist: 6 unused bytes, the offset and reference
        // sizes, then big-endian u64s: object count, top object, offset table's offset.
        let trailer = plist.count - 32
        let patched = { (offset: Int, value: UInt64) in
            var bytes = plist
            for index in 0 ..< 8 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (56 - 8 * index)) }
            return bytes
        }
        // An array (0xA1) whose one element is itself: object 0 at byte 8, offset table at byte 10.
        let cycle: [UInt8] = Array("bplist00".utf8) + [0xA1, 0x00, 0x08] + [0, 0, 0, 0, 0, 0, 1, 1] + [0, 0, 0, 0, 0, 0, 0, 1] + [UInt8](repeating: 0, count: 8)
            + [0, 0, 0, 0, 0, 0, 0, 10]
        return try valid(serializer, snapshots: [snapshot, [1: "a", .bytes([2]): [3], nil: 4]]) + [
            FuzzSeed(name: "hostile-object-count-huge", bytes: patched(trailer + 8, .max)),
            FuzzSeed(name: "hostile-top-object-out-of-range", bytes: patched(trailer + 16, 1 << 40)),
            FuzzSeed(name: "hostile-offset-table-past-the-end", bytes: patched(trailer + 24, UInt64(plist.count))),
            FuzzSeed(name: "hostile-array-contains-itself", bytes: cycle),
        ]
    }

    static func pickle() throws -> [FuzzSeed] {
        // Python's own pickles of protocols 0 and 2, whose globals stand for sets and bytes, and
        // of UltraDict's nested-dictionary pattern; then pickles that must be refused.
        let protocol0 = Array("(dp0\nVa\np1\nc_codecs\nencode\np2\n(Vab\np3\nVlatin1\np4\ntp5\nRp6\ns.".utf8)
        let protocol2: [UInt8] = [0x80, 0x02] + Array("c__builtin__\nset\n".utf8) + [0x5D, 0x4B, 0x01, 0x61, 0x85, 0x52, 0x2E]
        // What Python writes for two nested dictionaries of one tree (the writer matches it byte for byte).
        let register = "psm_00c0ffee_register"
        let references: UltraValue = [
            NestedDictionaryReference(name: "psm_0000000a", register: register).value, NestedDictionaryReference(name: "psm_0000000b", register: register).value,
        ]
        var nested: [UInt8] = []
        try PickleSerializer().encodeUpdate(.set("k", references), into: &nested)
        return try valid(PickleSerializer(), snapshots: [snapshot, [1: "a", [2, 3]: [3]]]) + [
            FuzzSeed(name: "python-protocol-0", bytes: protocol0),
            FuzzSeed(name: "python-protocol-2-set", bytes: protocol2),
            FuzzSeed(name: "python-nested-dictionary", bytes: nested),
            FuzzSeed(name: "hostile-os-system", bytes: Array("cos\nsystem\n(S'echo hi'\ntR.".utf8)),
            FuzzSeed(name: "hostile-memo-out-of-range", bytes: [0x80, 0x04, 0x6A, 0xFF, 0xFF, 0xFF, 0xFF, 0x2E]),
            FuzzSeed(name: "hostile-frame-past-the-end", bytes: [0x80, 0x04, 0x95, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x4E, 0x2E]),
            FuzzSeed(name: "hostile-list-holds-itself", bytes: [0x80, 0x04, 0x5D, 0x94, 0x68, 0x00, 0x61, 0x2E]),
            FuzzSeed(name: "hostile-deep-tuples", bytes: [0x80, 0x04, 0x29] + [UInt8](repeating: 0x85, count: 300) + [0x2E]),
        ]
    }

    /// An update record setting each of ``values``, a delete, each of `snapshots`, and the
    /// first snapshot cut short and with a byte too many.
    private static func valid(_ serializer: some UltraDictSerializer, snapshots: [UltraValue]) throws -> [FuzzSeed] {
        var seeds = try values.map { name, value in
            var bytes: [UInt8] = []
            try serializer.encodeUpdate(.set("key", value), into: &bytes)
            return FuzzSeed(name: "valid-set-\(name)", bytes: bytes)
        }
        var delete: [UInt8] = []
        try serializer.encodeUpdate(.delete(42), into: &delete)
        seeds.append(FuzzSeed(name: "valid-delete", bytes: delete))
        let encodedSnapshots = try snapshots.map { try encoded($0, with: serializer) }
        seeds += encodedSnapshots.enumerated().map { FuzzSeed(name: "valid-snapshot-\($0.offset + 1)", bytes: $0.element) }
        seeds.append(FuzzSeed(name: "hostile-snapshot-cut-short", bytes: Array(encodedSnapshots[0].dropLast())))
        seeds.append(FuzzSeed(name: "hostile-snapshot-with-a-trailing-byte", bytes: encodedSnapshots[0] + [0]))
        return seeds
    }
}

/// Seeds for the transport: states that this package's writer leaves in the scratch segments,
/// and hostile changes to them.
enum TransportSeeds {
    /// Update records as a MessagePack writer appends them.
    static func records() throws -> [[UInt8]] {
        try SerializerSeeds.values.prefix(4).map { try encoded(UltraDictUpdate.set(.string($0.name), $0.value).record, with: MessagePackSerializer()) }
    }

    /// Bytes of the snapshot that full dumps carry.
    static func snapshot() throws -> [UInt8] {
        try encoded(["a": 1, "b": "two"], with: MessagePackSerializer())
    }

    static func framing() throws -> [FuzzSeed] {
        let scratch = ScratchLog.shared
        var cursor = try freshDictionary()
        for record in try records() { _ = try scratch.log.append(record, cursor: &cursor) }
        let stream = Array(scratch.contents(of: scratch.stream).prefix(Int(cursor.position)))
        let snapshot = try snapshot()
        try scratch.log.publishFullDump(snapshot, cursor: &cursor)
        let dump = Array(scratch.contents(of: scratch.dump).prefix(Frame.headerSize + snapshot.count + DumpTrailer.size))
        var otherChecksum = dump
        otherChecksum[dump.count - 1] ^= 1
        let withLength = { (length: UInt32) in [Frame.marker] + (0 ..< 4).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) } + [Frame.marker] + stream.dropFirst(Frame.headerSize) }
        return [
            FuzzSeed(name: "valid-records", bytes: stream),
            FuzzSeed(name: "valid-dump", bytes: dump),
            FuzzSeed(name: "valid-dump-without-trailer", bytes: Array(dump.dropLast(DumpTrailer.size))),
            FuzzSeed(name: "valid-empty", bytes: []),
            FuzzSeed(name: "hostile-checksum-mismatch", bytes: otherChecksum),
            FuzzSeed(name: "hostile-record-cut-short", bytes: Array(stream.dropLast())),
            FuzzSeed(name: "hostile-header-cut-short", bytes: Array(stream.prefix(Frame.headerSize - 1))),
            FuzzSeed(name: "hostile-zero-length", bytes: withLength(0)),
            FuzzSeed(name: "hostile-length-4-GiB", bytes: withLength(.max)),
            FuzzSeed(name: "hostile-bad-marker", bytes: [0xFE] + stream.dropFirst()),
        ]
    }

    static func controlBlock() throws -> [FuzzSeed] {
        let scratch = ScratchLog.shared
        let control = scratch.control
        let state = { (change: () -> Void) throws -> [UInt8] in
            try freshDictionary()
            change()
            return scratch.contents(of: control.segment)
        }
        let nameField = ControlLayout.fullDumpName ..< ControlLayout.fullDumpName + ControlLayout.fullDumpNameLength
        let identifierField = ControlLayout.serializerIdentifier ..< ControlLayout.serializerIdentifier + ControlLayout.serializerIdentifierLength
        let ours = try state {}
        let patched = { (range: Range<Int>, bytes: [UInt8]) in
            var block = ours
            block.replaceSubrange(range, with: bytes + [UInt8](repeating: 0, count: range.count - bytes.count))
            return block
        }
        // Python writes none of this package's fields and pads the dump name with spaces.
        var python = [UInt8](repeating: 0, count: ControlLayout.size)
        python[ControlLayout.sharedLockFlag] = UInt8(ascii: "1")
        python.replaceSubrange(nameField, with: Array("psm_0123abcd".utf8) + [UInt8](repeating: UInt8(ascii: " "), count: nameField.count - 12))
        return [
            FuzzSeed(name: "valid-swift-static-dump", bytes: ours),
            FuzzSeed(name: "valid-swift-dynamic-dump", bytes: try state { control.publishFullDumpName("psm_0123abcd") }),
            FuzzSeed(name: "valid-python", bytes: python),
            FuzzSeed(name: "hostile-name-with-slash", bytes: patched(nameField, Array("psm_../etc".utf8))),
            FuzzSeed(name: "hostile-name-with-nul-inside", bytes: patched(nameField, Array("psm_\u{0}x".utf8))),
            FuzzSeed(name: "hostile-name-not-utf8", bytes: patched(nameField, [0x70, 0xC3, 0x28])),
            FuzzSeed(name: "hostile-name-fills-the-field", bytes: patched(nameField, [UInt8](repeating: UInt8(ascii: "n"), count: nameField.count))),
            FuzzSeed(name: "hostile-identifier-unterminated", bytes: patched(identifierField, [UInt8](repeating: UInt8(ascii: "x"), count: identifierField.count))),
            FuzzSeed(name: "hostile-identifier-control-byte", bytes: patched(identifierField, [0x6D, 0x07])),
            FuzzSeed(name: "hostile-all-ones", bytes: [UInt8](repeating: 0xFF, count: ControlLayout.size)),
            FuzzSeed(name: "hostile-cut-short", bytes: Array(ours.prefix(ControlLayout.fullDumpName + 4))),
        ]
    }

    static func updateLog() throws -> [FuzzSeed] {
        let scratch = ScratchLog.shared
        let log = scratch.log
        let start = LogCursor(counter: 0, position: 0)
        let input = { (name: String, cursor: LogCursor, repairing: Bool, writing: Bool) in
            FuzzSeed(name: name, bytes: UpdateLogInput.bytes(
                ignoringInterruptedPublication: repairing, repairingFirst: repairing, writingAfterReading: writing, cursor: cursor,
                control: scratch.contents(of: scratch.control.segment), stream: scratch.contents(of: scratch.stream), dump: scratch.contents(of: scratch.dump)
            ))
        }
        var seeds: [FuzzSeed] = []
        var cursor = try freshDictionary()
        seeds.append(input("valid-fresh", start, false, false))
        let records = try records()
        _ = try log.append(records[0], cursor: &cursor)
        let afterFirst = cursor
        for record in records.dropFirst() { _ = try log.append(record, cursor: &cursor) }
        seeds.append(input("valid-records-from-the-start", start, false, false))
        seeds.append(input("valid-records-from-the-second", afterFirst, false, false))
        try log.publishFullDump(snapshot(), cursor: &cursor)
        for record in records.prefix(2) { _ = try log.append(record, cursor: &cursor) }
        seeds.append(input("valid-dump-and-records", start, false, false))
        seeds.append(input("valid-nothing-new", cursor, false, false))
        seeds.append(input("hostile-cursor-ahead-of-the-stream", LogCursor(counter: cursor.counter, position: cursor.position + 7), false, false))

        let position = cursor.position
        scratch.control.publishStreamPosition(UInt32(ScratchLog.streamSize + 1))
        seeds.append(input("hostile-position-past-the-stream", start, false, false))
        scratch.control.publishStreamPosition(position - 1)
        seeds.append(input("hostile-position-inside-a-record", start, false, false))
        scratch.control.publishStreamPosition(position)
        scratch.control.beginPublication()
        seeds.append(input("hostile-publication-interrupted", start, false, false))
        seeds.append(input("hostile-publication-interrupted-repairing", start, true, false))
        seeds.append(input("hostile-publication-interrupted-then-writing", start, true, true))
        scratch.control.endPublication()
        for (name, size) in [("all-ones", UInt64.max), ("64-GiB", 64 << 30)] {
            let field = scratch.control.segment.base + ControlLayout.lastSnapshotSize
            let saved = field.loadUnaligned(as: UInt64.self)
            field.storeBytes(of: size.littleEndian, as: UInt64.self)
            seeds.append(input("hostile-snapshot-size-\(name)-then-writing", start, false, true))
            field.storeBytes(of: saved, as: UInt64.self)
        }
        scratch.control.pendingDumpName = "psm_00000000"
        scratch.control.replacedDumpName = "psm_00000001"
        seeds.append(input("hostile-pending-and-replaced-names-then-writing", start, false, true))
        scratch.control.pendingDumpName = nil
        scratch.control.replacedDumpName = nil
        seeds.append(input("valid-then-writing", cursor, false, true))
        scratch.dump.base.storeBytes(of: 0xFF, toByteOffset: Frame.headerSize, as: UInt8.self)
        seeds.append(input("hostile-dump-checksum-mismatch", start, false, false))
        scratch.dump.base.storeBytes(of: UInt32(ScratchLog.dumpSize).littleEndian, toByteOffset: 1, as: UInt32.self)
        seeds.append(input("hostile-dump-length-past-the-end", start, false, false))
        return seeds
    }

    /// Zeros the scratch segments and initializes the control block as a creator does, with a
    /// fixed creator so that the seeds do not depend on this process; returns the writer's cursor.
    @discardableResult
    private static func freshDictionary() throws -> LogCursor {
        let scratch = ScratchLog.shared
        for segment in [scratch.control.segment, scratch.stream, scratch.dump] { scratch.load([], into: segment) }
        try scratch.control.initialize(
            lockKind: .shared, serializerIdentifier: MessagePackSerializer.identifier, recurse: false,
            staticFullDumpSize: ScratchLog.dumpSize, streamCapacity: ScratchLog.streamSize, creatorPID: 4242, creatorStartTime: 424_242
        )
        scratch.control.publishFullDumpName("fuzz_full")
        return LogCursor(counter: 0, position: 0)
    }
}
