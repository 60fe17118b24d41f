import Testing
import UltraDictCore

// MARK: - Fixtures

private enum Color: String, Codable { case red, green }

private struct Address: Codable, Equatable {
    var street: String
    var zip: Int
}

private struct Person: Codable, Equatable {
    var name: String
    var age: UInt8
    var nickname: String?
    var email: String?
    var tags: [String]
    var address: Address
    var previous: [Address]
    var color: Color
    var scores: [String: Int]
    var labels: [Int: String]
    var ratio: Float
    var readings: [Int16?]

    static let sample = Person(
        name: "Ada", age: 36, nickname: "Countess", email: nil, tags: ["math", "engines"],
        address: Address(street: "St James's Square", zip: 12), previous: [Address(street: "Ockham", zip: 7)],
        color: .green, scores: ["a": 1, "b": -2], labels: [1: "one", 2: "two"], ratio: 0.5, readings: [3, nil, -4]
    )
}

private struct Extremes: Codable, Equatable {
    var int8 = Int8.min, int16 = Int16.min, int32 = Int32.min, int64 = Int64.min, int = Int.max
    var uint8 = UInt8.max, uint16 = UInt16.max, uint32 = UInt32.max, uint = UInt.max
    var uint64 = UInt64.max, uint64Small = UInt64(Int64.max), int64Max = Int64.max
}

private struct Empty: Codable, Equatable {}

private struct Containers: Codable, Equatable {
    var list: [Float] = []
    var map: [String: Float] = [:]
    var empty = Empty()
}

/// Writes through nested keyed and unkeyed containers and both kinds of super encoder.
private struct Manual: Codable, Equatable {
    var x: Int8
    var pair: [UInt16]
    var inner: Int32

    enum Keys: String, CodingKey { case x, point, pair, parent }
    enum PointKeys: String, CodingKey { case x }

    init(x: Int8, pair: [UInt16], inner: Int32) {
        (self.x, self.pair, self.inner) = (x, pair, inner)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        var point = container.nestedContainer(keyedBy: PointKeys.self, forKey: .point)
        try point.encode(x, forKey: .x)
        var pairs = container.nestedUnkeyedContainer(forKey: .pair)
        for element in pair { try pairs.encode(element) }
        var parent = container.superEncoder(forKey: .parent).singleValueContainer()
        try parent.encode(inner)
        var base = container.superEncoder().unkeyedContainer()
        try base.encode(true)
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        x = try container.nestedContainer(keyedBy: PointKeys.self, forKey: .point).decode(Int8.self, forKey: .x)
        var pairs = try container.nestedUnkeyedContainer(forKey: .pair)
        pair = []
        while !pairs.isAtEnd { pair.append(try pairs.decode(UInt16.self)) }
        inner = try container.superDecoder(forKey: .parent).singleValueContainer().decode(Int32.self)
        var base = try container.superDecoder().unkeyedContainer()
        guard try base.decode(Bool.self), base.isAtEnd else { throw UltraDictError(.typeMismatch, "bad super") }
    }
}

private struct Tagged: Encodable {
    static let key = CodingUserInfoKey(rawValue: "tag")!

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(encoder.userInfo[Self.key] as? String ?? "none")
    }
}

/// Decodes `value` as `T`, expects a ``UltraDictError/Code/typeMismatch``, and returns its message.
private func mismatchMessage<T: Decodable>(
    _ type: T.Type, from value: UltraValue, sourceLocation: SourceLocation = #_sourceLocation
) -> String? {
    let error = #expect(throws: UltraDictError.self, sourceLocation: sourceLocation) {
        try UltraValueBridge.decode(type, from: value)
    }
    #expect(error?.code == .typeMismatch, sourceLocation: sourceLocation)
    return error?.message
}

// MARK: - Round trips

