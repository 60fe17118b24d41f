import Foundation
import Testing
import UltraDict
import _UltraDictTestSupport

struct Point: Codable, Hashable {
    var x: Int
    var y: Double
    var label: String?
}

@Suite("UltraDict in one process")
struct UltraDictTests {
    @Test func dictionaryOperations() throws {
        let d = try UltraDict<String, Int>(name: uniqueName())
        defer { d.unlink() }
        #expect(d.isEmpty)
        d["a"] = 1
        d["b"] = 2
        #expect(d["a"] == 1 && d["missing"] == nil)
        #expect(d.count == 2 && d.contains("b") && !d.contains("c"))
        #expect(Set(d.keys) == ["a", "b"] && Set(d.values) == [1, 2])
        #expect(Dictionary(uniqueKeysWithValues: d.map { ($0.key, $0.value) }) == ["a": 1, "b": 2])
        #expect(try d.updateValue(10, forKey: "a") == 1)
        d["b"] = nil
        #expect(try d.removeValue(forKey: "nothing") == nil)
        #expect(d.snapshot == ["a": 10])
        try d.update(with: ["c": 3, "d": 4])
        #expect(d.count == 3)
        d["e", default: 0] += 5
        #expect(d["e"] == 5)
        try d.removeAll()
        #expect(d.isEmpty)
    }

    @Test func twoHandlesSeeEachOthersWrites() throws {
        let name = uniqueName()
        let first = try UltraDict<Int, String>(name: name, create: true)
        let second = try UltraDict<Int, String>(name: name, create: false)
        defer { first.unlink() }
        first[1] = "one"
        #expect(second[1] == "one")
        second[1] = nil
        second[2] = "two"
        #expect(first.snapshot == [2: "two"])
        #expect(!second.autoUnlink && first.autoUnlink)
    }

    @Test func createEitherAttachesWhenPresent() throws {
        let name = uniqueName()
        let first = try UltraDict<String, Int>(name: name, create: nil)
        defer { first.unlink() }
        first["x"] = 1
        let second = try UltraDict<String, Int>(name: name, create: nil)
        #expect(second["x"] == 1)
        #expect(try !second.status().isCreator && first.status().isCreator)
    }

    @Test func randomNameAndAutoUnlinkOnDeinit() throws {
        var name = ""
        do {
            let d = try UltraDict<String, Int>()
            name = d.name
            d["x"] = 1
            #expect(!segments(of: name).isEmpty)
        }
        #expect(name.hasPrefix("ultradict_"))
        #expect(segments(of: name).isEmpty)
    }

    @Test func autoUnlinkOffKeepsSegmentsUntilUnlinkedByName() throws {
        let name = uniqueName()
        do {
            let d = try UltraDict<String, Int>(name: name, autoUnlink: false)
            d["x"] = 1
        }
        let again = try UltraDict<String, Int>(name: name, create: false)
        #expect(again["x"] == 1)
        #expect(try UltraDict<String, Int>.unlink(name: name))
        #expect(segments(of: name).isEmpty)
        #expect(try !UltraDict<String, Int>.unlink(name: name))
    }

    @Test func closedHandleThrows() throws {
        let d = try UltraDict<String, Int>(name: uniqueName())
        d["x"] = 1
        d.close()
        #expect(d.closed)
        expectError(.alreadyClosed) { try d.value(forKey: "x") }
        expectError(.alreadyClosed) { try d.updateValue(2, forKey: "x") }
        expectError(.alreadyClosed) { try d.removeValue(forKey: "x") }
        expectError(.alreadyClosed) { try d.applyUpdates() }
        expectError(.alreadyClosed) { try d.load(force: true) }
        expectError(.alreadyClosed) { try d.dump() }
        expectError(.alreadyClosed) { try d.withLock { _ in } }
        expectError(.alreadyClosed) { try d.status() }
    }

    /// A read after close must not look like a successful one: it finds nothing, and says why.
    @Test func readsAfterCloseFindNothingAndSayWhy() throws {
        let name = uniqueName()
        let d = try UltraDict<String, Int>(name: name)
        defer { d.unlink() }
        let closed = try UltraDict<String, Int>(name: name, create: false)
        d["x"] = 1
        #expect(closed["x"] == 1 && closed.lastReadError == nil)
        closed.close()
        for _ in 0..<2 {
            #expect(closed["x"] == nil && closed["x", default: 7] == 7 && !closed.contains("x"))
            #expect(closed.count == 0 && closed.isEmpty && closed.keys.isEmpty && closed.values.isEmpty)
            #expect(closed.snapshot.isEmpty && Array(closed).isEmpty && closed.description == "[:]")
            #expect(closed.lastReadError?.code == .alreadyClosed)
            d["y"] = 2  // published changes do not bring the closed handle back
        }
        #expect(d.snapshot == ["x": 1, "y": 2])
    }

