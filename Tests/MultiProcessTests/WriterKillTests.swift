import Foundation
import Testing
import UltraDict
import _UltraDictTestSupport

/// Writers SIGKILLed at random instants — mid-record, mid-dump, between publishing a dump and
/// resetting the position, holding the lock — lose no write they acknowledged, and leave a
/// dictionary that the survivors keep reading and writing.
@Suite("Killed writers")
struct WriterKillTests {
    /// Keys each writer cycles through: few enough that a dictionary of two writers' keys fits a
    /// 64 KiB static dump, and with a 512-byte stream a full dump every few dozen writes.
    static let keysPerWriter = 1000

    @Test(arguments: TestStore.allCases, [(nil, 1), (nil, 2), (64 << 10, 1), (64 << 10, 2)] as [(fullDumpSize: Int?, writers: Int)])
    func acknowledgedWritesSurviveTheirWriter(store: TestStore, trial: (fullDumpSize: Int?, writers: Int)) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<25 {
            try killedWritersTrial(fullDumpSize: trial.fullDumpSize, writers: trial.writers, in: fixture, using: &generator)
        }
    }

    func killedWritersTrial(fullDumpSize: Int?, writers: Int, in fixture: StoreFixture, using generator: inout some RandomNumberGenerator) throws {
        let name = uniqueName()
        let survivor: UltraDict<Int, Int> = try fixture.createDictionary(name, serializer: "msgpack", bufferSize: 512, fullDumpSize: fullDumpSize)
        defer { survivor.close(unlink: true) }
        let perWriter = try killAckWriters(name, count: writers, keysPerWriter: Self.keysPerWriter, in: fixture, using: &generator)
        let acknowledged = perWriter.reduce(into: [Int: Int]()) { all, writes in all.merge(writes) { $1 } }
        #expect(!acknowledged.isEmpty)

        // A killed writer may hold the lock: take it over, repairing whatever it left unfinished.
        try survivor.withLock(timeout: .milliseconds(200), stealAfterTimeout: true) { dictionary in
            for (key, value) in acknowledged {
                // A write after the last acknowledged one may have landed too, never an older one.
                #expect((dictionary[key] ?? 0) >= value, "key \(key): acknowledged \(value), read \(String(describing: dictionary[key]))")
            }
        }
        // The survivors keep writing, and another process sees everything.
        for key in 0..<10 { try survivor.updateValue(-key, forKey: -key - 1) }
        let count = survivor.count
        #expect(try fixture.runHelper("count", name) == "count \(count)")
        let fresh = try UltraDict<Int, Int>(name: name, create: false, configuration: UltraDictConfiguration(store: fixture.store))
        for (key, value) in acknowledged { #expect((fresh[key] ?? 0) >= value) }
        #expect(fresh[-10] == -9)
    }
}

/// Starts `count` `ack-writer` helpers on `name` in `fixture`'s store, writer `i` cycling
/// through the keys `i * keysPerWriter ..< (i + 1) * keysPerWriter` with the values 1, 2, 3...;
/// SIGKILLs them all at a random instant of the 50 ms after every one has written; returns what
/// each acknowledged: key → last acknowledged value.
func killAckWriters(
    _ name: String, count: Int, keysPerWriter: Int, in fixture: StoreFixture,
    using generator: inout some RandomNumberGenerator, sourceLocation: SourceLocation = #_sourceLocation
) throws -> [[Int: Int]] {
    let children = try (0..<count).map { index in
        try fixture.helper(["ack-writer", name, String(index * keysPerWriter), String(keysPerWriter)])
    }
    let firstLines = children.map { $0.readLine() }
    usleep(UInt32.random(in: 0...50_000, using: &generator))
    for child in children { kill(child.process.processIdentifier, SIGKILL) }

    return zip(children, firstLines).map { child, firstLine in
        let result = child.finishWithOutput()
        #expect(result.status == SIGKILL, "the writer ended by itself: \(result.errors)", sourceLocation: sourceLocation)
        var acknowledged: [Int: Int] = [:]
        for line in [firstLine] + result.lines {
            let fields = line.split(separator: " ")
            guard fields.count == 3, fields[0] == "ack", let key = Int(fields[1]), let value = Int(fields[2]) else { continue }
            acknowledged[key] = value
        }
        return acknowledged
    }
}
