import Foundation
import Testing
import UltraDict
import UltraDictRedis
import _UltraDictTestSupport

/// Processes on two hosts sharing a dictionary on a Redis server on a third (DESIGN §10): the
/// hosts are network namespaces, each with a link of its own to the server's
/// (``NetworkHosts``, which needs root), so that a test can cut one host off and bring it back.
/// Serialized: the tests change links and measure time.
@Suite("Hosts over Redis", .serialized, .enabled(if: NetworkHosts.isAvailable, "network namespaces need root and ip (iproute2)"))
struct RedisHostsTests {
    /// Hosts a and b, a server that listens on each host's link and on a Unix socket for this
    /// process (which runs on neither host), and helpers started on the hosts.
    final class Fixture {
        let hosts: NetworkHosts
        let server: RedisServer
        /// This process's store: the server's Unix socket.
        let store: UltraDictStore

        init() throws {
            hosts = try NetworkHosts(hosts: ["a", "b"])
            server = try RedisServer(unixSocket: true, namespace: hosts.serverNamespace, bindAddresses: hosts.hosts.map(\.serverAddress))
            store = try .redis(server.url)
        }

        /// Starts the test helper on host `label`, with the server's address on that host's link.
        func helper(on label: String, _ arguments: [String], options: [String] = []) throws -> ChildProcess {
            let host = hosts[label]
            return try ChildProcess("UltraDictTestHelper", arguments + ["--redis", server.url(at: host.serverAddress)] + options, inNamespace: host.namespace)
        }

        /// Kills the server and every process left on the hosts, and removes the hosts.
        func tearDown() {
            server.kill()
            hosts.remove()
        }
    }