    @Test func codableAndHeterogeneousValues() throws {
        let name = uniqueName()
        let points = try UltraDict<String, Point>(name: name)
        defer { points.unlink() }
        points["origin"] = Point(x: 0, y: 0, label: nil)
        points["p"] = Point(x: 1, y: 2.5, label: "p")
        let reader = try UltraDict<String, UltraValue>(name: name, create: false)
        #expect(reader["p"] == ["x": 1, "y": 2.5, "label": "p"])
        #expect(try UltraDict<String, Point>(name: name, create: false)["p"] == Point(x: 1, y: 2.5, label: "p"))

        let config = try UltraDict<String, UltraValue>(name: uniqueName())
        defer { config.unlink() }
        config["hosts"] = ["a", "b"]
        config["bytes"] = .bytes([0, 255])
        config["nothing"] = nil as UltraValue
        #expect(config["hosts"] == ["a", "b"] && config["nothing"] == .null && config.count == 3)
    }

    @Test func wrongValueTypeIsATypeMismatch() throws {
        let name = uniqueName()
        let ints = try UltraDict<String, Int>(name: name)
        defer { ints.unlink() }
        let strings = try UltraDict<String, String>(name: name, create: false)
        ints["n"] = 1
        expectError(.typeMismatch) { try strings.value(forKey: "n") }
        #expect(strings["n"] == nil && strings.lastReadError?.code == .typeMismatch)
    }

    @Test func withLockMakesReadModifyWriteAtomic() throws {
        let d = try UltraDict<String, Int>(name: uniqueName())
        defer { d.unlink() }
        for _ in 0..<100 {
            try d.withLock { d in d["counter", default: 0] += 1 }
        }
        let result = try d.withLock { d in d["counter"] }
        #expect(result == 100)
    }

    @Test func invalidArgumentsAreRefused() throws {
        for name in ["", "a/b", String(repeating: "x", count: 241), "nul\u{0}"] {
            expectError(.invalidArgument) { try UltraDict<String, Int>(name: name) }
        }
        expectError(.invalidArgument) { try UltraDict<String, Int>(name: uniqueName(), bufferSize: 3) }
        expectError(.invalidArgument) { try UltraDict<String, Int>(name: uniqueName(), fullDumpSize: 10) }
        expectError(.invalidArgument) { try UltraDict<String, Int>(create: false) }
    }

    @Test func attachingWithAnotherLockKindIsAMismatch() throws {
        let name = uniqueName()
        let d = try UltraDict<String, Int>(name: name)
        defer { d.unlink() }
        #expect { try UltraDict<String, Int>(name: name, create: false, lock: ProcessLocalLock.self) } throws: { error in
            let error = error as? UltraDictError
            return error?.code == .parameterMismatch && error!.message.contains("shared") && error!.message.contains("processLocal")
        }
    }

    @Test func staticFullDumpSizeDumpsInPlaceAndRefusesWhatDoesNotFit() throws {
        let name = uniqueName()
        let d = try UltraDict<String, String>(name: name, bufferSize: 64, fullDumpSize: 1000)
        let other = try UltraDict<String, String>(name: name, create: false)
        defer { d.unlink(); #expect(segments(of: name).isEmpty) }
        for i in 0..<20 { d["k\(i % 5)"] = "v\(i)" }
        let status = try d.status()
        #expect(status.fullDumpCounter > 0 && status.fullDumpName == name + "_full" && status.fullDumpSize == 1000)
        #expect(other.snapshot == d.snapshot)

        let before = d.snapshot
        expectError(.fullDumpMemoryFull) { try d.updateValue(String(repeating: "x", count: 2000), forKey: "big") }
        #expect(d.snapshot == before && other.snapshot == before)
        d["small"] = "fits"
        #expect(other["small"] == "fits")
    }

    @Test func loadForceReloadsEverything() throws {
        let name = uniqueName()
        let d = try UltraDict<Int, Int>(name: name, bufferSize: 100)
        defer { d.unlink() }
        for i in 0..<50 { d[i] = i * i }
        let reader = try UltraDict<Int, Int>(name: name, create: false)
        try reader.load(force: true)
        #expect(reader.snapshot == d.snapshot)
        try reader.applyUpdates()
        #expect(try reader.status().appliedCursor == d.status().appliedCursor)
    }

    @Test func statusDescribesTheSharedState() throws {
        let name = uniqueName()
        let d = try UltraDict<String, Int>(name: name, bufferSize: 4096)
        defer { d.unlink() }
        d["x"] = 1
        let status = try d.status()
        #expect(status.name == name && status.bufferSize == 4096 && status.streamPosition > 0)
        #expect(status.lockKind == .shared && status.sharedLockFlag && !status.recurseFlag)
        #expect(status.serializerIdentifier == "msgpack" && status.creatorPID == getpid())
        #expect(!status.lockHeld && status.lockOwnerPID == 0 && status.sequence % 2 == 0)
    }
}
