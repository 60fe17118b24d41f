import Foundation
import Testing
import UltraDict
import UltraDictTransport
import _UltraDictTestSupport

/// `ultradict unlink` and `ultradict clean`, in each store (`--directory` for the file store):
/// what they remove, and what they leave to a live process or another user.
@Suite("Command line: unlink and clean", .serialized)
struct CommandLineCleanTests {
    @Test(arguments: TestStore.allCases)
    func unlinkRemovesEverySegmentIncludingTheFullDump(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let held = try HeldDictionary(uniqueName(), in: fixture)
        let name = held.name
        let dumpName = try publishFullDump(of: name, in: fixture)

        let result = try fixture.ultradict("unlink", name)
        #expect(result.lastLine == #"["\#(name)","\#(name)_memory","\#(dumpName)"]"#)
        #expect(fixture.segments(of: name).isEmpty)
        #expect(fixture.segments(of: dumpName).isEmpty)
        #expect(try fixture.ultradict("unlink", name).status == 1)
        held.release()
    }

    @Test(.enabled(if: geteuid() == 0, "chown needs root"), arguments: TestStore.allCases)
    func unlinkRemovesAnotherUsersDictionaryWithItsDump(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let d: UltraDict<String, Int> = try fixture.createDictionary(name, serializer: "msgpack")
        d["a"] = 1
        try d.dump()
        let dump = try #require(try d.status().fullDumpName)
        d.autoUnlink = false
        d.close()
        for segment in fixture.segments(of: name) + [dump] { #expect(chown("\(fixture.path)/\(segment)", 65534, 65534) == 0) }

        #expect(try fixture.ultradict("unlink", name).lastLine == #"["\#(name)","\#(name)_memory","\#(dump)"]"#)
        #expect(fixture.segments(of: name).isEmpty && fixture.segments(of: dump).isEmpty)
    }

    @Test(arguments: TestStore.allCases)
    func cleanRemovesADeadCreatorsLeftoversAndKeepsALiveOnes(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let prefix = uniqueName()
        let live = try HeldDictionary(prefix + "_live", in: fixture, entries: ["a", "1"])
        defer { live.release() }
        let dead = try HeldDictionary(prefix + "_dead", in: fixture, entries: ["a", "1"])
        let dumpName = try publishFullDump(of: dead.name, in: fixture)
        dead.crash()
        let deadSegments = [dead.name, dead.name + "_memory", dumpName]
        let expected = fixture.cleaned(#"[{"kind":"dictionary","name":"\#(dead.name)","segments":["\#(deadSegments.joined(separator: #"",""#))"]}]"#)

        #expect(try fixture.ultradict("clean", "--dry-run", "--prefix", prefix).lastLine == expected)
        #expect(fixture.segments(of: dead.name).count == 2, "--dry-run removes nothing")
        #expect(try fixture.ultradict("clean", "--prefix", prefix).lastLine == expected)
        if fixture.cleanRemovesDictionaries {
            #expect(fixture.segments(of: dead.name).isEmpty)
            #expect(fixture.segments(of: dumpName).isEmpty)
        } else {
            #expect(fixture.segments(of: dead.name).count == 2 && fixture.segments(of: dumpName) == [dumpName], "a file store's dictionary stays")
            #expect(try fixture.ultradict("unlink", dead.name).lastLine == #"["\#(deadSegments.joined(separator: #"",""#))"]"#)
        }
        #expect(fixture.segments(of: live.name).count == 2, "the live creator's dictionary stays")
        #expect(try fixture.ultradict("clean", "--prefix", prefix).lastLine == "[]")
    }

    @Test(arguments: TestStore.allCases)
    func cleanRemovesAnOrphanedDumpThatNobodyMapsOrNames(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let orphan = SegmentName.random()
        #expect(FileManager.default.createFile(atPath: "\(fixture.path)/\(orphan)", contents: Data(count: 64)))
        let mapped = SegmentName.random()
        #expect(FileManager.default.createFile(atPath: "\(fixture.path)/\(mapped)", contents: Data(count: 64)))
        let openDump = try FileHandle(forReadingFrom: URL(fileURLWithPath: "\(fixture.path)/\(mapped)"))
        defer { try? openDump.close(); try? FileManager.default.removeItem(atPath: "\(fixture.path)/\(mapped)") }

        #expect(try fixture.ultradict("clean", "--prefix", orphan).lastLine == #"[{"kind":"dump","name":"\#(orphan)","segments":["\#(orphan)"]}]"#)
        #expect(fixture.segments(of: orphan).isEmpty)
        // This test process holds `mapped` open, so the dump is in use.
        #expect(try fixture.ultradict("clean", "--prefix", mapped).lastLine == "[]")
        #expect(fixture.segments(of: mapped) == [mapped])
    }

    @Test(.enabled(if: geteuid() == 0, "chown needs root"), arguments: TestStore.allCases)
    func cleanLeavesAnotherUsersOrphanedDump(store: TestStore) throws {
        // A `psm_` segment of another user may be any Python program's shared memory.
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let orphan = SegmentName.random()
        #expect(FileManager.default.createFile(atPath: "\(fixture.path)/\(orphan)", contents: Data(count: 64)))
        defer { try? FileManager.default.removeItem(atPath: "\(fixture.path)/\(orphan)") }
        #expect(chown("\(fixture.path)/\(orphan)", 65534, 65534) == 0)
        #expect(try fixture.ultradict("clean", "--prefix", orphan).lastLine == "[]")
        #expect(fixture.segments(of: orphan) == [orphan])
    }

    @Test(arguments: TestStore.allCases)
    func cleanTellsAPythonDictionaryNamedLikeADumpFromADump(store: TestStore) throws {
        // Python names a dictionary without a name as it names dumps, psm_xxxxxxxx.
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = SegmentName.random()
        try makePythonStyleDictionary(name, in: fixture)
        defer { _ = try? UltraDict<Int, Int>.unlink(name: name, store: fixture.store) }
        let user = try FileHandle(forReadingFrom: URL(fileURLWithPath: "\(fixture.path)/\(name)_memory"))

        #expect(try fixture.ultradict("clean", "--prefix", name).lastLine == "[]", "in use, and not a dump")
        #expect(fixture.segments(of: name).count == 2)
        try user.close()
        #expect(try fixture.ultradict("clean", "--prefix", name).lastLine == fixture.cleaned(#"[{"kind":"dictionary","name":"\#(name)","segments":["\#(name)","\#(name)_memory"]}]"#))
        #expect(fixture.segments(of: name).count == (fixture.cleanRemovesDictionaries ? 0 : 2), "a file store's dictionary is never taken for a dump")
    }
}
