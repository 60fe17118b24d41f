import Foundation
import Testing
import UltraDict
import UltraDictRedis
import _UltraDictTestSupport

/// A process that takes the lock in a loop keeps the lease between its turns (Docs/REDIS.md):
/// far fewer leases than turns, yet every other process gets its turn, and a process that ends
/// leaves the lock free at once.
@Suite("Lease reuse over Redis")
struct RedisLeaseReuseTests {
    /// 200 turns in a row take far fewer leases than 200: the fence, which counts the leases
    /// the server granted, grows by less than 100 (by the loop's length over 40 ms, plus two for
    /// each time the thread was descheduled for over 1 ms between two turns, on a busy machine).
    @Test func turnsInARowShareALease() throws {
        let fixture = try RedisFixture()
        let name = uniqueName()
        let d: UltraDict<String, Int> = try fixture.create(name)
        defer { d.unlink() }
        let before = try fence(of: name, in: fixture)
        for _ in 0..<200 { try d.withLock { d in d["n", default: 0] += 1 } }
        let leases = try fence(of: name, in: fixture) - before
        #expect(d["n"] == 200)
        #expect(leases < 100, "200 turns in a row took \(leases) leases")
    }

    /// While this process takes the lock in a loop, another process's 50 locked increments get
    /// through, and soon: the loop gives the lease up after 40 ms of holding it.
    @Test func anotherProcessTakesTheLockWhileOneLoops() throws {
        let fixture = try RedisFixture()
        let name = uniqueName()
        let d: UltraDict<String, Int> = try fixture.create(name)
        defer { d.unlink() }
        let took = try whileLooping(over: d, key: "loop") {
            _ = try fixture.run([["increment-threads", name, "n", "1", "50"]])
        }
        #expect(took < Self.starved, "50 locked increments took \(took) while another process looped")
        #expect(d["n"] == 50)
    }

    /// While one thread takes the lock in a loop, 50 writes outside the lock get through, and
    /// soon, from another process or from another thread through the same handle: they wait
    /// for the lease as for the shared spinlock, and find it free between the loop's holds.
    @Test(arguments: ["another process", "another thread"])
    func plainWritesGetThroughWhileOneLoops(from writer: String) throws {
        let fixture = try RedisFixture()
        let name = uniqueName()
        let d: UltraDict<Int, Int> = try fixture.create(name)
        defer { d.unlink() }
        let took = try whileLooping(over: d, key: -1) {
            if writer == "another process" {
                _ = try fixture.run([["write-range", name, "0", "50"]])
            } else {
                for key in 0..<50 { try d.updateValue(key, forKey: key) }
            }
        }
        #expect(took < Self.starved, "50 plain writes from \(writer) took \(took) while a thread looped")
        #expect((0..<50).allSatisfy { d[$0] == $0 })
    }

    /// A process that ends right after a loop of turns leaves the lock free at once, not after
    /// its lease (10 s by default): the lease it kept for another turn is given up.
    @Test func aProcessThatEndsAfterALoopLeavesTheLockFree() throws {
        let fixture = try RedisFixture()
        let name = uniqueName()
        let d: UltraDict<String, Int> = try fixture.create(name)
        defer { d.unlink() }
        _ = try fixture.run([["increment-threads", name, "n", "1", "100"]])
        let ended = ContinuousClock.now
        try d.withLock(timeout: .seconds(5)) { d in d["n", default: 0] += 1 }
        #expect(ContinuousClock.now - ended < .seconds(1), "the lock was free only \(ContinuousClock.now - ended) after the loop's process ended")
        #expect(d["n"] == 101)
    }

    /// A kept lease that a write found gone (its key removed here) is not used again: at most
    /// one turn throws `lockStolen`, and the next ones take a new lease.
    @Test func aLeaseFoundGoneIsNotUsedAgain() throws {
        let fixture = try RedisFixture()
        let name = uniqueName()
        let d: UltraDict<String, Int> = try fixture.create(name)
        defer { d.unlink() }
        for _ in 0..<5 { try d.withLock { d in d["n", default: 0] += 1 } }
        _ = try fixture.client.command("DEL", "{\(name)}:lock")
        var stolen = 0
        for _ in 0..<5 {
            do {
                _ = try d.withLock { d in try d.updateValue((d["n"] ?? 0) + 1, forKey: "n") }
            } catch let error as UltraDictError where error.code == .lockStolen {
                stolen += 1
            }
        }
        #expect(stolen <= 1, "\(stolen) turns used a lease whose key was gone")
        #expect(d["n"] == 10 - stolen)
    }

    /// How long ``whileLooping(over:key:_:)`` loops at most: the others get through long before
    /// on an idle machine (in well under a second), but must not need the loop to end.
    private static let longestLoop = Duration.seconds(30)
    /// What the others' writes must take less than, loop running: a starved writer would wait
    /// for the loop's end. Wide, for a machine busy with other suites (a 5 s bound failed once).
    private static let starved = Duration.seconds(20)

    /// Runs `body` while another thread increments `key` under `d`'s lock in a loop; returns how
    /// long `body` took, and expects the loop to have run all along.
    private func whileLooping<Key: Hashable & Sendable>(over d: UltraDict<Key, Int>, key: Key, _ body: () throws -> Void) throws -> Duration {
        let stop = DispatchSemaphore(value: 0)
        let loop = BackgroundCall {
            Result { () throws -> Int in
                var turns = 0
                let end = ContinuousClock.now + Self.longestLoop
                while stop.wait(timeout: .now()) == .timedOut, ContinuousClock.now < end {
                    try d.withLock { d in d[key, default: 0] += 1 }
                    turns += 1
                }
                return turns
            }
        }
        while d[key] == nil { Thread.sleep(forTimeInterval: 0.001) }
        let start = ContinuousClock.now
        try body()
        let took = ContinuousClock.now - start
        stop.signal()
        let turns = try loop.finish().result.get()
        #expect(d[key] == turns && turns > 0)
        return took
    }

    /// The tree `name`'s fencing counter: how many leases the server granted.
    private func fence(of name: String, in fixture: RedisFixture) throws -> Int {
        let value = try fixture.client.command("GET", "{\(name)}:fence").optionalBytes("the fence")
        return value.flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0
    }
}