    /// Two processes on each host at once, one writing its own range of keys, one counting under
    /// the lock on two threads; then a fresh reader on each host sees every key and the exact count.
    @Test func processesOnTwoHostsShareOneDictionary() throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let (name, counterName) = (uniqueName(), uniqueName())
        let d = try UltraDict<Int, Int>(name: name, create: true, configuration: UltraDictConfiguration(store: fixture.store))
        defer { d.unlink() }
        let counter = try UltraDict<String, Int>(name: counterName, create: true, configuration: UltraDictConfiguration(store: fixture.store))
        defer { counter.unlink() }
        let children = try [
            fixture.helper(on: "a", ["write-range", name, "0", "500"]),
            fixture.helper(on: "b", ["write-range", name, "500", "1000"]),
            fixture.helper(on: "a", ["increment-threads", counterName, "n", "2", "100"]),
            fixture.helper(on: "b", ["increment-threads", counterName, "n", "2", "100"]),
        ]
        for child in children {
            let result = child.finish()
            #expect(result.status == 0, "\(result.errors)")
        }
        for host in ["a", "b"] {
            let entries = try fixture.helper(on: host, ["dump-all", name]).finishWithOutput()
            #expect(entries.status == 0, "\(entries.errors)")
            let missing = Set((0..<1000).map { "\($0)=\($0)" }).subtracting(entries.lines)
            #expect(missing.isEmpty && entries.lines.count == 1001, "host \(host) read \(entries.lines.count - 1) entries; \(missing.count) missing")
            #expect(entries.lines.last?.hasPrefix("count 1000 ") == true, "host \(host) said \(entries.lines.last ?? "nothing")")
            let count = try fixture.helper(on: host, ["increment", counterName, "n", "0"]).finish()
            #expect(count.lastLine == "value 400", "host \(host): \(count.errors)")
        }
        #expect(try d.withLock { d in d.snapshot } == Dictionary(uniqueKeysWithValues: (0..<1000).map { ($0, $0) }))
        #expect(try counter.withLock { counter in counter["n"] } == 400)
    }

    /// Host a's link goes down for 3 seconds while a writer on each host writes every 10 ms.
    ///
    /// a's writes throw `connection`, each within its command timeout (500 ms); a's reads serve its
    /// replica and `lastReadError` says `connection`; once the link is back, a writes again and its
    /// replica catches up with what b wrote meanwhile. b never notices: no write fails, none
    /// waits long, its reads report nothing. At the end, a fresh reader has every acknowledged
    /// write with its value, and the server's log has each acknowledged write once, and no write
    /// twice (a write whose reply the partition lost may be there once, unacknowledged).
    @Test func aHostCutOffFailsItsWritesServesItsReplicaAndCatchesUp() throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let name = uniqueName()
        var configuration = UltraDictConfiguration(store: fixture.store)
        configuration.autoUnlink = false
        try UltraDict<String, Int>(name: name, create: true, configuration: configuration).close()
        defer { _ = try? UltraDict<String, Int>.unlink(name: name, store: fixture.store) }

        let commandTimeout = 500
        let options = ["--command-timeout-ms", String(commandTimeout), "--connect-timeout-ms", String(commandTimeout)]
        let a = try PartitionWriter(fixture.helper(on: "a", ["partition-writer", name, "a:", "10"], options: options))
        let b = try PartitionWriter(fixture.helper(on: "b", ["partition-writer", name, "b:", "10"], options: options))
        for writer in [a, b] { try #require(writer.lines.wait(for: .seconds(10)) { $0.contains("ready") }, "\(writer.lines.all)") }
        Thread.sleep(forTimeInterval: 1)

        // Before: each host's replica has the other's writes.
        let (aBefore, bBefore) = try (#require(a.acks.last), #require(b.acks.last))
        #expect(eventually { b.status(of: "a:\(aBefore.index)")?.value == aBefore.index }, "b does not see a's writes")
        #expect(eventually { a.status(of: "b:\(bBefore.index)")?.value == bBefore.index }, "a does not see b's writes")
        let countBefore = try #require(a.status(of: "none")).count

        let downStart = monotonicMilliseconds()
        try fixture.hosts.setLink(of: fixture.hosts["a"], up: false)
        let downEnd = monotonicMilliseconds()
        // Past a command timeout and the subscriber's slice: a's subscriber has failed by now.
        Thread.sleep(forTimeInterval: 1.5)
        let lastAckBeforeDown = try #require(a.acks.last { $0.at <= downEnd })
        let readStart = monotonicMilliseconds()
        let aDuring = a.status(of: "a:\(lastAckBeforeDown.index)")
        let readTook = monotonicMilliseconds() - readStart
        #expect(aDuring?.error == "connection", "a's lastReadError during the partition: \(aDuring?.error ?? "no answer")")
        #expect(aDuring?.value == lastAckBeforeDown.index, "a's replica during the partition: \(String(describing: aDuring))")
        #expect((aDuring?.count ?? 0) >= countBefore, "a's replica lost entries: \(aDuring?.count ?? 0) < \(countBefore)")
        #expect(readTook < commandTimeout, "a's read during the partition took \(readTook) ms")
        #expect(b.status(of: "none")?.error == "none", "b noticed a's partition")
        Thread.sleep(forTimeInterval: max(0, Double(downStart + 3000 - monotonicMilliseconds()) / 1000))

        let upStart = monotonicMilliseconds()
        try fixture.hosts.setLink(of: fixture.hosts["a"], up: true)
        let upEnd = monotonicMilliseconds()
        #expect(a.lines.wait(for: .seconds(5)) { _ in a.acks.contains { $0.at > upEnd } }, "a writes nothing after its link is back")
        let recovered = a.acks.first { $0.at > upEnd }?.at ?? Int.max
        let bDuringPartition = try #require(b.acks.last { $0.at < upStart })
        var caughtUp = Int.max
        #expect(eventually(for: .seconds(5)) {
            let status = a.status(of: "b:\(bDuringPartition.index)")
            caughtUp = monotonicMilliseconds()
            return status?.value == bDuringPartition.index && status?.error == "none"
        }, "a's replica does not catch up with b's writes during the partition")
        Thread.sleep(forTimeInterval: 0.3)
        let (aEnd, bEnd) = (a.stop(), b.stop())
        #expect(aEnd.status == 0 && bEnd.status == 0, "a: \(aEnd.errors) b: \(bEnd.errors)")

        // a: its writes failed only around the partition, with `connection`, each within the timeout.
        let aErrors = a.errors
        #expect(!aErrors.isEmpty, "no write of a failed while its link was down")
        for error in aErrors {
            #expect(error.code == "connection" && error.took <= commandTimeout + 200, "a's write failed with \(error.code) after \(error.took) ms")
            #expect(error.at >= downStart && error.at <= upEnd + 2000, "a's write failed \(error.at - downStart) ms after the link went down")
        }
        #expect(!a.acks.contains { $0.at > downEnd + 100 && $0.at < upStart }, "a acknowledged a write while its link was down")
        #expect(recovered - upEnd < 2000, "a's first write after the link came back returned \(recovered - upEnd) ms after it")
        // b: never noticed. No write failed, none waited long, it kept its pace.
        #expect(b.errors.isEmpty, "b's writes failed: \(b.errors)")
        let bAcks = b.acks
        let longestWait = zip(bAcks, bAcks.dropFirst()).filter { $1.at >= downStart && $0.at <= recovered }.map { $1.at - $0.at }.max() ?? Int.max
        #expect(longestWait < commandTimeout, "b waited \(longestWait) ms between two writes during a's partition")
        let rate = { (from: Int, to: Int) in Double(bAcks.filter { $0.at >= from && $0.at < to }.count) / Double(to - from) }
        let (rateBefore, rateDuring) = (rate(downStart - 1000, downStart), rate(downStart, upEnd))
        #expect(rateDuring >= rateBefore / 2, "b wrote \(rateDuring * 1000)/s during a's partition, \(rateBefore * 1000)/s before")

        // No acknowledged write lost, none applied twice.
        let (aAcked, bAcked) = (Set(a.acks.map(\.index)), Set(b.acks.map(\.index)))
        let reader = try UltraDict<String, Int>(name: name, configuration: UltraDictConfiguration(store: fixture.store))
        let entries = reader.snapshot
        reader.close()
        #expect(aAcked.filter { entries["a:\($0)"] != $0 }.sorted() == [], "a's acknowledged writes missing")
        #expect(bAcked.filter { entries["b:\($0)"] != $0 }.sorted() == [], "b's acknowledged writes missing")
        let records = try logRecords(of: name, on: fixture.server)
        #expect(records.filter { index(in: $0.key) != $0.value }.isEmpty, "records that no writer wrote: \(records.filter { index(in: $0.key) != $0.value }.prefix(5))")
        let writes = Dictionary(grouping: records, by: \.key).mapValues(\.count)
        #expect(writes.filter { $0.value > 1 }.keys.sorted() == [], "writes applied more than once")
        #expect(aAcked.filter { writes["a:\($0)"] != 1 }.sorted() == [], "a's acknowledged writes not in the log once")
        #expect(bAcked.filter { writes["b:\($0)"] != 1 }.sorted() == [], "b's acknowledged writes not in the log once")
        let (aWritten, bWritten) = (writes.keys.filter { $0.hasPrefix("a:") }, writes.keys.filter { $0.hasPrefix("b:") })
        #expect(bWritten.count == bAcked.count, "b's writes in the log: \(bWritten.count), acknowledged: \(bAcked.count)")
        let unacknowledged = aWritten.compactMap { index(in: $0) }.filter { !aAcked.contains($0) }
        #expect(unacknowledged.allSatisfy { $0 <= aEnd.last }, "a's writes in the log after its last: \(unacknowledged)")
        print("""
            partition: a failed \(aErrors.count) writes (the longest \(aErrors.map(\.took).max() ?? 0) ms), \(unacknowledged.count) of them \
            in the log; wrote again \(recovered - upEnd) ms and caught up \(caughtUp - upEnd) ms after the link came back; \
            b wrote \(Int(rateBefore * 1000))/s before, \(Int(rateDuring * 1000))/s during, waited \(longestWait) ms at most; \
            \(records.count) records; a's read during the partition took \(readTook) ms
            """)
    }

    /// A write that threw `connection` does not land after a later write that returned: host a's
    /// link goes down, `x = 1` throws after its timeout, the link comes back, `x = 2` returns,
    /// and `x` stays 2. (A connection closed normally would let the kernel retransmit the
    /// request once the link is back, after `x = 2`: the client closes it abortively.)
    @Test func aWriteThatThrewDoesNotLandAfterALaterOne() throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let name = uniqueName()
        let d = try UltraDict<String, Int>(name: name, create: true, configuration: UltraDictConfiguration(store: fixture.store))
        defer { d.unlink() }
        let writer = try fixture.helper(on: "a", ["write-lines", name], options: ["--command-timeout-ms", "500", "--connect-timeout-ms", "500"])
        #expect(writer.readLine() == "ready")
        writer.send("x 0")
        #expect(writer.readLine() == "ack x 0")
        try fixture.hosts.setLink(of: fixture.hosts["a"], up: false)
        writer.send("x 1")
        let failed = writer.readLine()
        try #require(failed.hasPrefix("error connection "), "the write during the partition: \(failed)")
        try fixture.hosts.setLink(of: fixture.hosts["a"], up: true)
        // The first attempt usually succeeds; one that the link drops while it comes up may land
        // later too, but it writes 2 as well.
        let linkUp = ContinuousClock.now
        var answer = ""
        while answer != "ack x 2" && ContinuousClock.now - linkUp < .seconds(3) {
            writer.send("x 2")
            answer = writer.readLine()
        }
        try #require(answer == "ack x 2", "no write returned after the link came back: \(answer)")
        // The kernel retransmits 0.2, 0.6, 1.4 seconds after the first send: watch past that.
        var seen: [Int?] = []
        while ContinuousClock.now - linkUp < .seconds(2) {
            seen.append(try d.withLock { d in d["x"] })
            Thread.sleep(forTimeInterval: 0.1)
        }
        writer.send("x 3")
        #expect(writer.readLine() == "ack x 3")
        #expect(seen.allSatisfy { $0 == 2 }, "x after the acknowledged x = 2: \(seen.map { $0.map(String.init) ?? "nil" })")
    }

    /// The updates in `{NAME}:log` on `server`, as string keys and integer values, in order;
    /// expects no full dump (which would have trimmed the log) and no deletion.
    private func logRecords(of name: String, on server: RedisServer, sourceLocation: SourceLocation = #_sourceLocation) throws -> [(key: String, value: Int)] {
        let client = RedisClient(url: try RedisURL(server.url))
        #expect(try client.command("EXISTS", "{\(name)}:dump") == .integer(0), "a full dump trimmed the log", sourceLocation: sourceLocation)
        var (records, after) = ([(key: String, value: Int)](), "-")
        while true {
            let page = try client.command("XRANGE", "{\(name)}:log", after, "+", "COUNT", "1000").array()
            for entry in page {
                let parts = try entry.array()
                let (id, fields) = try (parts[0].string(), parts[1].array())
                try #require(fields.count == 2 && fields[0] == .bulk(Array("r".utf8)), "log entry \(id) is not a record", sourceLocation: sourceLocation)
                let update = try fields[1].bytes().withUnsafeBytes { try MessagePackSerializer().decodeUpdate($0) }
                guard update.isSet, case .string(let key) = update.key, let value = update.value.intValue else {
                    Issue.record("log entry \(id) is \(update)", sourceLocation: sourceLocation)
                    continue
                }
                records.append((key, Int(value)))
            }
            guard page.count == 1000, let last = page.last else { return records }
            after = "(" + (try last.array()[0].string())
        }
    }
}

