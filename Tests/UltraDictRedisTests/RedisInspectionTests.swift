import Foundation
import Testing
import UltraDict
import UltraDictRedis
import _UltraDictTestSupport

/// What the `ultradict` tool asks of a server through `RemoteBackend`: the names of its
/// dictionaries, what it holds of one, and removing one.
@Suite("Redis: finding and reading dictionaries")
struct RedisInspectionTests {
    @Test func namesAreTheDictionariesWhoseSettingsKeysHaveTheExactShape() throws {
        let server = try RedisServer()
        let store = try UltraDictStore.redis(server.url)
        let backend = try #require(store.remoteBackend)
        let client = RedisClient(url: try RedisURL(server.url))
        #expect(try backend.names().isEmpty)

        // More keys than one SCAN round trip returns: the cursor is followed to its end.
        let batch = (0..<1500).flatMap { ["{n\($0)}:meta", "1"] }
        _ = try client.command([Array("MSET".utf8)] + batch.map { Array($0.utf8) })
        // Names with braces are refused on Redis (they could share keys), and so are not listed.
        let skipped: [[UInt8]] = [
            Array("{a}b}:meta".utf8), Array("{é {x}}:meta".utf8),
            Array("x}:meta".utf8), Array("{}:meta".utf8), Array("{a/b}:meta".utf8), Array("{a}:metadata".utf8), Array("{a}:log".utf8),
            Array("{\(String(repeating: "x", count: 241))}:meta".utf8), [UInt8(ascii: "{"), 0xFF, 0xFE] + Array("}:meta".utf8),
            Array("{a\u{0}b}:meta".utf8),
        ]
        for key in skipped { _ = try client.command([Array("SET".utf8), key, Array("1".utf8)]) }

        let names = try backend.names()
        #expect(names.count == 1500)
        #expect(names == (0..<1500).map { "n\($0)" }.sorted())
    }

    @Test func factsOfADictionaryAndOfNone() throws {
        let server = try RedisServer()
        let store = try UltraDictStore.redis(server.url)
        let backend = try #require(store.remoteBackend)
        let name = uniqueName()
        #expect(try backend.facts(of: name) == nil)

        let d = try UltraDict<String, Int>(name: name, create: true, configuration: UltraDictConfiguration(store: store))
        defer { d.unlink() }
        var facts = try #require(try backend.facts(of: name))
        #expect(facts.serializer == "msgpack" && facts.recurse == false && facts.layoutVersion == 1)
        #expect(facts.logLength == 0 && facts.firstEntry == nil && facts.lastEntry == nil)
        #expect(facts.fullDumpEntry == nil && facts.fullDumpSize == nil)
        #expect(facts.lockHeld == false && facts.leaseRemaining == nil && facts.fence == 0)
        #expect(facts.parts == [.init(name: "{\(name)}:meta", role: "meta", type: "hash")])
        #expect(facts.problems.isEmpty)

        try d.withLock { d in
            d["a"] = 1
            facts = try #require(try backend.facts(of: name))
            #expect(facts.lockHeld == true && facts.fence == 1)
            #expect(facts.leaseRemaining.map { $0 > .zero && $0 <= .seconds(10) } == true)
        }
        try d.removeAll()
        facts = try #require(try backend.facts(of: name))
        #expect(facts.logLength == 1 && facts.lockHeld == false, "the log is trimmed below the dump's entry")
        #expect(facts.fullDumpEntry != nil && facts.fullDumpEntry == facts.firstEntry && facts.firstEntry == facts.lastEntry)
        #expect((facts.fullDumpSize ?? 0) > 0)
        #expect(facts.parts.map(\.role) == ["meta", "log", "dump", "fence"])
    }

    @Test func removeReturnsTheKeysThatExisted() throws {
        let server = try RedisServer()
        let store = try UltraDictStore.redis(server.url)
        let backend = try #require(store.remoteBackend)
        let name = uniqueName()
        let d = try UltraDict<String, Int>(name: name, create: true, configuration: UltraDictConfiguration(store: store))
        defer { d.close() }
        d["a"] = 1
        #expect(try backend.remove(name: name, onlyIfRecursive: false) == ["{\(name)}:meta", "{\(name)}:log"])
        #expect(try backend.remove(name: name, onlyIfRecursive: false).isEmpty)
        #expect(try backend.facts(of: name) == nil)
        #expect(try UltraDict<String, Int>.unlink(name: name, store: store) == false)
    }
}
