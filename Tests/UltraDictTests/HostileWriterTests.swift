import Foundation
import Testing
import UltraDict
import UltraDictTransport
import _UltraDictTestSupport

/// Writes `bytes` at byte `offset` of the segment `name`, through its file in /dev/shm, as a
/// hostile process of the same user would.
func overwrite(_ bytes: [UInt8], at offset: Int, ofSegment name: String) throws {
    let file = try FileHandle(forUpdating: URL(fileURLWithPath: "/dev/shm/" + name))
    defer { try? file.close() }
    try file.seek(toOffset: UInt64(offset))
    try file.write(contentsOf: bytes)
}

/// A writer meets control-block fields that another process made hostile: it throws or ignores
/// them, and never traps (`Docs/SECURITY.md`).
@Suite("Hostile fields on the writer's path")
struct HostileWriterTests {
    /// The last snapshot's size at byte 352: all ones once overflowed `size + 64`, and 64 GiB
    /// went to `reserveCapacity`; both killed the next writer that dumped.
    @Test(arguments: [UInt64.max, 64 << 30])
    func aHostileSnapshotSizeDoesNotKillTheNextWriter(size: UInt64) throws {
        let d = try UltraDict<String, Int>(name: uniqueName(), bufferSize: 4096)
        defer { d.unlink(); #expect(segments(of: d.name).isEmpty) }
        d["a"] = 1
        try overwrite(withUnsafeBytes(of: size.littleEndian, Array.init), at: ControlLayout.lastSnapshotSize, ofSegment: d.name)
        try d.dump()
        for index in 0..<500 { d["k\(index)"] = index }  // appends, and dumps when the stream is full
        let reader = try UltraDict<String, Int>(name: d.name, create: false)
        #expect(reader.count == 501 && reader["k499"] == 499 && reader["a"] == 1)
    }

    /// The same field read by `update(with:)`, which weighs a dump against records with it: it
    /// once overflowed there too.
    @Test(arguments: [UInt64.max, 64 << 30])
    func aHostileSnapshotSizeDoesNotKillUpdateWith(size: UInt64) throws {
        let d = try UltraDict<String, Int>(name: uniqueName())
        defer { d.unlink(); #expect(segments(of: d.name).isEmpty) }
        d["a"] = 1
        try overwrite(withUnsafeBytes(of: size.littleEndian, Array.init), at: ControlLayout.lastSnapshotSize, ofSegment: d.name)
        try d.update(with: Dictionary(uniqueKeysWithValues: (0..<1000).map { ("k\($0)", $0) }))
        let reader = try UltraDict<String, Int>(name: d.name, create: false)
        #expect(reader.count == 1001 && reader["k999"] == 999 && reader["a"] == 1)
    }

    /// The dump-name field naming another dictionary: unlinking this one leaves that one whole.
    @Test func unlinkingByNameNeverFollowsTheDumpNameToAnotherDictionary() throws {
        let victim = try UltraDict<String, Int>(name: uniqueName())
        defer { victim.unlink() }
        victim["kept"] = 1
        let name = uniqueName()
        let d = try UltraDict<String, Int>(name: name, autoUnlink: false)
        d.close()
        try overwrite(Array(victim.name.utf8) + [0], at: ControlLayout.fullDumpName, ofSegment: name)
        #expect(try UltraDict<String, Int>.unlink(name: name))
        let again = try UltraDict<String, Int>(name: victim.name, create: false)
        #expect(again["kept"] == 1 && segments(of: name).isEmpty)
    }
}
