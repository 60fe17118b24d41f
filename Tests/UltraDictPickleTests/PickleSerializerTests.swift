import Testing
import UltraDictCore
import UltraDictPickle
import UltraDictTesting

/// Bytes from hex.
private func hex(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        bytes.append(UInt8(text[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

private let serializer = PickleSerializer()

extension Array {
    /// The elements `count` times over.
    fileprivate func repeated(_ count: Int) -> [Element] { Array([[Element]](repeating: self, count: count).joined()) }
}

private func decode(_ bytes: [UInt8]) throws -> UltraValue {
    try bytes.withUnsafeBytes { try serializer.decode($0) }
}

private func encode(_ value: UltraValue) throws -> [UInt8] {
    var buffer: [UInt8] = []
    try serializer.encode(value, into: &buffer)
    return buffer
}

@Suite("Pickle serializer")
struct PickleSerializerTests {
    @Test func conforms() {
        UltraDictSerializerConformance.check(PickleSerializer())
    }

    /// What `pickle.dumps(value, protocol=4)` wrote for each value in Python 3.11, byte for byte.
    static let pythonPickles: [(UltraValue, String)] = [
        (.null, "80044e2e"), (true, "8004882e"), (false, "8004892e"), (0, "80044b002e"), (255, "80044bff2e"),
        (256, "80049504000000000000004d00012e"), (65536, "80049506000000000000004a000001002e"),
        (-1, "80049506000000000000004affffffff2e"), (.int(1 << 31), "80049508000000000000008a0500000080002e"),
        (.int(-(1 << 31) - 1), "80049508000000000000008a05ffffff7fff2e"),
        (.uint(1 << 63), "8004950c000000000000008a090000000000000080002e"), (.int(.min), "8004950b000000000000008a0800000000000000802e"),
        (.uint(.max), "8004950c000000000000008a09ffffffffffffffff002e"), (1.5, "8004950a00000000000000473ff80000000000002e"),
        ("", "80049504000000000000008c00942e"), ("é", "80049506000000000000008c02c3a9942e"), (.bytes([]), "80049504000000000000004300942e"),
        (.bytes([0x61, 0x62]), "800495060000000000000043026162942e"), ([], "80045d942e"),
        ([1, "x", .null], "8004950c000000000000005d94284b018c0178944e652e"), ([:], "80047d942e"),
        (["a": 1], "8004950a000000000000007d948c0161944b01732e"),
        ([[1, 2]: "x"], "8004950e000000000000007d944b014b0286948c017894732e"),
    ]

    @Test func writesWhatPythonWrites() throws {
        for (value, python) in Self.pythonPickles {
            #expect(try encode(value) == hex(python), "\(value)")
            #expect(try decode(hex(python)) == value, "\(value)")
        }
    }

    @Test func writesRecordsAsPythonUltraDictDoes() throws {
        var set: [UInt8] = [], delete: [UInt8] = []
        try serializer.encodeUpdate(.set("k", 1), into: &set)
        try serializer.encodeUpdate(.delete("k"), into: &delete)
        #expect(set == hex("8004950a00000000000000888c016b944b0187942e"))
        // Python writes (False, 'k', b''); the value of a deletion means nothing, and this one is None.
        #expect(delete == hex("8004950900000000000000898c016b944e87942e"))  // pickle.dumps((False, "k", None))
        let python = hex("8004950b00000000000000898c016b9443009487942e")
        #expect(try python.withUnsafeBytes { try serializer.decodeUpdate($0) } == UltraDictUpdate(isSet: false, key: "k", value: .bytes([])))
    }

    /// One dict pickled by Python 3.11 with each protocol: lists, tuples, sets, frozensets,
    /// bytes and bytearrays (written with globals before protocols 3 to 5 had opcodes for them),
    /// a float, a bool, None, a 9-byte integer and a negative one.
    static let everyProtocol = [
        "286470300a56610a70310a286c70320a49310a6156780a70330a614e6146322e350a614930310a617356620a70340a635f636f646563730a656e636f64650a70350a28565c7530303030ff0a70360a566c6174696e310a70370a7470380a5270390a7356630a7031300a2849310a49320a747031310a7356640a7031320a635f5f6275696c74696e5f5f0a7365740a7031330a28286c7031340a49330a6149340a61747031350a527031360a7356650a7031370a635f5f6275696c74696e5f5f0a6279746561727261790a7031380a2867350a285661620a7031390a67370a747032300a527032310a747032320a527032330a7356660a7032340a635f5f6275696c74696e5f5f0a66726f7a656e7365740a7032350a28286c7032360a49350a61747032370a527032380a7356670a7032390a4c393232333337323033363835343737353830384c0a7356680a7033300a492d370a732e",
        "7d71002858010000006171015d7102284b0158010000007871034e4740040000000000004930310a655801000000627104635f636f646563730a656e636f64650a710528580300000000c3bf710658060000006c6174696e317107747108527109580100000063710a284b014b0274710b580100000064710c635f5f6275696c74696e5f5f0a7365740a710d285d710e284b034b046574710f5271105801000000657111635f5f6275696c74696e5f5f0a6279746561727261790a71122868052858020000006162711368077471145271157471165271175801000000667118635f5f6275696c74696e5f5f0a66726f7a656e7365740a7119285d711a4b056174711b52711c580100000067711d4c393232333337323033363835343737353830384c0a580100000068711e4af9ffffff752e",
        "80027d71002858010000006171015d7102284b0158010000007871034e47400400000000000088655801000000627104635f636f646563730a656e636f64650a7105580300000000c3bf710658060000006c6174696e317107867108527109580100000063710a4b014b0286710b580100000064710c635f5f6275696c74696e5f5f0a7365740a710d5d710e284b034b046585710f5271105801000000657111635f5f6275696c74696e5f5f0a6279746561727261790a7112680558020000006162711368078671145271158571165271175801000000667118635f5f6275696c74696e5f5f0a66726f7a656e7365740a71195d711a4b056185711b52711c580100000067711d8a09000000000000008000580100000068711e4af9ffffff752e",
        "80037d71002858010000006171015d7102284b0158010000007871034e47400400000000000088655801000000627104430200ff710558010000006371064b014b028671075801000000647108636275696c74696e730a7365740a71095d710a284b034b046585710b52710c580100000065710d636275696c74696e730a6279746561727261790a710e43026162710f8571105271115801000000667112636275696c74696e730a66726f7a656e7365740a71135d71144b056185711552711658010000006771178a0900000000000000800058010000006871184af9ffffff752e",
        "80049584000000000000007d94288c0161945d94284b018c0178944e47400400000000000088658c016294430200ff948c0163944b014b0286948c0164948f94284b034b04908c0165948c086275696c74696e73948c096279746561727261799493944302616294859452948c016694284b0591948c0167948a090000000000000080008c0168944af9ffffff752e",
        "8005956e000000000000007d94288c0161945d94284b018c0178944e47400400000000000088658c016294430200ff948c0163944b014b0286948c0164948f94284b034b04908c0165949602000000000000006162948c016694284b0591948c0167948a090000000000000080008c0168944af9ffffff752e",
    ]

    @Test(arguments: 0..<6)
    func readsEveryProtocol(protocolVersion: Int) throws {
        let value = try decode(hex(Self.everyProtocol[protocolVersion]))
        let expected: UltraValue = [
            "a": [1, "x", .null, 2.5, true], "b": .bytes([0, 0xFF]), "c": [1, 2], "d": [3, 4], "e": .bytes([0x61, 0x62]),
            "f": [5], "g": .uint(1 << 63), "h": -7,
        ]
        guard case .dictionary(var map) = value, case .array(let set)? = map["d"] else { Issue.record("\(value)"); return }
        map["d"] = .array(set.sorted { $0.description < $1.description })  // A set's order is Python's.
        #expect(UltraValue.dictionary(map) == expected)
    }

    /// Python UltraDict 0.0.6's pickles of nested dictionaries (`recurse=True`), with the random
    /// names replaced by ones of the same length: a record `(True, 'k', a)`, a record whose value
    /// is the list `[a, b]` (the second refers back to the globals, keywords and register through
    /// the memo), and the full dump `{'a': a, 'b': b}`.
    static let pythonNestedRecord = hex("800495c600000000000000888c016b948c0966756e63746f6f6c73948c077061727469616c9493948c13556c747261446963742e556c74726144696374948c09556c7472614469637494939485945294286806297d94288c046e616d65948c0c70736d5f3030303030303061948c0b6175746f5f756e6c696e6b94898c10726563757273655f7265676973746572946803680685945294286806297d9428680a8c1570736d5f30306330666665655f726567697374657294680c89680d4e754e749462295294754e74946229529487942e")
    static let pythonNestedList = hex("800495f900000000000000888c016b945d94288c0966756e63746f6f6c73948c077061727469616c9493948c13556c747261446963742e556c74726144696374948c09556c7472614469637494939485945294286807297d94288c046e616d65948c0c70736d5f3030303030303061948c0b6175746f5f756e6c696e6b94898c10726563757273655f7265676973746572946804680785945294286807297d9428680b8c1570736d5f30306330666665655f726567697374657294680d89680e4e754e749462295294754e7494622952946804680785945294286807297d9428680b8c0c70736d5f303030303030306294680d89680e6814754e7494622952946587942e")
    static let pythonNestedDump = hex("800495fa000000000000007d94288c0161948c0966756e63746f6f6c73948c077061727469616c9493948c13556c747261446963742e556c74726144696374948c09556c7472614469637494939485945294286807297d94288c046e616d65948c0c70736d5f3030303030303061948c0b6175746f5f756e6c696e6b94898c10726563757273655f7265676973746572946804680785945294286807297d9428680b8c1570736d5f30306330666665655f726567697374657294680d89680e4e754e749462295294754e7494622952948c0162946804680785945294286807297d9428680b8c0c70736d5f303030303030306294680d89680e6814754e749462295294752e")
    static let nestedA = NestedDictionaryReference(name: "psm_0000000a", register: "psm_00c0ffee_register").value
    static let nestedB = NestedDictionaryReference(name: "psm_0000000b", register: "psm_00c0ffee_register").value

    @Test func readsPythonUltraDictsNestedDictionariesAsReferences() throws {
        #expect(try Self.pythonNestedRecord.withUnsafeBytes { try serializer.decodeUpdate($0) } == .set("k", Self.nestedA))
        #expect(try Self.pythonNestedList.withUnsafeBytes { try serializer.decodeUpdate($0) } == .set("k", [Self.nestedA, Self.nestedB]))
        var dump: [UltraValue: UltraValue] = [:]
        try Self.pythonNestedDump.withUnsafeBytes { bytes in try serializer.decodeSnapshot(bytes) { dump[$0] = $1 } }
        #expect(dump == ["a": Self.nestedA, "b": Self.nestedB])
    }

    /// What Swift writes for a nested dictionary is what Python writes, byte for byte, so that
    /// Python opens it as a live `UltraDict` of the same tree.
    @Test func writesNestedDictionariesAsPythonUltraDictDoes() throws {
        var record: [UInt8] = []
        try serializer.encodeUpdate(.set("k", Self.nestedA), into: &record)
        #expect(record == Self.pythonNestedRecord)
        var list: [UInt8] = []
        try serializer.encodeUpdate(.set("k", [Self.nestedA, Self.nestedB]), into: &list)
        #expect(list == Self.pythonNestedList)
        // A map of `$ultradict` alone is a plain dict: Python would make a register of its own for it.
        let bare = NestedDictionaryReference(name: "psm_0000000c", register: nil).value
        #expect(try encode(bare) == encode(.dictionary([.string("$ultradict"): .string("psm_0000000c")])) && decode(encode(bare)) == bare)
    }

    /// Python's pickles of `(True, 'k', ['x' * N, a])` for three N that put a frame's end at the
    /// start of the pattern, after a global's string and after a keyword: what comes before and
    /// after the run of `x`.
    static let pythonFramedNested: [(Int, String, String)] = [
        (65530, "8004950800010000000000888c016b945d942858faff0000", "9495c2000000000000008c0966756e63746f6f6c73948c077061727469616c9493948c13556c747261446963742e556c74726144696374948c09556c7472614469637494939485945294286808297d94288c046e616d65948c0c70736d5f3030303030303061948c0b6175746f5f756e6c696e6b94898c10726563757273655f7265676973746572946805680885945294286808297d9428680c8c1570736d5f30306330666665655f726567697374657294680e89680f4e754e749462295294754e7494622952946587942e"),
        (65480, "8004950400010000000000888c016b945d942858c8ff0000", "948c0966756e63746f6f6c73948c077061727469616c9493948c13556c747261446963742e556c74726144696374949594000000000000008c09556c7472614469637494939485945294286808297d94288c046e616d65948c0c70736d5f3030303030303061948c0b6175746f5f756e6c696e6b94898c10726563757273655f7265676973746572946805680885945294286808297d9428680c8c1570736d5f30306330666665655f726567697374657294680e89680f4e754e749462295294754e7494622952946587942e"),
        (65400, "8004950500010000000000888c016b945d94285878ff0000", "948c0966756e63746f6f6c73948c077061727469616c9493948c13556c747261446963742e556c74726144696374948c09556c7472614469637494939485945294286808297d94288c046e616d65948c0c70736d5f3030303030303061948c0b6175746f5f756e6c696e6b94898c10726563757273655f7265676973746572949543000000000000006805680885945294286808297d9428680c8c1570736d5f30306330666665655f726567697374657294680e89680f4e754e749462295294754e7494622952946587942e"),
    ]

    @Test func framesEndInsideThePatternWherePythonsDo() throws {
        for (length, before, after) in Self.pythonFramedNested {
            let text = String(repeating: "x", count: length)
            var record: [UInt8] = []
            try serializer.encodeUpdate(.set("k", [.string(text), Self.nestedA]), into: &record)
            #expect(record == hex(before) + Array(text.utf8) + hex(after), "a string of \(length)")
        }
    }

    /// A protocol-0 pickle of Python's pattern, `functools.partial(UltraDict.UltraDict)` built
    /// with the state `(function, arguments, {keywords}, namespace)` then `call`ed, in which `^`
    /// stands for `TUPLE1` and `~` for `NEWFALSE`; by default as Python writes it, with the
    /// register `register`.
    static func pattern(
        function: String = "cUltraDict\nUltraDict\n", arguments: String = ")", keywords: String? = nil,
        register: String = "N", namespace: String = "N", call: String = ")R"
    ) -> [UInt8] {
        let keywords = keywords ?? "Vname\nVpsm_0000000a\nVauto_unlink\n~Vrecurse_register\n\(register)"
        let text = "cfunctools\npartial\ncUltraDict\nUltraDict\n^R(\(function)\(arguments)}(\(keywords)u\(namespace)tb\(call)."
        return text.utf8.map { $0 == UInt8(ascii: "^") ? 0x85 : $0 == UInt8(ascii: "~") ? 0x89 : $0 }
    }

    @Test func readsThePatternWithARegisterNamedOrNone() throws {
        #expect(try decode(Self.pattern()) == NestedDictionaryReference(name: "psm_0000000a", register: nil).value)
        #expect(try decode(Self.pattern(register: "Vr_register\n")) == NestedDictionaryReference(name: "psm_0000000a", register: "r_register").value)
    }

    /// Python's pattern is read only as Python writes it: built once with Python's state, then
    /// called once with no arguments, with a register that is a dictionary, a name or None.
    @Test(arguments: [
        ("never called", pattern(call: ""), "never called"),
        ("called twice", pattern(call: ")R)R"), "other than one call"),
        ("called with an argument", pattern(call: "(NtR"), "other than one call"),
        ("a register that is a number", pattern(register: "I5\n"), "recurse_register is not"),
        ("another function in the state", pattern(function: "I3\n"), "another state"),
        ("arguments for UltraDict", pattern(arguments: "I7\n^"), "another state"),
        ("a namespace", pattern(namespace: "}"), "another state"),
        ("another keyword", pattern(keywords: "Vname\nVpsm_0000000a\nVauto_unlink\n~Vrecurse_register\nNVcreate\n~"), "other keywords"),
        ("a keyword missing", pattern(keywords: "Vname\nVpsm_0000000a\nVrecurse_register\nN"), "other keywords"),
        ("a name given twice", pattern(keywords: "Vname\nVpsm_0000000a\nVauto_unlink\n~Vname\nVpsm_0000000b\nVrecurse_register\nN"), "other keywords"),
        ("a name that is not a string", pattern(keywords: "Vname\nI1\nVauto_unlink\n~Vrecurse_register\nN"), "other keywords"),
    ])
    func refusesNestedDictionaryPatternsPythonDoesNotWrite(_ name: String, _ bytes: [UInt8], _ message: String) throws {
        let error = #expect(throws: UltraDictError.self, "\(name)") { try decode(bytes) }
        #expect(error?.code == .serialization && error?.message.contains(message) == true, "\(name): \(String(describing: error))")
    }

    /// Pickles that would run code, reach outside the pickle, or lie about their lengths: each
    /// throws a serialization error that says why, and nothing runs.
    static let hostile: [(String, [UInt8], String)] = [
        ("os.system", hex("80049514000000000000008c05706f736978948c0673797374656d9493942e"), "posix.system is refused"),
        ("a GLOBAL of os.system", Array("cos\nsystem\n(S'echo hi'\ntR.".utf8), "os.system is refused"),
        ("INST", Array("(ios\nsystem\nS'echo'\no.".utf8), "INST"),
        ("a persistent id", Array("Pfile\n.".utf8), "PERSID"),
        ("NEWOBJ", [0x80, 0x02, 0x29, 0x29, 0x81, 0x2E], "NEWOBJ"),
        ("an extension code", [0x80, 0x02, 0x82, 0x01, 0x2E], "EXT1"),
        ("REDUCE of partial with another function", Array("cfunctools\npartial\ncbuiltins\nset\n".utf8) + [0x85, 0x52, 0x2E], "REDUCE of functools.partial"),
        ("bytes after the STOP", [0x80, 0x04, 0x4E, 0x2E, 0x00], "after the STOP"),
        ("BUILD of a list", [0x80, 0x02, 0x5D, 0x7D, 0x62, 0x2E], "BUILD"),
        ("a truncated frame", [0x80, 0x04, 0x95, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0x4E, 0x2E], "runs past"),
        ("a truncated string", [0x80, 0x04, 0x8C, 0x10, 0x61, 0x2E], "runs past"),
        ("a memo reference out of range", [0x80, 0x04, 0x68, 0x07, 0x2E], "memo entry 7"),
        ("a huge memo reference", [0x80, 0x04, 0x6A, 0xFF, 0xFF, 0xFF, 0xFF, 0x2E], "memo entry"),
        ("no STOP", [0x80, 0x04, 0x4E], "ends before its STOP"),
        ("a 10-byte integer", [0x80, 0x04, 0x8A, 0x0A, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x2E], "outside the range"),
        ("protocol 6", [0x80, 0x06, 0x4E, 0x2E], "protocol 6"),
        ("a lone surrogate", [0x80, 0x04, 0x8C, 0x03, 0xED, 0xA0, 0x80, 0x2E], "not valid UTF-8"),
        ("a list that holds itself", [0x80, 0x04, 0x5D, 0x94, 0x68, 0x00, 0x61, 0x2E], "holds itself"),
    ]

    @Test(arguments: hostile)
    func refusesHostilePickles(what: String, bytes: [UInt8], says: String) {
        #expect("\(what)", performing: { try decode(bytes) }, throws: { error in
            guard let error = error as? UltraDictError, error.code == .serialization else { return false }
            return error.message.contains(says)
        })
    }

    /// A list of 1,000 `None`s, a list that refers to it 1,000 times, and one that refers to that
    /// 1,000 times: 5 KB of pickle that would expand to a billion values. It is refused.
    @Test func sharedReferencesCannotExpandWithoutBound() throws {
        var bytes: [UInt8] = [0x80, 0x04, 0x5D, 0x94, 0x28] + [UInt8](repeating: 0x4E, count: 1000) + [0x65]
        for memo: UInt8 in [0, 1] {
            bytes += [0x5D, 0x94, 0x28] + Array([[0x68, memo]].joined()) + [UInt8]([0x68, memo]).repeated(999) + [0x65]
        }
        bytes.append(0x2E)
        #expect("expand") { try decode(bytes) } throws: { ($0 as? UltraDictError)?.message.contains("expand") == true }
        // Shared the way Python shares them (a list referred to twice), containers decode.
        let shared: [UInt8] = [0x80, 0x04, 0x5D, 0x94, 0x4B, 0x01, 0x61, 0x68, 0x00, 0x86, 0x2E]
        #expect(try decode(shared) == [[1], [1]])
    }

    @Test func aRecursionOneHundredThousandDeepThrows() {
        let deep = [0x80, 0x04] + [UInt8](repeating: 0x5D, count: 100_000) + [UInt8](repeating: 0x61, count: 99_999) + [0x2E]
        #expect(throws: UltraDictError.self) { try decode(deep) }
    }
}
