import Foundation
import Testing
import UltraDict
import UltraDictRedis
import _UltraDictSerializerRegistry
import _UltraDictTestSupport

/// Processes sharing a dictionary on a Redis server of the test's own, per serializer: what the
/// multi-process suite checks in shared memory, over Redis.
@Suite("Processes over Redis")
struct RedisProcessesTests {
    @Test(arguments: serializerNames)
    func writersInTwoProcessesAreSeenByAThird(serializer: String) throws {
        let fixture = try RedisFixture()
        let name = uniqueName()
        let d: UltraDict<Int, Int> = try fixture.create(name, serializer: serializer)
        defer { d.unlink() }
        _ = try fixture.run([["write-range", name, "0", "500"], ["write-range", name, "500", "1000"]], serializer: serializer)
        #expect(try fixture.run([["count", name]], serializer: serializer) == ["count 1000"])
        #expect(d.count == 1000 && d[999] == 999)
        _ = try fixture.run([["delete-range", name, "0", "900"]], serializer: serializer)
        #expect(d.snapshot == Dictionary(uniqueKeysWithValues: (900..<1000).map { ($0, $0) }))
    }

    @Test(arguments: serializerNames)
    func lockedIncrementsInThreeProcessesStayExact(serializer: String) throws {
        let fixture = try RedisFixture()
        let name = uniqueName()
        let d: UltraDict<String, Int> = try fixture.create(name, serializer: serializer)
        defer { d.unlink() }
        _ = try fixture.run(Array(repeating: ["increment-threads", name, "n", "2", "150"], count: 3), serializer: serializer)
        #expect(d["n"] == 900)
    }

    /// While another process holds the lock, a write under the lock here times out naming the
    /// lease, and succeeds once the holder releases it; a plain write waits for it too.
    @Test func aLockHeldByAnotherProcessExcludesThisOne() throws {
        let fixture = try RedisFixture()
        let name = uniqueName()
        let d: UltraDict<String, Int> = try fixture.create(name, serializer: "msgpack")
        defer { d.unlink() }
        let holder = try fixture.helper(["hold-lock-and-wait", name], serializer: "msgpack")
        #expect(holder.readLine().hasPrefix("holding "))
        expectError(.lockTimeout) { try d.withLock(timeout: .milliseconds(200)) { d in d["x"] = 1 } }
        // A lease cannot be stolen: the holder lives, and a dead one's lease expires by itself.
        expectError(.lockTimeout) { try d.withLock(timeout: .milliseconds(100), stealAfterTimeout: true) { d in d["x"] = 1 } }
        let plainWrite = BackgroundCall { Result { try d.updateValue(2, forKey: "y") } }
        Thread.sleep(forTimeInterval: 0.2)
        #expect(d["y"] == nil, "a plain write went in while another process held the lock")
        holder.send("release")
        #expect(holder.finish().status == 0)
        _ = try plainWrite.finish().result.get()
        try d.withLock(timeout: .seconds(5)) { d in d["x"] = 1 }
        #expect(d.snapshot == ["x": 1, "y": 2])
    }

    /// `changes()` here yields every change another process makes, in order.
    @Test func changesFromAnotherProcessArriveInOrder() async throws {
        guard #available(macOS 15, *) else { Issue.record("task executors need macOS 15"); return }
        try await onThreadsOfItsOwn { _ in
            let fixture = try RedisFixture()
            let name = uniqueName()
            let d: UltraDict<Int, Int> = try fixture.create(name, serializer: "msgpack")
            defer { d.unlink() }
            var changes = d.changes().makeAsyncIterator()
            _ = try fixture.run([["write-range", name, "0", "50"]], serializer: "msgpack")
            var seen: [UltraDictChange<Int, Int>] = []
            while seen.count < 50, let change = try await changes.next() { seen.append(change) }
            #expect(seen == (0..<50).map { .set($0, $0) })
        }
    }