@Suite struct CodableBridgeTests {
    @Test func nestedStructRoundTrips() throws {
        let encoded = try UltraValueBridge.encode(Person.sample)
        #expect(try UltraValueBridge.decode(Person.self, from: encoded) == Person.sample)

        let fields = try #require({ if case .dictionary(let map) = encoded { map } else { nil } }())
        #expect(fields["name"] == "Ada")
        #expect(fields["age"] == 36)
        #expect(fields["email"] == nil, "nil optionals are left out")
        #expect(fields["color"] == "green")
        #expect(fields["ratio"] == 0.5)
        #expect(fields["address"] == ["street": "St James's Square", "zip": 12])
        #expect(fields["scores"] == ["a": 1, "b": -2])
        #expect(fields["labels"] == [1: "one", 2: "two"], "an Int-keyed dictionary keeps .int keys")
        #expect(fields["readings"] == [3, nil, -4])
    }

    @Test func missingOptionalDecodesAsNil() throws {
        var person = Person.sample
        person.nickname = nil
        let encoded = try UltraValueBridge.encode(person)
        #expect(try UltraValueBridge.decode(Person.self, from: encoded).nickname == nil)
    }

    @Test func integerExtremesRoundTrip() throws {
        let encoded = try UltraValueBridge.encode(Extremes())
        #expect(try UltraValueBridge.decode(Extremes.self, from: encoded) == Extremes())

        let fields = try #require({ if case .dictionary(let map) = encoded { map } else { nil } }())
        #expect(fields["int64"] == .int(.min))
        #expect(fields["uint"] == .uint(UInt64(UInt.max)))
        #expect(fields["uint64"] == .uint(.max))
        #expect(fields["uint64Small"] == .int(.max), "unsigned values that fit Int64 are .int")
        #expect(try UltraValueBridge.encode(UInt64.max) == .uint(.max))
        #expect(try UltraValueBridge.decode(UInt64.self, from: .uint(.max)) == .max)
    }

    @Test func floatRoundTrips() throws {
        for value: Float in [0, -1.5, .pi, .greatestFiniteMagnitude, -.infinity, .leastNonzeroMagnitude] {
            let encoded = try UltraValueBridge.encode(value)
            #expect(encoded == .double(Double(value)))
            #expect(try UltraValueBridge.decode(Float.self, from: encoded) == value)
        }
        #expect(try UltraValueBridge.decode(Float.self, from: .int(3)) == 3)
        #expect(try UltraValueBridge.decode(Float.self, from: .double(.nan)).isNaN)
        #expect(mismatchMessage(Float.self, from: .double(1e300)) == "at top level: expected Float, found double 1e+300")
    }

    @Test func emptyContainersRoundTrip() throws {
        let encoded = try UltraValueBridge.encode(Containers())
        #expect(encoded == ["list": [], "map": [:], "empty": [:]])
        #expect(try UltraValueBridge.decode(Containers.self, from: encoded) == Containers())
        #expect(try UltraValueBridge.encode([Float]()) == [])
        #expect(try UltraValueBridge.encode([String: Float]()) == [:])
    }

    @Test func fastPathShapes() throws {
        #expect(try UltraValueBridge.encode([1: "a"]) == .dictionary([.int(1): .string("a")]))
        #expect(try UltraValueBridge.encode(["a": 1]) == .dictionary([.string("a"): .int(1)]))
        #expect(try UltraValueBridge.encode([1, 2]) == .array([.int(1), .int(2)]))
        #expect(try UltraValueBridge.encode(7) == .int(7))
        #expect(try UltraValueBridge.encode("x") == .string("x"))
        #expect(try UltraValueBridge.encode(2.5) == .double(2.5))
        #expect(try UltraValueBridge.encode(true) == .bool(true))
        #expect(try UltraValueBridge.encode(Int?.none) == .null)
        #expect(try UltraValueEncoder().encode([1: "a"]) == [1: "a"], "the encoder takes the fast path too")
        #expect(try UltraValueDecoder().decode([Int: String].self, from: [1: "a"]) == [1: "a"])
    }