/// A partition-writer helper (`partition-writer NAME PREFIX MILLISECONDS`), its output collected
/// as it comes.
final class PartitionWriter {
    let child: ChildProcess
    let lines: OutputLines

    init(_ child: ChildProcess) {
        self.child = child
        lines = OutputLines(of: child)
    }

    /// The writes acknowledged so far: "ack I AT".
    var acks: [(index: Int, at: Int)] {
        lines.all.compactMap { line in
            let words = line.split(separator: " ")
            guard words.count == 3, words[0] == "ack", let index = Int(words[1]), let at = Int(words[2]) else { return nil }
            return (index, at)
        }
    }

    /// The writes that threw so far: "error CODE TOOK AT".
    var errors: [(code: String, took: Int, at: Int)] {
        lines.all.compactMap { line in
            let words = line.split(separator: " ")
            guard words.count == 4, words[0] == "error", let took = Int(words[2]), let at = Int(words[3]) else { return nil }
            return (String(words[1]), took, at)
        }
    }

    /// Asks for the writer's `lastReadError`, its replica's count and `key`'s value; `nil` when
    /// no answer comes within `timeout`.
    func status(of key: String, timeout: Duration = .seconds(2)) -> (error: String, count: Int, value: Int?)? {
        let asked = lines.all.filter { $0.hasPrefix("status ") }.count
        child.send("status \(key)")
        guard lines.wait(for: timeout, until: { $0.filter { $0.hasPrefix("status ") }.count > asked }),
              let answer = lines.all.last(where: { $0.hasPrefix("status ") }) else { return nil }
        let words = answer.split(separator: " ").map(String.init)
        guard words.count == 4, let count = Int(words[2]) else { return nil }
        return (words[1], count, Int(words[3]))
    }