    /// With `readsCatchUp`, a read sees every write that returned before it, in any process.
    @Test func readsThatCatchUpSeeEveryEarlierWrite() throws {
        let server = try RedisServer()
        let name = uniqueName()
        let reader = try UltraDict<String, Int>(
            name: name, create: true, configuration: UltraDictConfiguration(store: try .redis(server.url, options: RedisOptions(readsCatchUp: true)))
        )
        defer { reader.unlink() }
        let writer = try ChildProcess("UltraDictTestHelper", ["write-on-line", name, "20", "--redis", server.url])
        #expect(writer.readLine() == "ready")
        for round in 1...20 {
            writer.send("write")
            #expect(writer.readLine() == "written \(round)")
            #expect(reader["n"] == round)
        }
        #expect(writer.finish().status == 0)
    }

    /// A lock holder stopped (SIGSTOP) past its lease loses the lock: another process takes it
    /// and counts under it, and the stopped one, continued, cannot write (`lockStolen`): the
    /// counter stays exact.
    @Test func aHolderStoppedPastItsLeaseIsFenced() throws {
        let fixture = try RedisFixture()
        let name = uniqueName()
        let d: UltraDict<String, Int> = try fixture.create(name, serializer: "msgpack")
        defer { d.unlink() }
        let holder = try ChildProcess("UltraDictTestHelper", ["hold-lock-then-write", name, "n", "--redis", fixture.server.url, "--lease-ms", "300"])
        let pid = try holdingPID(of: holder)
        kill(pid, SIGSTOP)
        let start = ContinuousClock.now
        for _ in 0..<50 { try d.withLock(timeout: .seconds(5)) { d in d["n", default: 0] += 1 } }
        #expect(ContinuousClock.now - start < .seconds(3), "the lease of a stopped holder held the lock for \(ContinuousClock.now - start)")
        kill(pid, SIGCONT)
        holder.send("write")
        let result = holder.finish()
        #expect(result.lastLine == "lockStolen", "the fenced holder said \(result.lastLine): \(result.errors)")
        #expect(d["n"] == 50)
    }

    /// A holder that lives renews its lease however long its body runs: another process, whose
    /// lease would have expired three times over, never gets the lock meanwhile, and the
    /// holder's write at the end is accepted.
    @Test func aLiveHolderKeepsItsLeasePastItsLength() throws {
        let fixture = try RedisFixture()
        let name = uniqueName()
        let store = try UltraDictStore.redis(fixture.server.url, options: RedisOptions(lease: .milliseconds(300)))
        let d = try UltraDict<String, Int>(name: name, create: true, configuration: UltraDictConfiguration(store: store))
        defer { d.unlink() }
        try d.withLock { d in
            let other = try fixture.helper(["try-lock", name, "1000", "wait"], serializer: "msgpack")
            #expect(other.finish().lastLine.hasPrefix("lockTimeout"), "another process took the lock of a live holder")
            d["n"] = 1
        }
        #expect(d["n"] == 1)
    }

    /// Unlinking the dictionary on the server (here by name, as any process may) ends the change sequences, within
    /// the subscriber's existence check (a second of quiet) and a slice.
    @Test func unlinkingOnTheServerEndsChangeSequences() async throws {
        guard #available(macOS 15, *) else { Issue.record("task executors need macOS 15"); return }
        try await onThreadsOfItsOwn { _ in
            let fixture = try RedisFixture()
            let name = uniqueName()
            let d: UltraDict<Int, Int> = try fixture.create(name, serializer: "msgpack")
            defer { d.close() }
            var changes = d.changes().makeAsyncIterator()
            _ = try fixture.run([["write-range", name, "0", "1"]], serializer: "msgpack")
            #expect(try await changes.next() == .set(0, 0))
            let unlinked = ContinuousClock.now
            #expect(try UltraDict<Int, Int>.unlink(name: name, store: fixture.store))
            #expect(try await changes.next() == nil)
            #expect(ContinuousClock.now - unlinked < .milliseconds(2500))
        }
    }

