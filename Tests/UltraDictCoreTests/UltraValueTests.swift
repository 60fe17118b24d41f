import Testing
import UltraDictCore

@Suite struct UltraValueTests {
    @Test func literalsBuildTheMatchingCases() {
        let value: UltraValue = ["a": [1, 2.5, nil, true, "s"], 3: [:]]
        #expect(value == .dictionary([
            .string("a"): .array([.int(1), .double(2.5), .null, .bool(true), .string("s")]),
            .int(3): .dictionary([:]),
        ]))
        let repeated: UltraValue = ["k": 1, "k": 2]
        #expect(repeated == ["k": 2], "a repeated key keeps its last value")
    }

    @Test func unsignedNormalizesToInt() {
        #expect(UltraValue.unsigned(0) == .int(0))
        #expect(UltraValue.unsigned(UInt64(Int64.max)) == .int(.max))
        #expect(UltraValue.unsigned(UInt64(Int64.max) + 1) == .uint(UInt64(Int64.max) + 1))
        #expect(UltraValue.unsigned(.max) == .uint(.max))
    }

    @Test func descriptionIsPythonLike() {
        let value: UltraValue = ["b": true, "a": [1, 2.5, nil, .bytes([1, 255])], "c": .uint(.max)]
        #expect(value.description == #"{"a": [1, 2.5, None, b'\x01\xff'], "b": True, "c": 18446744073709551615}"#)
        #expect(UltraValue.bool(false).description == "False")
        #expect(UltraValue.uint(.max).kindName == "int")
    }

    @Test func updateRecordAcceptsBoolAndIntFlags() throws {
        let set = try UltraDictUpdate(record: [true, "k", 1])
        #expect(set == .set("k", 1))
        let delete = try UltraDictUpdate(record: [0, "k", nil])
        #expect(delete == .delete("k"))
        #expect(try UltraDictUpdate(record: [5, "k", "v"]).isSet)
        #expect(try UltraDictUpdate(record: UltraDictUpdate.set(1, [1]).record) == .set(1, [1]))
    }

    @Test func updateRecordRejectsOtherShapes() {
        for record: UltraValue in [[true, "k"], [true, "k", 1, 2], ["yes", "k", 1], ["k": 1]] {
            let error = #expect(throws: UltraDictError.self) { try UltraDictUpdate(record: record) }
            #expect(error?.code == .serialization)
        }
    }
}
