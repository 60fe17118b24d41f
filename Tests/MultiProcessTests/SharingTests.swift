import Foundation
import Testing
import UltraDict
import _UltraDictTestSupport

/// Real processes sharing one dictionary: each test launches the test helper.
@Suite("Multi-process sharing", .serialized)
struct SharingTests {
    @Test(arguments: TestStore.allCases, serializerNames)
    func oneMegabyteValueForcesFullDumpReadWholeByLateAttacher(store: TestStore, serializer: String) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let d: UltraDict<String, String> = try fixture.createDictionary(name, serializer: serializer, bufferSize: 100_000)
        defer { d.unlink(); #expect(fixture.segments(of: name).isEmpty) }

        let big = String(repeating: "0123456789", count: 100_000)
        d["big"] = big
        #expect(try d.status().fullDumpCounter == 1)
        #expect(try fixture.runHelper("string-length", name, "big", "--serializer", serializer) == "length 1000000")
    }

    @Test(arguments: TestStore.allCases, serializerNames)
    func readerThatSleepsThroughFiftyDumpsReadsLatest(store: TestStore, serializer: String) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let d: UltraDict<String, Int> = try fixture.createDictionary(name, serializer: serializer, bufferSize: 64)
        defer { d.unlink(); #expect(fixture.segments(of: name).isEmpty) }
        d["value"] = 0

        let reader = try fixture.helper(["lagging-reader", name, "--serializer", serializer])
        #expect(reader.readLine() == "before 0")
        let dumpsBefore = try d.status().fullDumpCounter
        var value = 0
        while try d.status().fullDumpCounter < dumpsBefore + 50 {
            value += 1
            d["value"] = value
        }
        reader.send("go")
        let result = reader.finish()
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.lastLine == "after \(value) dumps \(try d.status().fullDumpCounter)")
        // Only the current dump segment remains besides the dictionary's own two.
        #expect(fixture.segments(of: "psm_").filter { $0 == (try? d.status().fullDumpName) ?? "" }.count == 1)
    }

    @Test(arguments: TestStore.allCases, serializerNames)
    func fourProcessesIncrementUnderTheSharedLockExactly(store: TestStore, serializer: String) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let d: UltraDict<String, Int> = try fixture.createDictionary(name, serializer: serializer)
        defer { d.unlink(); #expect(fixture.segments(of: name).isEmpty) }

        try fixture.runHelpersConcurrently(Array(repeating: ["increment", name, "counter", "25000", "--serializer", serializer], count: 4))
        #expect(d["counter"] == 100_000)
    }

    @Test(arguments: TestStore.allCases, serializerNames)
    func createTwiceAndAttachToMissingThrow(store: TestStore, serializer: String) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let d: UltraDict<Int, Int> = try fixture.createDictionary(name, serializer: serializer)
        defer { d.unlink(); #expect(fixture.segments(of: name).isEmpty) }

        #expect { try UltraDict<Int, Int>(name: name, create: true, configuration: UltraDictConfiguration(autoUnlink: true, store: fixture.store)) } throws: { error in
            UltraDictError.alreadyExists ~= error
        }
        let missing = uniqueName("missing")
        #expect { try UltraDict<Int, Int>(name: missing, create: false, configuration: UltraDictConfiguration(store: fixture.store)) } throws: { error in
            UltraDictError.cannotAttach ~= error
        }
        #expect(fixture.segments(of: missing).isEmpty, "attaching must never create segments")
    }
}
