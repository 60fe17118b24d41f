#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Testing
import UltraDictCore
import UltraDictRedis
import _UltraDictTestSupport

/// The decoders of what the server answers, fed hostile answers without a server: every count,
/// number, ID and order is checked, and a bad one throws `corruptData`, never traps.
@Suite struct ServerAnswersTests {
    /// The ID `text`, which must parse.
    private func id(_ text: String) throws -> StreamID { try StreamID(Array(text.utf8)) }

    /// A log entry `id` holding the record `[byte]`, as the server sends it.
    private func entry(_ text: String, _ byte: UInt8 = 1) throws -> RedisReply {
        StreamEntry(id: try id(text), content: .record([byte])).reply
    }

    @Test func streamIDsAreReadStrictly() throws {
        #expect(try id("0-0") == .zero)
        #expect(try id("1526919030474-55") == StreamID(milliseconds: 1_526_919_030_474, sequence: 55))
        #expect(try id("18446744073709551615-18446744073709551615").description == "18446744073709551615-18446744073709551615")
        for hostile in ["+1-0", "-1-0", "1--1", "01-0", "1-01", "00-0", "18446744073709551616-0", "1-18446744073709551616", "1-", "-1", "1", "", "1-2-3", "1 -2", "1-2 ", "١-2"] {
            expectError(.corruptData) { try StreamID(Array(hostile.utf8)) }
        }
    }

    @Test func aLogPageMustComeInOrderAfterTheRequestedID() throws {
        let after = try id("5-0")
        let page = try LogPage(.array([entry("5-1"), entry("6-0"), StreamEntry(id: id("6-1"), content: .fullDump).reply]), after: after)
        #expect(page.entries.map(\.id.description) == ["5-1", "6-0", "6-1"])
        #expect(page.entries[2].content == .fullDump)
        #expect(try LogPage(.array([]), after: after).entries.isEmpty)
        #expect(try LogPage(read: .null, after: after).entries.isEmpty)
        #expect(try LogPage(read: .array([.array([.bulk(Array("{d}:log".utf8)), .array([entry("7-0")])])]), after: after).entries.count == 1)

        let refused: [RedisReply] = try [
            .array([entry("6-0"), entry("5-1")]), // backwards
            .array([entry("6-0"), entry("6-0")]), // twice
            .array([entry("5-0")]), // the requested start itself
            .array([entry("4-9")]), // before it
            .array([.array([.bulk(Array("6-0".utf8)), .array([.bulk(Array("x".utf8)), .bulk([])])])]), // another field
            .array([.array([.bulk(Array("6-0".utf8)), .array([])])]), // no field
            .bulk([]),
        ]
        for reply in refused { expectError(.corruptData) { try LogPage(reply, after: after) } }
        let tooMany = try (0...LogPage.size).map { try entry("6-\($0)") }
        expectError(.corruptData) { try LogPage(.array(tooMany), after: after) }
        expectError(.corruptData) { try LogPage(.array([entry("6-0"), entry("7-0")]), after: after, before: id("7-0")) }
        expectError(.corruptData) { try LogPage(read: .array([]), after: after) }
    }

    @Test func aLeaseAnswerIsAFenceAndEntriesOrTheTimeLeft() throws {
        let granted = try LeaseAnswer(.array([.integer(7), .array([entry("1-1")])]), after: .zero)
        #expect(granted.fence == 7 && granted.entries.count == 1 && granted.remaining == .zero)
        let held = try LeaseAnswer(.array([.integer(-250)]), after: .zero)
        #expect(held.fence == nil && held.entries.isEmpty && held.remaining == .milliseconds(250))
        // Int64.min used to trap, negated into Duration.milliseconds.
        let refused: [RedisReply] = try [
            .array([.integer(.min)]), .array([.integer(0)]), .array([.integer(0), .array([])]), .array([.integer(3)]),
            .array([.integer(-3), .array([])]), .array([.integer(3), .array([]), .null]), .array([]), .array([.bulk(Array("3".utf8)), .array([])]),
            .array([.integer(3), .array([entry("0-0")])]), .integer(3), .error("ERR x"),
        ]
        for reply in refused {
            #expect(throws: UltraDictError.self, "\(reply)") { try LeaseAnswer(reply, after: .zero) }
        }
        expectError(.corruptData) { try LeaseAnswer(.array([.integer(.min)]), after: .zero) }
    }

