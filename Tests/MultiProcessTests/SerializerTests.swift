import Foundation
import Testing
import UltraDict
import UltraDictJSON
import UltraDictPropertyList
import _UltraDictTestSupport

/// The serializer is recorded when a dictionary is created, and JSON's string keys meet typed keys.
@Suite("Serializers between processes")
struct SerializerTests {
    @Test(arguments: serializerNames) func attachingWithAnotherSerializerThrowsParameterMismatchNamingBoth(creator: String) throws {
        let name = uniqueName()
        let d: UltraDict<Int, Int> = try createDictionary(name, serializer: creator)
        defer { d.unlink() }
        d[1] = 1

        for other in serializerNames where other != creator {
            let result = try ChildProcess("UltraDictTestHelper", ["count", name, "--serializer", other]).finish()
            #expect(result.status == 2)
            #expect(result.errors.contains("parameterMismatch"), "\(result.errors)")
            #expect(result.errors.contains("the \(creator) serializer") && result.errors.contains("asked for \(other)"), "\(result.errors)")
        }
        #expect(try runHelper("count", name, "--serializer", creator) == "count 1")
    }

    @Test func attachingInProcessWithAnotherSerializerThrowsToo() throws {
        let name = uniqueName()
        let d = try UltraDict<String, Int>(name: name, create: true, serializer: PropertyListSerializer())
        defer { d.unlink() }
        let error = #expect(throws: UltraDictError.self) {
            try UltraDict<String, Int>(name: name, create: false, serializer: JSONSerializer())
        }
        #expect(error?.code == .parameterMismatch)
        #expect(error?.message.contains("plist") == true && error?.message.contains("json") == true)
    }

    /// Writes `d[i] = "v\(i)"` until at least one full dump has been published.
    private func writeThroughAFullDump(_ d: UltraDict<Int, String>) throws -> Int {
        var count = 0
        while try d.status().fullDumpCounter == 0 {
            d[count] = "v\(count)"
            count += 1
        }
        return count
    }

    @Test func jsonIntKeysSurviveFullDumpsWhenTheSerializerKnowsTheKeyType() throws {
        let name = uniqueName()
        let d = try UltraDict<Int, String>(name: name, create: true, bufferSize: 4096, serializer: JSONSerializer(keyType: Int.self))
        defer { d.unlink() }
        let count = try writeThroughAFullDump(d)

        let reader = try UltraDict<Int, String>(name: name, create: false, serializer: JSONSerializer(keyType: Int.self))
        #expect(reader.count == count)
        #expect(reader[count - 1] == "v\(count - 1)")
        #expect(reader[0] == "v0")
        // Told nothing, a reader finds the dump's string keys and cannot read them as Int.
        let untold = #expect(throws: UltraDictError.self) {
            try UltraDict<Int, String>(name: name, create: false, serializer: JSONSerializer())
        }
        #expect(untold?.code == .typeMismatch)
    }

    @Test func jsonIntKeysOfHeterogeneousDictionariesBecomeStringsAtAFullDumpAsInPython() throws {
        let name = uniqueName()
        let typed = try UltraDict<Int, String>(name: name, create: true, bufferSize: 4096, serializer: JSONSerializer(keyType: Int.self))
        defer { typed.unlink() }
        let count = try writeThroughAFullDump(typed)

        let untyped = try UltraDict<UltraValue, UltraValue>(name: name, create: false, serializer: JSONSerializer())
        #expect(untyped.count == count)
        #expect(untyped["0"] == "v0")
        #expect(!untyped.contains(0))
        typed[-1] = "after the dump"  // an update record keeps the key's type
        #expect(untyped[-1] == "after the dump")
    }

    @Test func jsonStringKeysThatLookLikeIntegersStayStrings() throws {
        let name = uniqueName()
        let d = try UltraDict<String, Int>(name: name, create: true, bufferSize: 4096, serializer: JSONSerializer(keyType: String.self))
        defer { d.unlink() }
        var count = 0
        while try d.status().fullDumpCounter == 0 {
            d[String(count)] = count
            count += 1
        }
        let reader = try UltraDict<String, Int>(name: name, create: false, serializer: JSONSerializer(keyType: String.self))
        #expect(reader.count == count)
        #expect(reader["0"] == 0)
    }
}