    /// A lock holder killed with SIGKILL leaves the dictionary readable and writable: its lease
    /// expires by itself, another process takes the lock, and every acknowledged write is there.
    @Test func aKilledHolderLeavesTheDictionaryUsable() throws {
        let fixture = try RedisFixture()
        let name = uniqueName()
        let d: UltraDict<String, Int> = try fixture.create(name, serializer: "msgpack")
        defer { d.unlink() }
        _ = try fixture.run([["increment-threads", name, "n", "1", "20"]], serializer: "msgpack")
        let holder = try ChildProcess("UltraDictTestHelper", ["hold-lock-and-wait", name, "--redis", fixture.server.url, "--lease-ms", "500"])
        let pid = try holdingPID(of: holder)
        kill(pid, SIGKILL)
        _ = holder.finish()
        let killed = ContinuousClock.now
        try d.withLock(timeout: .seconds(5)) { d in d["n", default: 0] += 1 }
        #expect(ContinuousClock.now - killed < .seconds(2), "the dead holder's lease held the lock for \(ContinuousClock.now - killed)")
        _ = try fixture.run([["increment-threads", name, "n", "2", "20"]], serializer: "msgpack")
        #expect(d["n"] == 61)
    }

    /// Nested dictionaries on Redis, per serializer: four processes increment a counter two
    /// levels down under the root's lock, exactly; every key of the tree shares the root's hash
    /// tag; replacing a nested value removes its dictionaries, and unlinking the root removes
    /// every key of the tree.
    @Test(arguments: serializerNames)
    func nestedDictionariesAreSharedAndRemovedWithTheirRoot(serializer: String) throws {
        let fixture = try RedisFixture()
        let name = uniqueName()
        let root: UltraDict<UltraValue, UltraValue> = try fixture.create(name, serializer: serializer, recurse: true)
        root["nested"] = ["deeper": ["counter": 0]]
        let arguments = ["nested-increment", name, "nested.deeper.counter", "250"]
        _ = try fixture.run(Array(repeating: arguments, count: 4), serializer: serializer)
        #expect(try root.nested("nested")?.nested("deeper")?.value(forKey: "counter") == 1000)
        #expect(root["nested"] == ["deeper": ["counter": 1000]])

        let keys = try fixture.keys()
        #expect(!keys.isEmpty && keys.allSatisfy { $0.hasPrefix("{\(name)}") }, "\(keys)")
        #expect(keys.filter { $0.hasSuffix(":meta") }.count == 4, "root, register and two nested dictionaries: \(keys)")
        root["nested"] = 5
        #expect(try fixture.keys().filter { $0.hasSuffix(":meta") }.count == 2, "root and register")
        root["again"] = ["x": 1]
        root.unlink()
        #expect(try fixture.keys().isEmpty)
    }

    /// `waitForChanges(timeout:)` returns once another process writes: the subscriber's append to
    /// the replica wakes it.
    @Test func waitForChangesReturnsOnAWriteInAnotherProcess() throws {
        let fixture = try RedisFixture()
        let name = uniqueName()
        let d: UltraDict<Int, Int> = try fixture.create(name)
        defer { d.unlink() }
        let waiter = BackgroundCall { Result { try d.waitForChanges(timeout: .seconds(10)) } }
        Thread.sleep(forTimeInterval: 0.05)
        let start = ContinuousClock.now
        try fixture.run([["write-range", name, "0", "1"]])
        let (changed, end) = waiter.finish()
        #expect(try changed.get())
        #expect(end - start < .seconds(2))
        #expect(d[0] == 0)
    }

    /// A handle that reads only its replica (no `readsCatchUp`) sees another process's change
    /// while it writes (its writes bring it) and after it stopped writing (its subscriber, which
    /// reads nothing during the 10 ms after a write, brings it then; given 500 ms here).
    @Test func aWritingProcessSeesAnotherProcessesChanges() throws {
        let fixture = try RedisFixture()
        let name = uniqueName()
        let d = try UltraDict<Int, Int>(name: name, configuration: UltraDictConfiguration(autoUnlink: true, store: .redis(fixture.server.url)))
        defer { d.unlink() }
        let other = try fixture.helper(["write-range", name, "1000", "1001"])
        var writes = 0
        while d[1000] == nil, writes < 10_000 {
            d[0] = writes
            writes += 1
            usleep(500)
        }
        #expect(other.finish().status == 0)
        #expect(d[1000] == 1000, "not seen in \(writes) writes")
        try fixture.run([["write-range", name, "2000", "2001"]])
        let start = ContinuousClock.now
        while d[2000] == nil, ContinuousClock.now - start < .seconds(2) { usleep(1000) }
        #expect(d[2000] == 2000)
        #expect(ContinuousClock.now - start < .milliseconds(500), "the subscriber's pause is 10 ms (here given more, for a busy machine)")
    }
}