    @Test func anAppendAnswerIsTheNewIDAfterTheMissedEntries() throws {
        let after = try id("2-0")
        let written = try AppendAnswer(.array([.integer(1), .bulk(Array("3-0".utf8)), .array([entry("2-1")])]), after: after)
        #expect(written == .written(id: try id("3-0"), missed: [StreamEntry(id: try id("2-1"), content: .record([1]))]))
        #expect(try AppendAnswer(.array([.integer(0), .integer(-1)]), after: after) == .leaseHeld(remaining: .milliseconds(1)))
        #expect(try AppendAnswer(.array([.integer(0), .integer(.max)]), after: after) == .leaseHeld(remaining: .milliseconds(Int64.max)))
        let refused: [RedisReply] = try [
            .array([.integer(1), .bulk(Array("2-0".utf8)), .array([])]), // not after the replica's last
            .array([.integer(1), .bulk(Array("3-0".utf8)), .array([entry("3-0")])]), // a missed entry not before the new one
            .array([.integer(1), .bulk(Array("3-0".utf8))]), .array([.integer(0), .integer(-2)]), .array([.integer(0), .integer(.min)]),
            .array([.integer(2), .bulk(Array("3-0".utf8))]), .array([.integer(0)]), .array([]),
        ]
        for reply in refused { expectError(.corruptData) { try AppendAnswer(reply, after: after) } }
    }

    @Test func aDumpAnswerIsPublishedOutdatedOrWaiting() throws {
        let after = try id("2-0")
        #expect(try DumpAnswer(.array([.integer(1), .bulk(Array("3-0".utf8))]), after: after) == .published(id: try id("3-0")))
        #expect(try DumpAnswer(.array([.integer(2), .bulk(Array("0-0".utf8))]), after: after) == .outdated(head: .zero))
        #expect(try DumpAnswer(.array([.integer(0), .integer(5)]), after: after) == .leaseHeld(remaining: .milliseconds(5)))
        let refused: [RedisReply] = [
            .array([.integer(1), .bulk(Array("1-0".utf8))]), .array([.integer(2), .bulk(Array("2-0".utf8))]),
            .array([.integer(2), .bulk(Array("02-0".utf8))]), .array([.integer(1), .bulk(Array("3-0".utf8)), .null]), .array([.integer(-1), .integer(1)]),
        ]
        for reply in refused { expectError(.corruptData) { try DumpAnswer(reply, after: after) } }
    }

    @Test func aStoredDumpHasBothFieldsAndIsNotOlderThanItsEntry() throws {
        let key = Array("{d}:dump".utf8)
        let dump = try StoredDump(.array([.bulk(Array("5-0".utf8)), .bulk([1, 2])]), publishedAt: try id("4-0"), name: "d", key: key)
        #expect(dump.id == (try id("5-0")) && dump.snapshot == [1, 2])
        for reply: RedisReply in [.array([.bulk(Array("3-0".utf8)), .bulk([1])]), .array([.null, .bulk([1])]), .array([.bulk(Array("5-0".utf8)), .null]), .array([.bulk(Array("5-0".utf8))])] {
            expectError(.corruptData) { try StoredDump(reply, publishedAt: try id("4-0"), name: "d", key: key) }
        }
    }

    @Test func anOpenAnswerHasItsSettingsCheckedAndBounded() throws {
        let word = { (text: String) in RedisReply.bulk(Array(text.utf8)) }
        #expect(try OpenAnswer(.array([word("created")]), meta: "m") == .created)
        #expect(try OpenAnswer(.array([word("attached"), word("json"), word("0"), .null]), meta: "m") == .attached(serializer: "json", recurse: "0", version: nil))
        let refused: [RedisReply] = [
            .array([word("attached"), word(String(repeating: "x", count: MetaSetting.longest + 1)), word("0"), word("1")]),
            .array([word("attached"), .bulk([0xFF]), word("0"), word("1")]),
            .array([word("attached"), word("json"), word("0")]), .array([word("created"), word("json")]), .array([word("other")]), .array([]),
        ]
        for reply in refused { expectError(.corruptData) { try OpenAnswer(reply, meta: "m") } }
    }