    @Test func codableDictionaryKeysAcceptStringsAndIntegers() throws {
        #expect(try UltraValueBridge.encode([1: Float(2)]) == ["1": 2.0], "no fast path: keys go through CodingKey")
        #expect(try UltraValueBridge.decode([Int: Float].self, from: ["1": 2.0]) == [1: 2])
        #expect(try UltraValueBridge.decode([Int: Float].self, from: [1: 2.0]) == [1: 2])
        #expect(try UltraValueBridge.decode([String: Float].self, from: [7: 1.0]) == ["7": 1])
        #expect(try UltraValueBridge.decode([Int: Int8].self, from: [-3: 1]) == [-3: 1])
    }

    @Test func nestedContainersAndSuperEncoders() throws {
        let manual = Manual(x: -8, pair: [1, 65535], inner: 42)
        let encoded = try UltraValueBridge.encode(manual)
        #expect(encoded == ["point": ["x": -8], "pair": [1, 65535], "parent": 42, "super": [true]])
        #expect(try UltraValueBridge.decode(Manual.self, from: encoded) == manual)
    }

    @Test func userInfoReachesEncodeTo() throws {
        #expect(try UltraValueEncoder(userInfo: [Tagged.key: "hello"]).encode(Tagged()) == "hello")
        #expect(try UltraValueEncoder().encode(Tagged()) == "none")
    }

    @Test func unrepresentableIntegerThrowsSerialization() throws {
        guard #available(macOS 15, *) else { return }
        let error = #expect(throws: UltraDictError.self) { try UltraValueBridge.encode([Int128.max]) }
        #expect(error?.code == .serialization)
    }

    // MARK: - Errors

    @Test func wrongTypeNamesTheCodingPath() throws {
        #expect(mismatchMessage(Address.self, from: ["street": "x", "zip": "x"]) == #"at zip: expected Int, found string "x""#)

        var person = try UltraValueBridge.encode(Person.sample)
        guard case .dictionary(var fields) = person else { Issue.record("not a dictionary"); return }
        fields["address"] = ["street": "x", "zip": "x"]
        person = .dictionary(fields)
        #expect(mismatchMessage(Person.self, from: person) == #"at address.zip: expected Int, found string "x""#)

        #expect(mismatchMessage(Address.self, from: [1, 2]) == "at top level: expected dictionary, found array [1, 2]")
        #expect(mismatchMessage([Address].self, from: [["street": 1, "zip": 2]])?.hasPrefix("at [0].street: expected") == true)
        #expect(mismatchMessage([Int8].self, from: [1, "2"])?.hasPrefix("at [1]: expected") == true)
        #expect(mismatchMessage(Bool.self, from: 1) != nil)
        #expect(mismatchMessage(Color.self, from: "purple")?.hasPrefix("at top level: ") == true, "DecodingError is mapped")
    }

    @Test func missingKeyNamesTheKey() {
        #expect(mismatchMessage(Address.self, from: ["street": "x"]) == "at top level: missing key 'zip'")
        #expect(mismatchMessage([String: Address].self, from: ["home": ["street": "x"]]) == "at home: missing key 'zip'")
    }

    @Test func integerOverflowThrows() {
        #expect(mismatchMessage(UInt8.self, from: .int(300)) == "at top level: expected UInt8, found int 300")
        #expect(mismatchMessage(Int8.self, from: .int(-129)) != nil)
        #expect(mismatchMessage(UInt32.self, from: .int(-1)) != nil)
        #expect(mismatchMessage(Int64.self, from: .uint(.max)) != nil)
        #expect(mismatchMessage([UInt16].self, from: [1, 70000]) == "at [1]: expected UInt16, found int 70000")
    }

    @Test func arrayTooShortThrows() {
        #expect(mismatchMessage(Manual.self, from: ["point": ["x": 1], "pair": [], "parent": 1, "super": []]) != nil)
    }
}