    /// Stops the writer and waits for it: its exit status, its last index ("done I") and its errors.
    func stop() -> (status: Int32, last: Int, errors: String) {
        child.send("stop")
        _ = lines.wait(for: .seconds(10)) { _ in lines.hasEnded }
        let result = child.finish()
        let last = lines.all.last(where: { $0.hasPrefix("done ") }).flatMap { Int($0.dropFirst("done ".count)) } ?? -1
        return (result.status, last, result.errors)
    }
}

/// The lines a child prints, read by a thread of their own as they come, so that a test can wait
/// for one while the child goes on.
final class OutputLines: @unchecked Sendable {
    private let condition = NSCondition()
    private var lines: [String] = []
    private var ended = false

    init(of child: ChildProcess) {
        let output = child.standardOutput
        Thread { [self] in
            var pending = Data()
            while case let chunk = output.availableData, !chunk.isEmpty {
                pending.append(chunk)
                var complete: [String] = []
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    complete.append(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                    pending.removeSubrange(pending.startIndex...newline)
                }
                condition.withLock {
                    lines += complete
                    condition.broadcast()
                }
            }
            condition.withLock {
                ended = true
                condition.broadcast()
            }
        }.start()
    }

    /// The lines so far.
    var all: [String] { condition.withLock { lines } }