    @Test func factsReportNumbersThatAreNotWrittenAsRedisWritesThem() throws {
        let reader = try FactsReader(name: "d")
        var results = [RedisReply](repeating: .null, count: reader.reads.count)
        results[0] = .integer(1)
        results[1] = .array([.bulk(Array("msgpack".utf8)), .bulk(Array("0".utf8)), .bulk(Array("+1".utf8))])
        results[8] = .bulk(Array("007".utf8))
        let facts = try #require(try reader.read(transaction: .array(results)))
        #expect(facts.layoutVersion == nil && facts.fence == nil)
        #expect(facts.problems.contains { $0.contains("version is \"+1\"") })
        expectError(.corruptData) { try reader.read(transaction: .array(Array(results.dropLast()))) }
    }

    @Test func aServerAnsweringAHugeArrayGetsCorruptDataAndTheConnectionIsDropped() throws {
        let server = try HostileServer(answer: Array("*2147483647\r\n".utf8))
        let connection = try RedisConnection(url: RedisURL("redis://127.0.0.1:\(server.port)"))
        #expect {
            try connection.command("PING")
        } throws: { error in
            guard let error = error as? UltraDictError else { return false }
            return error.code == .corruptData && error.message.contains("announces an array of 2147483647 elements")
        }
        #expect(connection.isBroken)
        expectError(.connection) { try connection.command("PING") }
    }

    /// A reply that keeps trickling in, a byte every 20 ms, is cut off once the command's timeout
    /// has passed (within twice the timeout), though no single `recv` waits that long.
    @Test func aServerTricklingItsReplyIsCutOffAfterTheTimeout() throws {
        let server = try HostileServer(answer: Array(("+" + String(repeating: "O", count: 200) + "\r\n").utf8), bytePause: .milliseconds(20))
        let connection = try RedisConnection(url: RedisURL("redis://127.0.0.1:\(server.port)"))
        let start = ContinuousClock.now
        #expect {
            try connection.command([Array("PING".utf8)], timeout: .milliseconds(200))
        } throws: { error in
            guard let error = error as? UltraDictError else { return false }
            return error.code == .connection && error.message.contains("no whole reply within")
        }
        #expect(ContinuousClock.now - start < .seconds(1), "cut off after \(ContinuousClock.now - start)")
        #expect(connection.isBroken)
    }
}

/// A TCP server on 127.0.0.1 that accepts one connection, waits for a command, answers it with
/// fixed bytes whatever it was (one at a time, `bytePause` apart, when given), and keeps the
/// connection open until it goes.
private final class HostileServer {
    /// The port it listens on.
    let port: Int
    private let listener: Int32
    private let done = DispatchSemaphore(value: 0)

    init(answer: [UInt8], bytePause: Duration? = nil) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && listen(listener, 1) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        guard listener >= 0, bound else { throw FullListener.Failure("socket, bind, listen or getsockname: errno \(errno)") }
        port = Int(UInt16(bigEndian: address.sin_port))
        let done = done
        Thread.detachNewThread {
            let client = accept(listener, nil, nil)
            var request = [UInt8](repeating: 0, count: 4096)
            if client >= 0, request.withUnsafeMutableBytes({ recv(client, $0.baseAddress, $0.count, 0) }) > 0 {
                let pieces = bytePause == nil ? [answer[...]] : answer.indices.map { answer[$0...$0] }
                for piece in pieces where done.wait(timeout: .now()) == .timedOut {
                    guard piece.withUnsafeBytes({ send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) > 0 else { break }
                    if let bytePause { Thread.sleep(forTimeInterval: bytePause / .seconds(1)) }
                }
            }
            done.wait()
            if client >= 0 { close(client) }
        }
    }

    deinit {
        done.signal()
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}
