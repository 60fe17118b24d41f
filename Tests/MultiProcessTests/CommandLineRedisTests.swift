import Foundation
import Testing
import UltraDict
import UltraDictRedis
import _UltraDictSerializerRegistry
import _UltraDictTestSupport

/// The `ultradict` command with `--redis URL`, on a Redis server of each test's own: the
/// dictionaries are made by the test (with `UltraDict`), the tool reads, changes, watches and
/// removes them.
@Suite("Command line: Redis")
struct CommandLineRedisTests {
    /// The keys of the dictionary `name` (`Docs/FORMAT.md`, "Redis").
    static func keys(of name: String) -> [String] {
        ["meta", "log", "dump", "lock", "fence"].map { "{\(name)}:\($0)" }
    }

    // MARK: list and status

    @Test(arguments: serializerNames)
    func listShowsTheDictionariesOfItsServerOnly(serializer: String) throws {
        let fixture = try RedisFixture()
        let other = try RedisFixture()
        let (name, elsewhere) = (uniqueName(), uniqueName("elsewhere"))
        let d: UltraDict<String, Int> = try fixture.create(name, serializer: serializer)
        defer { d.unlink() }
        let e: UltraDict<String, Int> = try other.create(elsewhere, serializer: serializer)
        defer { e.unlink() }
        try d.updateValue(1, forKey: "a")
        try d.updateValue(2, forKey: "b")
        // Keys that match the pattern but are no dictionary's settings are left out.
        let client = RedisClient(url: try RedisURL(fixture.server.url))
        _ = try client.command("SET", "x}:meta", "1")
        _ = try client.command("SET", "{a/b}:meta", "1")

        let entries = try #require(try fixture.json("list") as? [[String: Any]])
        #expect(entries.map { $0["name"] as? String } == [name], "\(entries)")
        let entry = try #require(entries.first)
        #expect(entry["serializer"] as? String == serializer)
        #expect(entry["lockKind"] as? String == "shared")
        #expect(entry["recurseFlag"] as? Bool == false)
        #expect(entry["logLength"] as? Int == 2)
        #expect(entry["lockHeld"] as? Bool == false)
        #expect((entry["nested"] as? [Any])?.isEmpty == true)
        #expect(entry["root"] is NSNull)
        let others = try #require(try other.json("list") as? [[String: Any]])
        #expect(others.map { $0["name"] as? String } == [elsewhere])
    }

    @Test func statusShowsWhatTheServerHolds() throws {
        let fixture = try RedisFixture()
        let name = uniqueName()
        let d: UltraDict<String, Int> = try fixture.create(name)
        defer { d.unlink() }
        try d.updateValue(1, forKey: "a")
        try d.removeAll()  // a full dump, under the lock
        try d.updateValue(2, forKey: "b")

        let status = try #require(try fixture.json("status", name) as? [String: Any])
        #expect(status["name"] as? String == name)
        #expect(status["serializer"] as? String == "msgpack")
        #expect(status["layoutVersion"] as? Int == 1)
        #expect(status["logLength"] as? Int == 2, "the dump's entry and the record after it")
        let dumpID = try #require(status["fullDumpEntryID"] as? String)
        #expect(status["firstEntryID"] as? String == dumpID, "the log is trimmed below the dump")
        #expect((status["lastEntryID"] as? String).map { $0 != dumpID } == true)
        #expect((status["fullDumpSize"] as? Int ?? 0) > 0)
        #expect(status["lockHeld"] as? Bool == false)
        #expect(status["leaseRemainingMs"] is NSNull)
        #expect(status["fence"] as? Int == 1, "removeAll took the lock once")
        let keys = try #require(status["keys"] as? [[String: String]]).map { "\($0["role"]!) \($0["name"]!) \($0["type"]!)" }
        #expect(keys == ["meta {\(name)}:meta hash", "log {\(name)}:log stream", "dump {\(name)}:dump hash", "fence {\(name)}:fence string"])
        #expect((status["problems"] as? [Any])?.isEmpty == true)

        try d.withLock(timeout: .seconds(5)) { _ in
            let held = try #require(try fixture.json("status", name) as? [String: Any])
            #expect(held["lockHeld"] as? Bool == true)
            #expect((held["leaseRemainingMs"] as? Int).map { 0 < $0 && $0 <= 10_000 } == true, "\(held)")
            #expect(held["fence"] as? Int == 2)
        }
        #expect(try fixture.ultradict("status", uniqueName("missing")).status == 1)
    }