    /// Whether the child closed its output (it exited).
    var hasEnded: Bool { condition.withLock { ended } }

    /// Waits until `predicate` holds for the lines so far, or `timeout` passes; returns whether it held.
    func wait(for timeout: Duration, until predicate: ([String]) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
        condition.lock()
        defer { condition.unlock() }
        while true {
            // Outside the lock: the predicate may look again (`all`, `hasEnded`).
            let (current, endedBefore) = (lines, ended)
            condition.unlock()
            let holds = predicate(current)
            condition.lock()
            if holds { return true }
            guard lines.count == current.count && ended == endedBefore else { continue }
            if ended || !condition.wait(until: deadline) { return false }
        }
    }
}

/// The index of a partition writer's key, `PREFIX:I` (`a:17` is 17).
private func index(in key: String) -> Int? {
    key.firstIndex(of: ":").flatMap { Int(key[key.index(after: $0)...]) }
}

/// Calls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
private func eventually(for timeout: Duration = .seconds(3), _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        Thread.sleep(forTimeInterval: 0.05)
    }
}

/// CLOCK_MONOTONIC in milliseconds: the clock the partition writers stamp their lines with.
private func monotonicMilliseconds() -> Int {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Int(time.tv_sec) * 1000 + Int(time.tv_nsec) / 1_000_000
}
