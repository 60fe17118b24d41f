import Foundation
import Testing
import UltraDict
import UltraDictTransport  // the control block's lock words, to record owners as other processes do
import _UltraDictTestSupport

/// The shared lock between real processes: each test launches the test helper.
@Suite("Multi-process locking", .serialized)
struct LockTests {
    @Test(arguments: TestStore.allCases)
    func aSigkilledOwnerIsTakenOverRightAfterTheTimeout(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let timeout = Duration.milliseconds(300)
        for trial in 0..<20 {
            let name = uniqueName()
            let d: UltraDict<String, Int> = try fixture.createDictionary(name, serializer: "msgpack")
            defer { d.unlink(); #expect(fixture.segments(of: name).isEmpty) }

            let holder = try fixture.helper(["hold-lock-and-wait", name])
            let owner = try holdingPID(of: holder)
            #expect(try d.status().lockOwnerPID == owner)
            kill(owner, SIGKILL)

            let started = ContinuousClock.now
            try d.withLock(timeout: timeout, stealAfterTimeout: true) { d in d["trial"] = trial }
            let waited = ContinuousClock.now - started
            #expect(waited >= timeout, "trial \(trial): took the lock over before the timeout")
            #expect(waited < timeout + .seconds(1), "trial \(trial): took \(waited) to take over from a dead owner")
            #expect(d["trial"] == trial)
            #expect(try d.status().lockHeld == false)
            #expect(holder.finish().status == SIGKILL)
        }
    }

    @Test(arguments: TestStore.allCases)
    func aLiveOwnerIsNeverRobbed(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let d: UltraDict<String, Int> = try fixture.createDictionary(name, serializer: "msgpack")
        defer { d.unlink(); #expect(fixture.segments(of: name).isEmpty) }

        let holder = try fixture.helper(["hold-lock-and-wait", name])
        let owner = try holdingPID(of: holder)
        // Three other processes and this one wait past their timeouts, asking to steal.
        let thieves = try fixture.runHelpersConcurrently(Array(repeating: ["try-lock", name, "300", "steal"], count: 3))
        for line in thieves {
            #expect(line.hasPrefix("lockTimeout:") && line.hasSuffix("held by pid \(owner)"), "\(line)")
        }
        #expect { try d.withLock(timeout: .milliseconds(300), stealAfterTimeout: true) { _ in } } throws: { error in
            UltraDictError.lockTimeout ~= error && "\(error)".hasSuffix("held by pid \(owner)")
        }
        #expect(try d.status().lockOwnerPID == owner)

        // The owner still holds it: its release succeeds.
        holder.send("done")
        let result = holder.finish()
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.lastLine == "released")
        #expect(try fixture.runHelper("try-lock", name, "300", "wait") == "acquired")
    }