    @Test func keysOfAnotherShapeAreProblemsNotCrashes() throws {
        let fixture = try RedisFixture()
        let name = uniqueName()
        let client = RedisClient(url: try RedisURL(fixture.server.url))
        _ = try client.command("HSET", "{\(name)}:meta", "serializer", String(repeating: "z", count: 100), "recurse", "7")
        _ = try client.command("RPUSH", "{\(name)}:log", "1")
        _ = try client.command("HSET", "{\(name)}:dump", "id", "not-an-id")
        _ = try client.command("SET", "{\(name)}:lock", "token")
        _ = try client.command("SET", "{\(name)}:fence", "-5")
        defer { _ = try? client.command("DEL", "{\(name)}:meta", "{\(name)}:log", "{\(name)}:dump", "{\(name)}:lock", "{\(name)}:fence") }

        let status = try #require(try fixture.json("status", name) as? [String: Any])
        #expect(status["serializer"] is NSNull && status["recurseFlag"] is NSNull && status["logLength"] is NSNull)
        #expect(status["fullDumpEntryID"] is NSNull && status["fence"] is NSNull)
        #expect(status["lockHeld"] as? Bool == true, "a lock key without expiry is held")
        let problems = try #require(status["problems"] as? [String])
        #expect(problems.count == 8, "one each for meta, dump, lock, fence; four for the log: \(problems)")
        #expect(problems.contains("{\(name)}:log is a list, not a stream"))
        let list = try #require(try fixture.json("list") as? [[String: Any]])
        #expect(list.map { $0["name"] as? String } == [name])
        let get = try fixture.ultradict("get", name, "a")
        #expect(get.status == 2)
        #expect(get.errors.hasPrefix("error: '\(name)' on Redis \(try RedisURL(fixture.server.url)) has no serializer that can be read: "), "\(get.errors)")
    }

    // MARK: entries

    @Test(arguments: serializerNames)
    func getSetDeleteAndDumpRoundTrip(serializer: String) throws {
        let fixture = try RedisFixture()
        let name = uniqueName()
        let d: UltraDict<UltraValue, UltraValue> = try fixture.create(name, serializer: serializer)
        defer { d.unlink() }
        try d.updateValue(1, forKey: "a")

        #expect(try fixture.ultradict("get", name, "a").lastLine == "1")
        #expect(try fixture.ultradict("set", name, "b", #"{"c":[1,"x"]}"#).status == 0)
        #expect(try fixture.ultradict("set", name, "n", "--", "-3").status == 0)
        #expect(try d.value(forKey: "b") == .dictionary(["c": .array([1, "x"])]))
        #expect(try d.value(forKey: "n") == -3)
        #expect(try fixture.ultradict("get", name, "b").lastLine == #"{"c":[1,"x"]}"#)
        #expect(try fixture.ultradict("delete", name, "a").status == 0)
        #expect(try d.value(forKey: "a") == nil)
        let missing = try fixture.ultradict("delete", name, "a")
        #expect(missing.status == 1 && missing.errors == "error: no key \"a\" in '\(name)'\n", "\(missing.errors)")
        #expect(try fixture.ultradict("dump", name).lastLine == #"{"b":{"c":[1,"x"]},"n":-3}"#)

        let wrongSerializer = try fixture.ultradict("get", name, "b", "--serializer", serializer == "json" ? "msgpack" : "json")
        #expect(wrongSerializer.status == 2)
        #expect(wrongSerializer.errors.contains("records the serializer \(serializer)"), "\(wrongSerializer.errors)")
        let absent = try fixture.ultradict("get", uniqueName("missing"), "a")
        #expect(absent.status == 1 && absent.errors.hasPrefix("error: no dictionary "), "\(absent.errors)")
    }

