import Foundation
import Testing
import UltraDict
import UltraDictRedis
import _UltraDictTestSupport

/// `UltraDict` over a Redis server of the test's own: the same API as in shared memory.
@Suite("Redis dictionary")
struct RedisDictionaryTests {
    @Test func writesAreReadByAnotherHandleAndSurviveThem() throws {
        let server = try RedisServer()
        let store = try UltraDictStore.redis(server.url)
        let name = uniqueName()
        let d = try UltraDict<String, Int>(name: name, create: true, configuration: UltraDictConfiguration(store: store))
        defer { d.unlink() }
        d["a"] = 1
        try d.updateValue(2, forKey: "b")
        #expect(d["a"] == 1 && d["b"] == 2)
        let other = try UltraDict<String, Int>(name: name, create: false, configuration: UltraDictConfiguration(store: store))
        #expect(other.snapshot == ["a": 1, "b": 2])
        other["c"] = 3
        #expect(try other.removeValue(forKey: "a") == 1)
        other.close()
        #expect(d.snapshot == ["b": 2, "c": 3])
    }

    @Test func creatingTwiceOrAttachingNothingThrows() throws {
        let server = try RedisServer()
        let store = try UltraDictStore.redis(server.url)
        let name = uniqueName()
        expectError(.cannotAttach) { try UltraDict<String, Int>(name: name, create: false, configuration: UltraDictConfiguration(store: store)) }
        let d = try UltraDict<String, Int>(name: name, create: true, configuration: UltraDictConfiguration(store: store))
        defer { d.unlink() }
        expectError(.alreadyExists) { try UltraDict<String, Int>(name: name, create: true, configuration: UltraDictConfiguration(store: store)) }
    }

    @Test func lockedIncrementsStayExact() throws {
        let server = try RedisServer()
        let store = try UltraDictStore.redis(server.url)
        let name = uniqueName()
        let d = try UltraDict<String, Int>(name: name, create: true, configuration: UltraDictConfiguration(store: store))
        defer { d.unlink() }
        let threads = (0..<4).map { _ in
            BackgroundCall {
                Result {
                    let same = try UltraDict<String, Int>(name: name, create: false, configuration: UltraDictConfiguration(store: store))
                    defer { same.close() }
                    for _ in 0..<200 { try same.withLock { d in d["n", default: 0] += 1 } }
                }
            }
        }
        for thread in threads { try thread.finish().result.get() }
        #expect(d["n"] == 800)
    }

    @Test func aFullDumpStartsTheLogOverAndOthersLoadIt() throws {
        let server = try RedisServer()
        let store = try UltraDictStore.redis(server.url)
        let name = uniqueName()
        let d = try UltraDict<Int, Int>(name: name, create: true, configuration: UltraDictConfiguration(store: store))
        defer { d.unlink() }
        for i in 0..<100 { d[i] = i }
        try d.dump()
        d[100] = 100
        let other = try UltraDict<Int, Int>(name: name, create: false, configuration: UltraDictConfiguration(store: store))
        defer { other.close() }
        #expect(other.count == 101)
        try d.removeAll()
        d[7] = 7
        #expect(other.snapshot == [7: 7])
    }

    /// SIGKILL the server (AOF, `appendfsync always`) and restart it: reads serve the replica
    /// meanwhile and say why in `lastReadError`, writes throw `connection` within the timeout
    /// and apply nothing; after the restart every acknowledged write is there and the handle
    /// reconnects by itself.
    @Test func aKilledServerLosesNoAcknowledgedWriteAndHandlesReconnect() throws {
        let server = try RedisServer(appendOnly: true)
        let store = try UltraDictStore.redis(server.url, options: RedisOptions(connectTimeout: .milliseconds(200), commandTimeout: .milliseconds(500)))
        let name = uniqueName()
        let d = try UltraDict<String, Int>(name: name, create: true, configuration: UltraDictConfiguration(store: store))
        defer { d.unlink() }
        for i in 0..<100 { try d.updateValue(i, forKey: "k\(i)") }
        server.kill()
        let start = ContinuousClock.now
        expectError(.connection) { try d.updateValue(1, forKey: "lost") }
        #expect(ContinuousClock.now - start < .seconds(1))
        #expect(d["lost"] == nil && d.count == 100)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(d.lastReadError?.code == .connection)
        try server.restart()
        var written = false
        for _ in 0..<100 where !written {
            written = (try? d.updateValue(100, forKey: "after")) != nil
            if !written { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(written, "the handle did not reconnect within 5 seconds")
        let other = try UltraDict<String, Int>(name: name, create: false, configuration: UltraDictConfiguration(store: store))
        defer { other.close() }
        #expect(other.count == 101 && other["k99"] == 99 && other["after"] == 100)
        // The subscriber reconnects within its client's longest backoff (1 s) and a slice.
        let reconnected = ContinuousClock.now
        while d.lastReadError != nil && ContinuousClock.now - reconnected < .seconds(3) { Thread.sleep(forTimeInterval: 0.05) }
        #expect(d.lastReadError == nil)
    }
}
