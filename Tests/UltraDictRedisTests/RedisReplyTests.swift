import Testing
import UltraDictCore
import _UltraDictTestSupport
import UltraDictRedis

/// The RESP2 reader and writer: every kind, replies that arrive in pieces, and bytes that break
/// the protocol or a limit, which throw `corruptData` before anything is allocated for them.
@Suite struct RedisReplyTests {
    /// `text` with `\n` as CRLF.
    private func resp(_ text: String) -> [UInt8] { Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8) }

    @Test func parsesEveryKindAndWritesItBack() throws {
        let bytes = resp("*7\n+OK\n-ERR no\n:-7\n$3\nabc\n$0\n\n$-1\n*2\n*0\n*-1\n")
        let expected = RedisReply.array([.status("OK"), .error("ERR no"), .integer(-7), .bulk(Array("abc".utf8)), .bulk([]), .null, .array([.array([]), .null])])
        let parsed = try #require(try RedisReply.parse(bytes + resp(":1\n")))
        #expect(parsed.reply == expected)
        #expect(parsed.length == bytes.count)
        // The same, with bytes that a line could not hold: a bulk string is binary-safe.
        let binary = RedisReply.array([.bulk([13, 10, 0, 255]), expected])
        #expect(try RedisReply.parse(binary.serialized)?.reply == binary)
        #expect(try RedisReply.parse(resp(":-9223372036854775808\n"))?.reply == .integer(.min))
    }

    @Test func waitsForTheWholeReplyWhateverThePieces() throws {
        let replies: [RedisReply] = [.array([.bulk(Array("abc".utf8)), .array([.integer(1), .null])]), .status("PONG"), .bulk([])]
        let bytes = replies.flatMap(\.serialized)
        for size in [1, 2, 5, bytes.count] {
            var reader = RedisReplyReader()
            var read: [RedisReply] = []
            for start in stride(from: 0, to: bytes.count, by: size) {
                reader.append(bytes[start..<min(start + size, bytes.count)])
                while let reply = try reader.next() { read.append(reply) }
            }
            #expect(read == replies, "pieces of \(size) bytes")
            #expect(reader.unreadCount == 0)
        }
        #expect(try RedisReply.parse(resp("$5\nabc")) == nil)
        #expect(try RedisReply.parse(resp("*2\n:1\n")) == nil)
        #expect(try RedisReply.parse(Array("+OK\r".utf8)) == nil)
    }

    @Test func refusesAHugeCountOrLengthBeforeAllocating() {
        // hiredis 0.14 answers the first with a 16 GiB calloc.
        for hostile in ["*2147483647\n", "$2147483647\n", "*\(RedisReply.maximumElements)\n", "$\(RedisReply.maximumLength + 1)\n", "*2\n*1048575\n",
                        // The elements the open arrays still expect count too: 1,200,000 in all.
                        "*1\n*600000\n*600000\n"] {
            expectError(.corruptData) { try RedisReply.parse(resp(hostile)) }
        }
        // Within the limits, a count costs nothing until its elements arrive.
        #expect(throws: Never.self) { try RedisReply.parse(resp("*1048575\n")) }
        expectError(.corruptData) { try RedisReply.parse([UInt8](repeating: 43, count: RedisReply.maximumLineLength + 1)) }
        #expect(throws: Never.self) { try RedisReply.parse([UInt8](repeating: 43, count: RedisReply.maximumLineLength)) }
    }

    @Test func refusesWhatIsNotRESP2() {
        for hostile in ["$-2\n", "*-2\n", ":+1\n", ":01\n", ":-0\n", ":9223372036854775808\n", ":1 \n", ":\n", "\n", "?x\n", "%1\n", "$1\nab\n"] {
            expectError(.corruptData) { try RedisReply.parse(resp(hostile)) }
        }
        expectError(.corruptData) { try RedisReply.parse(Array("+O\rK\r\n".utf8)) }
        expectError(.corruptData) { try RedisReply.parse(Array("+O\nK\r\n".utf8)) }
    }

    @Test func refusesNestingDeeperThanTheLimit() throws {
        let nested = { (depth: Int) in String(repeating: "*1\n", count: depth) + ":1\n" }
        var expected = RedisReply.integer(1)
        for _ in 0..<(RedisReply.maximumDepth - 1) { expected = .array([expected]) }
        #expect(try RedisReply.parse(resp(nested(RedisReply.maximumDepth - 1)))?.reply == expected)
        expectError(.corruptData) { try RedisReply.parse(resp(nested(RedisReply.maximumDepth))) }
    }

    @Test func accessorsNameWhatTheyExpected() throws {
        #expect(try RedisReply.integer(3).integer() == 3)
        #expect(try RedisReply.bulk([1, 2]).bytes() == [1, 2])
        #expect(try RedisReply.null.optionalBytes() == nil)
        #expect(try RedisReply.status("PONG").string() == "PONG")
        #expect(try RedisReply.bulk(Array("é".utf8)).string() == "é")
        #expect(try RedisReply.array([.null]).array() == [.null])
        #expect {
            try RedisReply.bulk([1, 2, 3]).integer("the reply to INCR")
        } throws: { error in
            (error as? UltraDictError).map { $0.code == .corruptData && $0.message == "the reply to INCR: expected an integer, got a bulk string of 3 bytes" } ?? false
        }
        #expect {
            try RedisReply.error("WRONGTYPE Operation against a key holding the wrong kind of value").bytes()
        } throws: { error in
            guard let error = error as? UltraDictError, let reply = error.underlying as? RedisErrorReply else { return false }
            return error.code == .server && reply.kind == "WRONGTYPE"
        }
        expectError(.corruptData) { try RedisReply.bulk([0xff]).string() }
        expectError(.corruptData) { try RedisReply.integer(1).optionalBytes() }
        expectError(.corruptData) { try RedisReply.null.array() }
    }
}