    @Test func setCreatesAMissingDictionaryThatStays() throws {
        let fixture = try RedisFixture()
        let name = uniqueName()
        #expect(try fixture.ultradict("set", name, "k", "1").status == 1, "no --create: the dictionary does not exist")
        #expect(try fixture.ultradict("set", name, "k", "1", "--create", "--serializer", "json").status == 0)
        defer { _ = try? UltraDict<String, Int>.unlink(name: name, store: fixture.store) }
        let status = try #require(try fixture.json("status", name) as? [String: Any])
        #expect(status["serializer"] as? String == "json")
        #expect(try fixture.ultradict("get", name, "k").lastLine == "1")
    }

    // MARK: watch

    @Test func watchPrintsChangesAndEndsWhenTheDictionaryIsRemoved() throws {
        let fixture = try RedisFixture()
        let name = uniqueName()
        let d: UltraDict<String, Int> = try fixture.create(name)
        defer { d.close() }
        try d.updateValue(1, forKey: "a")
        let watcher = try fixture.tool(["watch", name, "--initial"])
        let deadline = Watchdog(watcher, seconds: 60)
        defer { deadline.stop() }
        #expect(watcher.readLine() == #"{"event":"set","key":"a","value":1}"#, "--initial prints what is there")

        try d.updateValue(2, forKey: "b")
        #expect(watcher.readLine() == #"{"event":"set","key":"b","value":2}"#)
        try d.removeValue(forKey: "a")
        #expect(watcher.readLine() == #"{"event":"delete","key":"a"}"#)
        try d.removeAll()  // a full dump: the difference is printed
        #expect(watcher.readLine() == #"{"event":"delete","key":"b"}"#)
        try d.updateValue(3, forKey: "c")
        #expect(watcher.readLine() == #"{"event":"set","key":"c","value":3}"#)

        let removed = try fixture.json("unlink", name) as? [String]
        #expect(removed?.first == "{\(name)}:meta")
        let start = ContinuousClock.now
        let result = watcher.finishWithOutput()
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.lines.isEmpty, "\(result.lines)")
        #expect(result.errors == "warning: '\(name)' was unlinked; nothing more can change\n")
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    // MARK: unlink and clean

    @Test func unlinkRemovesEveryKey() throws {
        let fixture = try RedisFixture()
        let name = uniqueName()
        let d: UltraDict<String, Int> = try fixture.create(name)
        defer { d.close() }
        try d.withLock(timeout: .seconds(5)) { d in d["a"] = 1 }  // the fence
        try d.removeAll()  // the dump
        let keys = Self.keys(of: name)
        // The lease kept for another turn (Docs/REDIS.md) is given up within a moment.
        let start = ContinuousClock.now
        while try !fixture.existing(["{\(name)}:lock"]).isEmpty, ContinuousClock.now - start < .seconds(1) { Thread.sleep(forTimeInterval: 0.001) }
        #expect(try fixture.existing(keys) == keys.filter { !$0.hasSuffix(":lock") })
        // Another dictionary of the server stays.
        let other: UltraDict<String, Int> = try fixture.create(uniqueName("other"))
        defer { other.unlink() }
        try other.updateValue(1, forKey: "a")

        let removed = try fixture.json("unlink", name) as? [String]
        #expect(removed == keys.filter { !$0.hasSuffix(":lock") })
        #expect(try fixture.existing(keys).isEmpty)
        #expect(try fixture.existing(Self.keys(of: other.name)).count == 2, "meta and log of the other dictionary")
        let again = try fixture.ultradict("unlink", name)
        #expect(again.status == 1)
        #expect(again.errors == "error: no dictionary '\(name)' on Redis \(try RedisURL(fixture.server.url))\n")
    }

