import Foundation
import Testing
import UltraDict
import UltraDictJSON
import UltraDictPropertyList
import _UltraDictTestSupport

/// The serializer is recorded when a dictionary is created, and JSON's string keys meet typed keys.
@Suite("Serializers between processes")
struct SerializerTests {
    @Test(arguments: TestStore.allCases, serializerNames)
    func attachingWithAnotherSerializerThrowsParameterMismatchNamingBoth(store: TestStore, creator: String) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let d: UltraDict<Int, Int> = try fixture.createDictionary(name, serializer: creator)
        defer { d.unlink() }
        d[1] = 1

        for other in serializerNames where other != creator {
            let result = try fixture.helper(["count", name, "--serializer", other]).finish()
            #expect(result.status == 2)
            #expect(result.errors.contains("parameterMismatch"), "\(result.errors)")
            #expect(result.errors.contains("the \(creator) serializer") && result.errors.contains("asked for \(other)"), "\(result.errors)")
        }
        #expect(try fixture.runHelper("count", name, "--serializer", creator) == "count 1")
    }

    @Test(arguments: TestStore.allCases)
    func attachingInProcessWithAnotherSerializerThrowsToo(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let d = try UltraDict<String, Int>(name: name, create: true, configuration: UltraDictConfiguration(serializer: PropertyListSerializer(), store: fixture.store))
        defer { d.unlink() }
        let error = #expect(throws: UltraDictError.self) {
            try UltraDict<String, Int>(name: name, create: false, configuration: UltraDictConfiguration(serializer: JSONSerializer(), store: fixture.store))
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

    /// A configuration of `fixture`'s store with a 4096-byte stream, so that full dumps come soon.
    private func smallStream(_ serializer: any UltraDictSerializer, in fixture: StoreFixture) -> UltraDictConfiguration {
        UltraDictConfiguration(serializer: serializer, bufferSize: 4096, store: fixture.store)
    }

    @Test(arguments: TestStore.allCases)
    func jsonIntKeysSurviveFullDumpsWhenTheSerializerKnowsTheKeyType(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let d = try UltraDict<Int, String>(name: name, create: true, configuration: smallStream(JSONSerializer(keyType: Int.self), in: fixture))
        defer { d.unlink() }
        let count = try writeThroughAFullDump(d)

        let reader = try UltraDict<Int, String>(name: name, create: false, configuration: smallStream(JSONSerializer(keyType: Int.self), in: fixture))
        #expect(reader.count == count)
        #expect(reader[count - 1] == "v\(count - 1)")
        #expect(reader[0] == "v0")
        // Told nothing, a reader finds the dump's string keys and cannot read them as Int.
        let untold = #expect(throws: UltraDictError.self) {
            try UltraDict<Int, String>(name: name, create: false, configuration: smallStream(JSONSerializer(), in: fixture))
        }
        #expect(untold?.code == .typeMismatch)
    }

    @Test(arguments: TestStore.allCases)
    func jsonIntKeysOfHeterogeneousDictionariesBecomeStringsAtAFullDumpAsInPython(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let typed = try UltraDict<Int, String>(name: name, create: true, configuration: smallStream(JSONSerializer(keyType: Int.self), in: fixture))
        defer { typed.unlink() }
        let count = try writeThroughAFullDump(typed)

        let untyped = try UltraDict<UltraValue, UltraValue>(name: name, create: false, configuration: smallStream(JSONSerializer(), in: fixture))
        #expect(untyped.count == count)
        #expect(untyped["0"] == "v0")
        #expect(!untyped.contains(0))
        typed[-1] = "after the dump"  // an update record keeps the key's type
        #expect(untyped[-1] == "after the dump")
    }

    @Test(arguments: TestStore.allCases)
    func jsonStringKeysThatLookLikeIntegersStayStrings(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let d = try UltraDict<String, Int>(name: name, create: true, configuration: smallStream(JSONSerializer(keyType: String.self), in: fixture))
        defer { d.unlink() }
        var count = 0
        while try d.status().fullDumpCounter == 0 {
            d[String(count)] = count
            count += 1
        }
        let reader = try UltraDict<String, Int>(name: name, create: false, configuration: smallStream(JSONSerializer(keyType: String.self), in: fixture))
        #expect(reader.count == count)
        #expect(reader["0"] == 0)
    }
}