    @Test(arguments: TestStore.allCases)
    func aReusedPidIsNotTakenForTheOwner(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let d: UltraDict<String, Int> = try fixture.createDictionary(name, serializer: "msgpack")
        defer { d.unlink(); #expect(fixture.segments(of: name).isEmpty) }
        let words = ControlBlock(segment: try fixture.store.segmentStore.attach(name: name, minimumSize: ControlLayout.size)).lockWords

        // A live process that never touched the lock, standing for one that got a dead owner's pid.
        let unrelated = Process()
        unrelated.executableURL = URL(fileURLWithPath: "/bin/sleep")
        unrelated.arguments = ["60"]
        try unrelated.run()
        defer { kill(unrelated.processIdentifier, SIGKILL); unrelated.waitUntilExit() }
        let pid = unrelated.processIdentifier
        let startTime = try #require(ProcessIdentity.startTime(of: pid))
        func recordOwner(startTime: UInt64) {
            // As the lock writes it: the pid, then the identity word (pid, low 32 bits of the start time), then the byte.
            words.ownerPID.store(UInt32(bitPattern: pid), ordering: .relaxed)
            words.ownerIdentity.store((startTime & 0xFFFF_FFFF) << 32 | UInt64(UInt32(bitPattern: pid)), ordering: .relaxed)
            words.lockByte.store(1, ordering: .releasing)
        }

        // Recorded with its own start time, it is the owner, alive: nobody takes the lock.
        recordOwner(startTime: startTime)
        #expect(try fixture.runHelper("try-lock", name, "200", "steal") == "lockTimeout: lock of '\(name)' not acquired within the timeout: held by pid \(pid)")
        #expect(try d.status().lockOwnerPID == pid)

        // Recorded with another start time, the owner was another process, now dead: taken over.
        recordOwner(startTime: startTime + 1)
        #expect(try fixture.runHelper("try-lock", name, "200", "steal") == "acquired")
        let status = try d.status()
        #expect(status.lockHeld == false && status.lockOwnerPID == 0)
    }

    @Test(arguments: TestStore.allCases)
    func waitersThatFindADeadOwnerTogetherNeverBothWin(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let d: UltraDict<String, Int> = try fixture.createDictionary(name, serializer: "msgpack")
        defer { d.unlink(); #expect(fixture.segments(of: name).isEmpty) }

        let holder = try fixture.helper(["hold-lock-and-wait", name])
        kill(try holdingPID(of: holder), SIGKILL)
        _ = holder.finish()
        // Four processes wait 100 ms, find the owner dead at about the same time and race to take
        // over; if two won, they would both add 1 to the same value and lose a count.
        try fixture.runHelpersConcurrently(Array(repeating: ["steal-increment", name, "counter", "250"], count: 4))
        #expect(d["counter"] == 1_000)
    }

    @Test(arguments: TestStore.allCases)
    func eightThreadsInEachOfFourProcessesCountExactly(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let d: UltraDict<String, Int> = try fixture.createDictionary(name, serializer: "msgpack")
        defer { d.unlink(); #expect(fixture.segments(of: name).isEmpty) }

        try fixture.runHelpersConcurrently(Array(repeating: ["increment-threads", name, "counter", "8", "1000"], count: 4))
        #expect(d["counter"] == 32_000)
        #expect(try d.status().lockHeld == false)
    }

    @Test(arguments: TestStore.allCases)
    func aChildForkedInsideTheLockDoesNotHoldIt(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let d: UltraDict<String, Int> = try fixture.createDictionary(name, serializer: "msgpack")
        defer { d.unlink(); #expect(fixture.segments(of: name).isEmpty) }

        // The child's write and its release both throw; the parent's release succeeds.
        #expect(try fixture.runHelper("fork-while-holding", name) == "child exit 0, key absent")
        #expect(try d.status().lockHeld == false)
    }

    /// What the lock's holder reads and writes starts from everything other processes published
    /// before it, even what this handle has not read yet: a removal finds an entry that only
    /// another process wrote, and a full dump (`dump()`, or `update(with:)` large enough for one)
    /// keeps what others wrote since this handle last looked.
    @Test(arguments: TestStore.allCases)
    func lockedOperationsStartFromWhatOthersPublished(store: TestStore) throws {
        let fixture = try StoreFixture(store)
        defer { fixture.remove() }
        let name = uniqueName()
        let d: UltraDict<Int, Int> = try fixture.createDictionary(name, serializer: "msgpack")
        defer { d.unlink() }
        try fixture.runHelper("write-range", name, "0", "10")
        #expect(try d.withLock { d in try d.removeValue(forKey: 3) } == 3)
        try fixture.runHelper("write-range", name, "10", "20")
        try d.dump()
        try fixture.runHelper("write-range", name, "20", "30")
        let dumps = try d.status().fullDumpCounter
        try d.update(with: Dictionary(uniqueKeysWithValues: (100..<20_000).map { ($0, $0) }))
        #expect(try d.status().fullDumpCounter == dumps + 1, "the update was one full dump")
        try fixture.runHelper("write-range", name, "30", "40")
        try d.withLock { d in d[40] = d[39, default: 0] + 1 }
        var expected = Dictionary(uniqueKeysWithValues: ((0..<40).filter { $0 != 3 } + (100..<20_000)).map { ($0, $0) })
        expected[40] = 40
        let other: UltraDict<Int, Int> = try UltraDict(name: name, create: false, configuration: UltraDictConfiguration(store: fixture.store))
        let snapshot = other.snapshot
        let wrong = Set(snapshot.keys).symmetricDifference(expected.keys).union(expected.keys.filter { snapshot[$0] != expected[$0] })
        #expect(wrong.isEmpty, "\(wrong.count) keys differ, among them \(wrong.sorted().prefix(5))")
        other.close()
    }
}
