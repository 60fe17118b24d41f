import Foundation
import Testing
import UltraDict
import UltraDictJSON
import _UltraDictTestSupport

/// The `ultradict` command, run as users run it, against dictionaries that the test helper
/// creates and writes from other processes, in each store (`--directory` for the file store).
@Suite("Command line", .serialized)
struct CommandLineTests {
    // MARK: list and status

    @Test(arguments: TestStore.allCases, serializerNames)
    func listShowsSegmentsSerializerAndLiveCreator(store: TestStore, serializer: String) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let held = try HeldDictionary(uniqueName(), in: fixture, serializer: serializer, entries: ["a", "1"])
        defer { held.release() }

        let result = try fixture.ultradict("list")
        #expect(result.status == 0, "\(result.errors)")
        let entries = try #require(try parseJSON(result.lastLine) as? [[String: Any]])
        let entry = try #require(entries.first { $0["name"] as? String == held.name })
        #expect(entry["implementation"] as? String == "swift")
        #expect(entry["serializer"] as? String == serializer)
        #expect(entry["lockKind"] as? String == "shared")
        #expect(entry["creatorPID"] as? Int == Int(held.pid))
        #expect(entry["creatorAlive"] as? Bool == true)
        #expect((entry["usedBy"] as? [Int])?.contains(Int(held.pid)) == true)
        let sizes = try #require(entry["segments"] as? [[String: Any]]).map { "\($0["role"]!) \($0["name"]!) \($0["size"]!)" }
        #expect(sizes == ["control \(held.name) 1000", "stream \(held.name)_memory \(UltraDict<Int, Int>.defaultBufferSize)"])
    }

    @Test(arguments: TestStore.allCases)
    func statusPrintsEveryControlBlockField(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let held = try HeldDictionary(uniqueName(), in: fixture, entries: ["a", "1", "b", "2"])
        defer { held.release() }

        let result = try fixture.ultradict("status", held.name)
        #expect(result.status == 0, "\(result.errors)")
        let status = try #require(try parseJSON(result.lastLine) as? [String: Any])
        #expect(status["name"] as? String == held.name)
        #expect(status["serializer"] as? String == "msgpack")
        #expect(status["creatorPID"] as? Int == Int(held.pid))
        #expect(status["layoutVersion"] as? Int == 1)
        #expect(status["sharedLockFlag"] as? Bool == true)
        #expect(status["recurseFlag"] as? Bool == false)
        #expect(status["lockHeld"] as? Bool == false)
        #expect(status["lockOwnerPID"] as? Int == 0)
        #expect(status["fullDumpCounter"] as? Int == 0)
        #expect(status["fullDumpName"] is NSNull)
        #expect(status["publishing"] as? Bool == false)
        #expect(status["streamCapacity"] as? Int == UltraDict<Int, Int>.defaultBufferSize)
        #expect((status["streamPosition"] as? Int ?? 0) > 0, "two records were written")
        #expect((status["problems"] as? [Any])?.isEmpty == true)
    }

    @Test(arguments: TestStore.allCases)
    func aDictionaryWithPythonsFieldsOnlyIsListedReadAndCleaned(store: TestStore) throws {
        // Its creator is unknown, so `clean` removes it as soon as nobody uses it (in shared memory).
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let streamPosition = try makePythonStyleDictionary(name, in: fixture)
        defer { _ = try? UltraDict<Int, Int>.unlink(name: name, store: fixture.store) }

        let list = try parseJSON(try fixture.ultradict("list").lastLine) as? [[String: Any]]
        let entry = try #require(list?.first { $0["name"] as? String == name })
        #expect(entry["implementation"] as? String == "python")
        #expect(entry["serializer"] is NSNull)
        #expect(entry["creatorPID"] is NSNull)
        #expect(entry["lockKind"] as? String == "shared")
        let status = try parseJSON(try fixture.ultradict("status", name).lastLine) as? [String: Any]
        #expect(status?["layoutVersion"] is NSNull)
        #expect(status?["sequence"] is NSNull)
        #expect(status?["streamPosition"] as? Int == streamPosition)

        #expect(try fixture.ultradict("get", name, "a", "--serializer", "msgpack").lastLine == "1")
        #expect(try fixture.ultradict("dump", name).lastLine == #"{"a":1}"#, "MessagePack is the default")
        let wrong = try fixture.ultradict("dump", name, "--serializer", "json")
        #expect(wrong.status == 2)
        #expect(wrong.errors.contains("--serializer"), "\(wrong.errors)")

        let cleaned = try fixture.ultradict("clean", "--prefix", name)
        #expect(cleaned.lastLine == fixture.cleaned(#"[{"kind":"dictionary","name":"\#(name)","segments":["\#(name)","\#(name)_memory"]}]"#))
        #expect(fixture.segments(of: name).count == (fixture.cleanRemovesDictionaries ? 0 : 2))
    }

    // MARK: get, set, delete, dump

    @Test(.enabled(if: geteuid() == 0, "chown needs root"), arguments: TestStore.allCases)
    func anotherUsersDictionaryNeedsAllowForeignOwner(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let d: UltraDict<String, Int> = try fixture.createDictionary(name, serializer: "msgpack")
        defer { d.unlink(); #expect(fixture.segments(of: name).isEmpty) }
        d["a"] = 1
        for segment in fixture.segments(of: name) { #expect(chown("\(fixture.path)/\(segment)", 65534, 65534) == 0) }

        let refused = try fixture.ultradict("get", name, "a")
        #expect(refused.status == 2)
        #expect(refused.errors.contains("owned by uid 65534") && refused.errors.contains("--allow-foreign-owner"), "\(refused.errors)")
        #expect(try fixture.ultradict("get", name, "a", "--allow-foreign-owner").lastLine == "1")
        #expect(try fixture.ultradict("status", name).status == 0, "inspecting reads any user's dictionary")
    }

    @Test(arguments: TestStore.allCases, serializerNames)
    func getSetAndDeleteAreSeenByTheCreator(store: TestStore, serializer: String) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let held = try HeldDictionary(uniqueName(), in: fixture, serializer: serializer, entries: ["a", "1", "b", "two", "7", "seven"])
        let name = held.name

        #expect(try fixture.ultradict("get", name, "a").lastLine == "1")
        #expect(try fixture.ultradict("get", name, "b").lastLine == #""two""#)
        #expect(try fixture.ultradict("get", name, "7", "--int-key").lastLine == #""seven""#)
        #expect(try fixture.ultradict("get", name, "7").status == 1, "the key 7 is an integer, not the string \"7\"")

        let value = #"{"list":[1,2.5,null,true],"bytes":{"$bytes":"AQID"},"text":"é\n"}"#
        #expect(try fixture.ultradict("set", name, "c", value).status == 0)
        #expect(try fixture.ultradict("get", name, "c").lastLine == #"{"bytes":{"$bytes":"AQID"},"list":[1,2.5,null,true],"text":"é\n"}"#)
        #expect(try fixture.ultradict("set", name, "8", "--int-key", "--", "-3").status == 0, "-- before a negative number")
        #expect(try fixture.ultradict("delete", name, "a").status == 0)
        #expect(try fixture.ultradict("delete", name, "7", "--int-key").status == 0)

        let missing = try fixture.ultradict("delete", name, "a")
        #expect(missing.status == 1)
        #expect(missing.errors == "error: no key \"a\" in '\(name)'\n")
        #expect(try fixture.ultradict("get", name, "a").status == 1)

        #expect(try fixture.ultradict("dump", name).lastLine == #"{"8":-3,"b":"two","c":{"bytes":{"$bytes":"AQID"},"list":[1,2.5,null,true],"text":"é\n"}}"#)
        #expect(held.release() == "count 3", "the creator sees what the command wrote")
        #expect(fixture.segments(of: name).isEmpty)
    }

    @Test(arguments: TestStore.allCases)
    func setCreatesAMissingDictionaryOnlyWhenAsked(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let refused = try fixture.ultradict("set", name, "k", "1")
        #expect(refused.status == 1)
        #expect(refused.errors == "error: no dictionary '\(name)'\n")
        #expect(fixture.segments(of: name).isEmpty)

        #expect(try fixture.ultradict("set", name, "k", "1", "--create", "--serializer", "json").status == 0)
        let status = try parseJSON(try fixture.ultradict("status", name).lastLine) as? [String: Any]
        #expect(status?["serializer"] as? String == "json")
        let d = try UltraDict<String, Int>(name: name, create: false, configuration: UltraDictConfiguration(serializer: JSONSerializer(), store: fixture.store))
        #expect(d["k"] == 1, "the dictionary outlives the command that created it")
        d.unlink()
        #expect(fixture.segments(of: name).isEmpty)
    }

    @Test(arguments: TestStore.allCases)
    func failuresAreOneErrorLineWithTheirExitStatus(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let held = try HeldDictionary(uniqueName(), in: fixture)
        defer { held.release() }

        let notJSON = try fixture.ultradict("set", held.name, "k", "{not json")
        #expect(notJSON.status == 2)
        #expect(notJSON.errors == "error: not JSON: {not json\n")
        let usage = try fixture.ultradict("get", held.name)
        #expect(usage.status == 64)
        #expect(usage.errors.hasPrefix("error: ") && usage.errors.filter { $0 == "\n" }.count == 1, "\(usage.errors)")
        let wrongSerializer = try fixture.ultradict("get", held.name, "k", "--serializer", "plist")
        #expect(wrongSerializer.status == 2)
        #expect(wrongSerializer.errors == "error: '\(held.name)' records the serializer msgpack; --serializer plist does not apply\n")
        #expect(try fixture.ultradict("status", uniqueName("missing")).status == 1)
    }

    // MARK: watch

    @Test(arguments: TestStore.allCases)
    func watchPrintsChangesMadeInAnotherProcess(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let held = try HeldDictionary(uniqueName(), in: fixture, entries: ["a", "1"])
        defer { held.release() }
        let watcher = try fixture.tool(["watch", held.name, "--initial"])
        let deadline = Watchdog(watcher, seconds: 60)
        defer { deadline.stop() }
        #expect(watcher.readLine() == #"{"event":"set","key":"a","value":1}"#, "--initial prints what is there")

        let d = try UltraDict<String, Int>(name: held.name, create: false, configuration: UltraDictConfiguration(store: fixture.store))
        d["b"] = 2
        #expect(watcher.readLine() == #"{"event":"set","key":"b","value":2}"#)
        d["a"] = nil
        #expect(watcher.readLine() == #"{"event":"delete","key":"a"}"#)
        try d.removeAll()  // a full dump: the difference is printed
        #expect(watcher.readLine() == #"{"event":"delete","key":"b"}"#)
        d["c"] = 3
        #expect(watcher.readLine() == #"{"event":"set","key":"c","value":3}"#)

        kill(watcher.process.processIdentifier, SIGKILL)
        _ = watcher.finish()
    }
}
