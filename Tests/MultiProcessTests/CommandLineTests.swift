import Foundation
import Testing
import UltraDict
import UltraDictJSON
import _UltraDictTestSupport

/// The `ultradict` command, run as users run it, against dictionaries that the test helper
/// creates and writes from other processes.
@Suite("Command line", .serialized)
struct CommandLineTests {
    // MARK: list and status

    @Test(arguments: serializerNames) func listShowsSegmentsSerializerAndLiveCreator(serializer: String) throws {
        let held = try HeldDictionary(uniqueName(), serializer: serializer, entries: ["a", "1"])
        defer { held.release() }

        let result = try ultradict("list")
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

    @Test func statusPrintsEveryControlBlockField() throws {
        let held = try HeldDictionary(uniqueName(), entries: ["a", "1", "b", "2"])
        defer { held.release() }

        let result = try ultradict("status", held.name)
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

    @Test func aDictionaryWithPythonsFieldsOnlyIsListedReadAndCleaned() throws {
        // Its creator is unknown, so `clean` removes it as soon as nobody uses it.
        let name = uniqueName()
        let streamPosition = try makePythonStyleDictionary(name)
        defer { _ = try? UltraDict<Int, Int>.unlink(name: name) }

        let list = try parseJSON(try ultradict("list").lastLine) as? [[String: Any]]
        let entry = try #require(list?.first { $0["name"] as? String == name })
        #expect(entry["implementation"] as? String == "python")
        #expect(entry["serializer"] is NSNull)
        #expect(entry["creatorPID"] is NSNull)
        #expect(entry["lockKind"] as? String == "shared")
        let status = try parseJSON(try ultradict("status", name).lastLine) as? [String: Any]
        #expect(status?["layoutVersion"] is NSNull)
        #expect(status?["sequence"] is NSNull)
        #expect(status?["streamPosition"] as? Int == streamPosition)

        #expect(try ultradict("get", name, "a", "--serializer", "msgpack").lastLine == "1")
        #expect(try ultradict("dump", name).lastLine == #"{"a":1}"#, "MessagePack is the default")
        let wrong = try ultradict("dump", name, "--serializer", "json")
        #expect(wrong.status == 2)
        #expect(wrong.errors.contains("--serializer"), "\(wrong.errors)")

        let cleaned = try ultradict("clean", "--prefix", name)
        #expect(cleaned.lastLine == #"[{"kind":"dictionary","name":"\#(name)","segments":["\#(name)","\#(name)_memory"]}]"#)
        #expect(segments(of: name).isEmpty)
    }

    // MARK: get, set, delete, dump

    @Test(.enabled(if: geteuid() == 0, "chown needs root"))
    func anotherUsersDictionaryNeedsAllowForeignOwner() throws {
        let name = uniqueName()
        let d: UltraDict<String, Int> = try createDictionary(name, serializer: "msgpack")
        defer { d.unlink(); #expect(segments(of: name).isEmpty) }
        d["a"] = 1
        for segment in segments(of: name) { #expect(chown("/dev/shm/" + segment, 65534, 65534) == 0) }

        let refused = try ultradict("get", name, "a")
        #expect(refused.status == 2)
        #expect(refused.errors.contains("owned by uid 65534") && refused.errors.contains("--allow-foreign-owner"), "\(refused.errors)")
        #expect(try ultradict("get", name, "a", "--allow-foreign-owner").lastLine == "1")
        #expect(try ultradict("status", name).status == 0, "inspecting reads any user's dictionary")
    }

    @Test(.enabled(if: geteuid() == 0, "chown needs root"))
    func unlinkRemovesAnotherUsersDictionaryWithItsDump() throws {
        let name = uniqueName()
        let d: UltraDict<String, Int> = try createDictionary(name, serializer: "msgpack")
        d["a"] = 1
        try d.dump()
        let dump = try #require(try d.status().fullDumpName)
        d.autoUnlink = false
        d.close()
        for segment in segments(of: name) + [dump] { #expect(chown("/dev/shm/" + segment, 65534, 65534) == 0) }

        #expect(try ultradict("unlink", name).lastLine == #"["\#(name)","\#(name)_memory","\#(dump)"]"#)
        #expect(segments(of: name).isEmpty && segments(of: dump).isEmpty)
    }

    @Test(arguments: serializerNames) func getSetAndDeleteAreSeenByTheCreator(serializer: String) throws {
        let held = try HeldDictionary(uniqueName(), serializer: serializer, entries: ["a", "1", "b", "two", "7", "seven"])
        let name = held.name

        #expect(try ultradict("get", name, "a").lastLine == "1")
        #expect(try ultradict("get", name, "b").lastLine == #""two""#)
        #expect(try ultradict("get", name, "7", "--int-key").lastLine == #""seven""#)
        #expect(try ultradict("get", name, "7").status == 1, "the key 7 is an integer, not the string \"7\"")

        let value = #"{"list":[1,2.5,null,true],"bytes":{"$bytes":"AQID"},"text":"é\n"}"#
        #expect(try ultradict("set", name, "c", value).status == 0)
        #expect(try ultradict("get", name, "c").lastLine == #"{"bytes":{"$bytes":"AQID"},"list":[1,2.5,null,true],"text":"é\n"}"#)
        #expect(try ultradict("set", name, "8", "--int-key", "--", "-3").status == 0, "-- before a negative number")
        #expect(try ultradict("delete", name, "a").status == 0)
        #expect(try ultradict("delete", name, "7", "--int-key").status == 0)

        let missing = try ultradict("delete", name, "a")
        #expect(missing.status == 1)
        #expect(missing.errors == "error: no key \"a\" in '\(name)'\n")
        #expect(try ultradict("get", name, "a").status == 1)

        #expect(try ultradict("dump", name).lastLine == #"{"8":-3,"b":"two","c":{"bytes":{"$bytes":"AQID"},"list":[1,2.5,null,true],"text":"é\n"}}"#)
        #expect(held.release() == "count 3", "the creator sees what the command wrote")
        #expect(segments(of: name).isEmpty)
    }

    @Test func setCreatesAMissingDictionaryOnlyWhenAsked() throws {
        let name = uniqueName()
        let refused = try ultradict("set", name, "k", "1")
        #expect(refused.status == 1)
        #expect(refused.errors == "error: no dictionary '\(name)'\n")
        #expect(segments(of: name).isEmpty)

        #expect(try ultradict("set", name, "k", "1", "--create", "--serializer", "json").status == 0)
        let status = try parseJSON(try ultradict("status", name).lastLine) as? [String: Any]
        #expect(status?["serializer"] as? String == "json")
        let d = try UltraDict<String, Int>(name: name, create: false, serializer: JSONSerializer())
        #expect(d["k"] == 1, "the dictionary outlives the command that created it")
        d.unlink()
        #expect(segments(of: name).isEmpty)
    }

    @Test func failuresAreOneErrorLineWithTheirExitStatus() throws {
        let held = try HeldDictionary(uniqueName())
        defer { held.release() }

        let notJSON = try ultradict("set", held.name, "k", "{not json")
        #expect(notJSON.status == 2)
        #expect(notJSON.errors == "error: not JSON: {not json\n")
        let usage = try ultradict("get", held.name)
        #expect(usage.status == 64)
        #expect(usage.errors.hasPrefix("error: ") && usage.errors.filter { $0 == "\n" }.count == 1, "\(usage.errors)")
        let wrongSerializer = try ultradict("get", held.name, "k", "--serializer", "plist")
        #expect(wrongSerializer.status == 2)
        #expect(wrongSerializer.errors == "error: '\(held.name)' records the serializer msgpack; --serializer plist does not apply\n")
        #expect(try ultradict("status", uniqueName("missing")).status == 1)
    }

    // MARK: watch

    @Test func watchPrintsChangesMadeInAnotherProcess() throws {
        let held = try HeldDictionary(uniqueName(), entries: ["a", "1"])
        defer { held.release() }
        let watcher = try ChildProcess("ultradict", ["watch", held.name, "--initial"])
        let deadline = Watchdog(watcher, seconds: 60)
        defer { deadline.stop() }
        #expect(watcher.readLine() == #"{"event":"set","key":"a","value":1}"#, "--initial prints what is there")

        let d = try UltraDict<String, Int>(name: held.name, create: false)
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

    // MARK: unlink and clean

    @Test func unlinkRemovesEverySegmentIncludingTheFullDump() throws {
        let held = try HeldDictionary(uniqueName())
        let name = held.name
        let dumpName = try publishFullDump(of: name)

        let result = try ultradict("unlink", name)
        #expect(result.lastLine == #"["\#(name)","\#(name)_memory","\#(dumpName)"]"#)
        #expect(segments(of: name).isEmpty)
        #expect(segments(of: dumpName).isEmpty)
        #expect(try ultradict("unlink", name).status == 1)
        held.release()
    }

    @Test func cleanRemovesADeadCreatorsLeftoversAndKeepsALiveOnes() throws {
        let prefix = uniqueName()
        let live = try HeldDictionary(prefix + "_live", entries: ["a", "1"])
        defer { live.release() }
        let dead = try HeldDictionary(prefix + "_dead", entries: ["a", "1"])
        let dumpName = try publishFullDump(of: dead.name)
        dead.crash()
        let deadSegments = [dead.name, dead.name + "_memory", dumpName]
        let expected = #"[{"kind":"dictionary","name":"\#(dead.name)","segments":["\#(deadSegments.joined(separator: #"",""#))"]}]"#

        #expect(try ultradict("clean", "--dry-run", "--prefix", prefix).lastLine == expected)
        #expect(segments(of: dead.name).count == 2, "--dry-run removes nothing")
        #expect(try ultradict("clean", "--prefix", prefix).lastLine == expected)
        #expect(segments(of: dead.name).isEmpty)
        #expect(segments(of: dumpName).isEmpty)
        #expect(segments(of: live.name).count == 2, "the live creator's dictionary stays")
        #expect(try ultradict("clean", "--prefix", prefix).lastLine == "[]")
    }

    @Test func cleanRemovesAnOrphanedDumpThatNobodyMapsOrNames() throws {
        let orphan = "psm_" + String(format: "%08x", UInt32.random(in: .min ... .max))
        #expect(FileManager.default.createFile(atPath: "/dev/shm/\(orphan)", contents: Data(count: 64)))
        let mapped = "psm_" + String(format: "%08x", UInt32.random(in: .min ... .max))
        #expect(FileManager.default.createFile(atPath: "/dev/shm/\(mapped)", contents: Data(count: 64)))
        let openDump = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/shm/\(mapped)"))
        defer { try? openDump.close(); try? FileManager.default.removeItem(atPath: "/dev/shm/\(mapped)") }

        #expect(try ultradict("clean", "--prefix", orphan).lastLine == #"[{"kind":"dump","name":"\#(orphan)","segments":["\#(orphan)"]}]"#)
        #expect(segments(of: orphan).isEmpty)
        // This test process holds `mapped` open, so the dump is in use.
        #expect(try ultradict("clean", "--prefix", mapped).lastLine == "[]")
        #expect(segments(of: mapped) == [mapped])
    }

    @Test(.enabled(if: geteuid() == 0, "chown needs root"))
    func cleanLeavesAnotherUsersOrphanedDump() throws {
        // A `psm_` segment of another user may be any Python program's shared memory.
        let orphan = "psm_" + String(format: "%08x", UInt32.random(in: .min ... .max))
        #expect(FileManager.default.createFile(atPath: "/dev/shm/\(orphan)", contents: Data(count: 64)))
        defer { try? FileManager.default.removeItem(atPath: "/dev/shm/\(orphan)") }
        #expect(chown("/dev/shm/\(orphan)", 65534, 65534) == 0)
        #expect(try ultradict("clean", "--prefix", orphan).lastLine == "[]")
        #expect(segments(of: orphan) == [orphan])
    }

    @Test func cleanTellsAPythonDictionaryNamedLikeADumpFromADump() throws {
        // Python names a dictionary without a name as it names dumps, psm_xxxxxxxx.
        let name = "psm_" + String(format: "%08x", UInt32.random(in: .min ... .max))
        try makePythonStyleDictionary(name)
        defer { _ = try? UltraDict<Int, Int>.unlink(name: name) }
        let user = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/shm/\(name)_memory"))

        #expect(try ultradict("clean", "--prefix", name).lastLine == "[]", "in use, and not a dump")
        #expect(segments(of: name).count == 2)
        try user.close()
        #expect(try ultradict("clean", "--prefix", name).lastLine == #"[{"kind":"dictionary","name":"\#(name)","segments":["\#(name)","\#(name)_memory"]}]"#)
        #expect(segments(of: name).isEmpty)
    }
}

// MARK: - Helpers

/// Runs the `ultradict` command and returns its exit status, its last line and its standard error.
func ultradict(_ arguments: String...) throws -> (status: Int32, lastLine: String, errors: String) {
    try ChildProcess("ultradict", arguments).finish()
}

/// Makes in `/dev/shm` the dictionary `name` as Python UltraDict 0.0.6 leaves it with
/// `shared_lock=True`, `recurse` as given, and MessagePack: no fields of ours, and the record
/// `[True, "a", 1]` in a 1000-byte stream. Returns the stream position.
@discardableResult
func makePythonStyleDictionary(_ name: String, recurse: Bool = false) throws -> Int {
    var record: [UInt8] = []
    try MessagePackSerializer().encodeUpdate(.set("a", 1), into: &record)
    var control = [UInt8](repeating: 0, count: 1000)
    withUnsafeBytes(of: UInt32(6 + record.count).littleEndian) { control.replaceSubrange(0..<4, with: $0) }
    control[18] = UInt8(ascii: "1")
    if recurse { control[19] = UInt8(ascii: "1") }
    var stream = [0xFF] + withUnsafeBytes(of: UInt32(record.count).littleEndian, Array.init) + [0xFF] + record
    stream += [UInt8](repeating: 0, count: 1000 - stream.count)
    #expect(FileManager.default.createFile(atPath: "/dev/shm/\(name)", contents: Data(control)))
    #expect(FileManager.default.createFile(atPath: "/dev/shm/\(name)_memory", contents: Data(stream)))
    return 6 + record.count
}

/// Makes the dictionary `name` publish a full dump (of nothing) from this process, and returns
/// the dump segment's name; the handle is closed again, so this process maps nothing of it.
func publishFullDump(of name: String) throws -> String {
    let d = try UltraDict<UltraValue, UltraValue>(name: name, create: false)
    try d.removeAll()
    return try #require(try d.status().fullDumpName)
}

/// Parses the JSON text that a command printed.
func parseJSON(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
}

/// A dictionary that a test helper process created and holds open, as a running program would.
final class HeldDictionary {
    /// The dictionary's name.
    let name: String
    private let helper: ChildProcess

    /// Starts a helper that creates `name` with the serializer named `serializer` and sets the
    /// `entries`, given as key, value, key, value… (integers when they read as one).
    init(_ name: String, serializer: String = "msgpack", entries: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws {
        self.name = name
        helper = try ChildProcess("UltraDictTestHelper", ["hold", name] + entries + ["--serializer", serializer])
        #expect(helper.readLine() == "ready", "the helper could not create '\(name)'", sourceLocation: sourceLocation)
    }

    /// The helper's pid: the dictionary's creator.
    var pid: Int32 { helper.process.processIdentifier }

    /// Lets the helper close the dictionary, which unlinks it, and returns the helper's last line.
    @discardableResult
    func release(sourceLocation: SourceLocation = #_sourceLocation) -> String {
        helper.send("")
        let result = helper.finish()
        #expect(result.status == 0, "\(result.errors)", sourceLocation: sourceLocation)
        return result.lastLine
    }

    /// Kills the helper as a crash would: the dictionary's segments stay behind.
    func crash() {
        kill(pid, SIGKILL)  // Children of test threads inherit a mask that blocks SIGTERM and SIGINT.
        _ = helper.finish()
    }
}

/// Kills a child that has not finished after some seconds, so that a blocking read of its
/// output cannot hang the tests.
final class Watchdog: @unchecked Sendable {
    private let timer: DispatchSourceTimer

    init(_ child: ChildProcess, seconds: Int) {
        let pid = child.process.processIdentifier
        timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + .seconds(seconds))
        timer.setEventHandler { kill(pid, SIGKILL) }
        timer.resume()
    }

    /// Cancels the deadline.
    func stop() { timer.cancel() }
}
