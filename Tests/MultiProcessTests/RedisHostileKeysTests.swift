import Foundation
import Testing
import UltraDict
import UltraDictRedis
import _UltraDictTestSupport

/// The keys on the server are untrusted: whatever another client wrote there, a handle throws a
/// typed `UltraDictError` saying what is wrong, or reports it in `lastReadError`; it never traps.
@Suite("Hostile Redis keys")
struct HostileKeysTests {
    /// Log entries that break the layout make attaching throw `corruptData`, naming the entry.
    @Test(arguments: [["zz", "1"], ["r", "1", "d", ""], ["d", "x", "r", ""]])
    func aMalformedLogEntryIsATypedError(fields: [String]) throws {
        let fixture = try RedisFixture()
        let name = uniqueName()
        let d = try fixture.open(name, create: true)
        defer { d.unlink() }
        try fixture.plant(["XADD", "{\(name)}:log", "*"].map { Array($0.utf8) } + fields.map { Array($0.utf8) })
        // A new process's replica reads the whole log when it is made.
        let attach = try fixture.attachInAnotherProcess(name)
        #expect(attach.code == "corruptData", "\(attach.message)")
    }

    /// A full dump entry whose dump is missing, older than the entry, or not a snapshot.
    @Test func aBadFullDumpIsATypedError() throws {
        let fixture = try RedisFixture()
        for (index, dump) in [nil, ("0-1", "x"), ("99999999999999-0", "not a snapshot")].enumerated() {
            let name = uniqueName()
            let d = try fixture.open(name, create: true)
            defer { d.unlink() }
            d["a"] = 1
            try fixture.plant("XADD", "{\(name)}:log", "*", "d", "")
            if let (id, snapshot) = dump { try fixture.plant("HSET", "{\(name)}:dump", "id", id, "snapshot", snapshot) }
            let attach = try fixture.attachInAnotherProcess(name)
            #expect(attach.code == (index == 2 ? "serialization" : "corruptData"), "case \(index): \(attach.message)")
        }
    }

    /// `{NAME}:meta` of another layout version, without a serializer, or of another type.
    @Test func aBadMetaIsATypedError() throws {
        let fixture = try RedisFixture()
        let name = uniqueName()
        try fixture.plant("HSET", "{\(name)}:meta", "serializer", "msgpack", "recurse", "0", "version", "99")
        expectError(.corruptData) { try fixture.open(name, create: false) }
        try fixture.plant("DEL", "{\(name)}:meta")
        try fixture.plant("HSET", "{\(name)}:meta", "recurse", "0", "version", "1")
        expectError(.corruptData) { try fixture.open(name, create: false) }
        try fixture.plant("DEL", "{\(name)}:meta")
        try fixture.plant("SET", "{\(name)}:meta", "a string")
        expectError(.server) { try fixture.open(name, create: false) }
        try fixture.plant("DEL", "{\(name)}:meta", "{\(name)}:log")
    }

    /// A record that does not decode reaches an open handle through its subscriber: reads keep
    /// the last good state and say why in `lastReadError`; the handle does not trap.
    @Test func aRecordThatDoesNotDecodeIsReportedByReads() throws {
        let fixture = try RedisFixture()
        let name = uniqueName()
        let d = try fixture.open(name, create: true)
        defer { d.unlink() }
        d["a"] = 1
        try fixture.plant([Array("XADD".utf8), Array("{\(name)}:log".utf8), Array("*".utf8), Array("r".utf8), [0xC1, 0xFF, 0x00]])
        let start = ContinuousClock.now
        d.logger.logLevel = .critical  // the failed read's warning is expected
        while d["a"] == 1 && d.lastReadError == nil && ContinuousClock.now - start < .seconds(2) { Thread.sleep(forTimeInterval: 0.01) }
        #expect(d.lastReadError?.code == .serialization, "\(String(describing: d.lastReadError))")
        #expect(d["a"] == 1)
    }

}

extension RedisFixture {
    /// Opens `name` as `UltraDict<String, Int>`.
    func open(_ name: String, create: Bool? = nil) throws -> UltraDict<String, Int> {
        try UltraDict(name: name, create: create, configuration: UltraDictConfiguration(store: store))
    }

    /// Runs a command as a hostile client would.
    func plant(_ arguments: String...) throws {
        _ = try client.command(arguments.map { Array($0.utf8) })
    }

    /// ``plant(_:)-(String...)`` with binary arguments.
    func plant(_ arguments: [[UInt8]]) throws {
        _ = try client.command(arguments)
    }

    /// Attaches `name` in the test helper, a process whose replica is made from the server
    /// (this process's replica exists while a handle here is open); returns its error.
    func attachInAnotherProcess(_ name: String) throws -> (code: String?, message: String) {
        let result = try ChildProcess("UltraDictTestHelper", ["count", name, "--redis", server.url]).finish()
        guard result.status != 0 else { return (nil, result.lastLine) }
        let code = result.errors.components(separatedBy: "UltraDictError.").dropFirst().first?.prefix { $0.isLetter }
        return (code.map(String.init), result.errors)
    }
}