    /// `unlink` of a recursive root removes the whole tree, as `UltraDict.unlink(name:)` does:
    /// the root, its register and every nested dictionary, per serializer; a name with a glob
    /// character finds only its own keys.
    @Test(arguments: serializerNames)
    func unlinkOfARootRemovesItsTree(serializer: String) throws {
        let fixture = try RedisFixture()
        let base = uniqueName("tree")
        let name = base + "*"
        let root: UltraDict<UltraValue, UltraValue> = try fixture.create(name, serializer: serializer, recurse: true)
        defer { root.close() }
        root["nested"] = ["deeper": ["counter": 1]]
        // An unescaped pattern, {NAME*}:*, would match this dictionary's keys too.
        let other: UltraDict<String, Int> = try fixture.create(base + "x")
        defer { other.unlink() }
        try other.updateValue(1, forKey: "a")
        let tree = try fixture.keys().filter { $0.hasPrefix("{\(name)}") }.sorted()
        #expect(tree.filter { $0.hasSuffix(":meta") }.count == 4, "root, register and two nested dictionaries: \(tree)")

        let removed = try fixture.json("unlink", name) as? [String]
        #expect(removed == tree)
        #expect(try fixture.keys().sorted() == Self.keys(of: other.name).filter { $0.hasSuffix(":meta") || $0.hasSuffix(":log") }.sorted())
    }

    /// A write that reached the server after its dictionary was unlinked leaves a log without
    /// settings (Docs/REDIS.md): `list` does not show it, and `unlink` removes it.
    @Test func unlinkRemovesALogLeftWithoutSettings() throws {
        let fixture = try RedisFixture()
        let name = uniqueName()
        let d: UltraDict<String, Int> = try fixture.create(name)
        defer { d.close() }
        #expect(try UltraDict<String, Int>.unlink(name: name, store: fixture.store))
        try d.updateValue(1, forKey: "late")
        #expect(try fixture.keys() == ["{\(name)}:log"])
        #expect((try fixture.json("list") as? [Any])?.isEmpty == true)
        #expect(try fixture.json("unlink", name) as? [String] == ["{\(name)}:log"])
        #expect(try fixture.keys().isEmpty)
    }

    @Test func cleanSaysThereIsNothingToCleanAndTouchesNothing() throws {
        let fixture = try RedisFixture()
        let name = uniqueName()
        let d: UltraDict<String, Int> = try fixture.create(name)
        defer { d.unlink() }
        try d.updateValue(1, forKey: "a")
        let result = try fixture.ultradict("clean")
        #expect(result.status == 0)
        #expect(result.lastLine == "[]")
        #expect(result.errors.hasPrefix("note: nothing to clean on Redis "), "\(result.errors)")
        #expect(try fixture.existing(Self.keys(of: name)).count == 2)
    }

    // MARK: usage

    @Test func redisWithDirectoryIsAUsageError() throws {
        let result = try ChildProcess("ultradict", ["list", "--redis", "redis://127.0.0.1:6379", "--directory", "/tmp"]).finish()
        #expect(result.status == 64)
        #expect(result.errors == "error: --directory and --redis name two different stores: pass one of them\n")
    }

    @Test func aBadURLIsAUsageErrorThatHidesThePassword() throws {
        let result = try ChildProcess("ultradict", ["get", "d", "k", "--redis", "redis://:secret@host:99999"]).finish()
        #expect(result.status == 64)
        #expect(result.errors == "error: --redis: invalid Redis URL 'redis://:***@host:99999': the port '99999' is not a number in 1...65535\n")
    }

    @Test func anUnreachableServerFails() throws {
        let server = try RedisServer()
        let url = server.url
        server.kill()
        let result = try ChildProcess("ultradict", ["list", "--redis", url]).finish()
        #expect(result.status == 2)
        #expect(result.errors.hasPrefix("error: cannot connect to Redis at 127.0.0.1:"), "\(result.errors)")
    }
}

extension RedisFixture {
    /// Runs the tool on this server; returns its exit status, its last line and its standard error.
    func ultradict(_ arguments: String...) throws -> (status: Int32, lastLine: String, errors: String) {
        try tool(arguments).finish()
    }

    /// Runs the tool on this server, expects success, and returns its output parsed as JSON.
    func json(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) throws -> Any {
        let result = try tool(arguments).finish()
        #expect(result.status == 0, "\(arguments): \(result.errors)", sourceLocation: sourceLocation)
        return try parseJSON(result.lastLine)
    }
}
