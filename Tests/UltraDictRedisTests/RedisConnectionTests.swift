import Foundation
import Testing
import UltraDictCore
import UltraDictRedis
import _UltraDictTestSupport

/// One connection against a redis-server of each test's own.
@Suite struct RedisConnectionTests {
    @Test func sendsCommandsAndReadsReplies() throws {
        let server = try RedisServer()
        let connection = try RedisConnection(url: RedisURL(server.url))
        #expect(try connection.command("PING") == .status("PONG"))
        #expect(try connection.command("SET", "counter", "41") == .status("OK"))
        #expect(try connection.command("INCR", "counter") == .integer(42))
        #expect(try connection.command("GET", "counter") == .bulk(Array("42".utf8)))
        #expect(try connection.command("GET", "missing") == .null)
        #expect(try connection.command("RPUSH", "list", "a", "b") == .integer(2))
        #expect(try connection.command("LRANGE", "list", "0", "-1") == .array([.bulk([97]), .bulk([98])]))
    }

    @Test func keysAndValuesAreBinarySafe() throws {
        let server = try RedisServer()
        let connection = try RedisConnection(url: RedisURL(server.url))
        let everyByte = (0...255).map { UInt8($0) }
        let key: [UInt8] = [0, 13, 10, 0xff, 32]
        #expect(try connection.command([Array("SET".utf8), key, everyByte]) == .status("OK"))
        #expect(try connection.command([Array("GET".utf8), key]) == .bulk(everyByte))
        #expect(try connection.command([Array("SET".utf8), [], []]) == .status("OK"))
        #expect(try connection.command([Array("GET".utf8), []]) == .bulk([]))
        expectError(.invalidArgument) { try connection.command([]) }
    }

    @Test func pipelinesReturnEveryReplyInOrder() throws {
        let server = try RedisServer()
        let connection = try RedisConnection(url: RedisURL(server.url))
        let commands = [["SET", "a", "1"], ["INCR", "a"], ["LPUSH", "a", "x"], ["GET", "a"]].map { $0.map { Array($0.utf8) } }
        let replies = try connection.pipeline(commands)
        #expect(replies.count == 4)
        #expect(replies[0] == .status("OK"))
        #expect(replies[1] == .integer(2))
        #expect(replies[2].summary.hasPrefix("error 'WRONGTYPE"))
        #expect(replies[3] == .bulk(Array("2".utf8)))
        #expect(try connection.pipeline([]) == [])
        // The connection is still in step after a pipeline.
        #expect(try connection.command("PING") == .status("PONG"))
    }

    @Test func commandsSentWithoutWaitingRunInOrderAndTheirRepliesAreDropped() throws {
        let server = try RedisServer()
        let connection = try RedisConnection(url: RedisURL(server.url))
        let incr = ["INCR", "n"].map { Array($0.utf8) }
        try connection.send(incr)
        try connection.send(incr)
        // An error reply to a command sent earlier is dropped too: it is not this command's.
        try connection.send(["LPUSH", "n", "x"].map { Array($0.utf8) })
        #expect(try connection.command("INCR", "n") == .integer(3))
        try connection.send(incr)
        #expect(try connection.pipeline([["GET", "n"].map { Array($0.utf8) }]) == [.bulk(Array("4".utf8))])
        #expect(try connection.command("PING") == .status("PONG"))
    }

    @Test func errorRepliesThrowServerWithTheirText() throws {
        let server = try RedisServer()
        let connection = try RedisConnection(url: RedisURL(server.url))
        _ = try connection.command("SET", "text", "abc")
        #expect {
            try connection.command("LPUSH", "text", "x")
        } throws: { error in
            guard let error = error as? UltraDictError, let reply = error.underlying as? RedisErrorReply else { return false }
            return error.code == .server && reply.kind == "WRONGTYPE"
                && error.message.hasPrefix("Redis at 127.0.0.1:\(server.port) answered LPUSH with an error: WRONGTYPE")
        }
        expectError(.server) { try connection.command("NOSUCHCOMMAND") }
        // An error reply leaves the connection usable.
        #expect(try connection.command("GET", "text") == .bulk(Array("abc".utf8)))
        #expect(!connection.isBroken)
    }

    @Test func connectingWhereNobodyListensThrowsConnectionAtOnce() throws {
        let server = try RedisServer()
        let url = try RedisURL(server.url)
        server.stop()
        let start = ContinuousClock.now
        #expect {
            try RedisConnection(url: url, options: RedisOptions(connectTimeout: .seconds(2)))
        } throws: { error in
            guard let error = error as? UltraDictError else { return false }
            return error.code == .connection && error.message.hasPrefix("cannot connect to Redis at 127.0.0.1:\(server.port) within 2.0 seconds")
        }
        #expect(ContinuousClock.now - start < .seconds(1))
    }

    @Test func aConnectThatHangsEndsAtTheConnectTimeout() throws {
        let listener = try FullListener()
        let start = ContinuousClock.now
        expectError(.connection) {
            try RedisConnection(url: RedisURL("redis://127.0.0.1:\(listener.port)"), options: RedisOptions(connectTimeout: .milliseconds(200)))
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(150) && elapsed < .seconds(1), "\(elapsed)")
    }

    @Test func aSlowReplyThrowsConnectionAtTheCommandTimeoutAndBreaksTheConnection() throws {
        let server = try RedisServer(arguments: ["--enable-debug-command", "yes"])
        let connection = try RedisConnection(url: RedisURL(server.url), options: RedisOptions(commandTimeout: .milliseconds(200)))
        let start = ContinuousClock.now
        #expect {
            try connection.command("DEBUG", "SLEEP", "1")
        } throws: { error in
            guard let error = error as? UltraDictError else { return false }
            return error.code == .connection && error.message == "Redis at 127.0.0.1:\(server.port), DEBUG: no reply within 0.2 seconds"
        }
        #expect(ContinuousClock.now - start < .seconds(1))
        #expect(connection.isBroken)
        let again = ContinuousClock.now
        #expect {
            try connection.command("PING")
        } throws: { error in
            guard let error = error as? UltraDictError else { return false }
            return error.code == .connection && error.message.contains("is closed: Redis at 127.0.0.1:\(server.port), DEBUG: no reply within")
        }
        #expect(ContinuousClock.now - again < .milliseconds(50))
    }

    @Test func oneCallMayWaitLongerThanTheCommandTimeout() throws {
        let server = try RedisServer()
        let connection = try RedisConnection(url: RedisURL(server.url), options: RedisOptions(commandTimeout: .milliseconds(150)))
        // BLPOP blocks for 0.3 s, longer than the command timeout.
        #expect(try connection.command(["BLPOP", "nothing", "0.3"].map { Array($0.utf8) }, timeout: .seconds(2)) == .null)
        // The command timeout applies again to the next call.
        expectError(.connection) { try connection.command("BLPOP", "nothing", "0.3") }
    }

    @Test func serverGoneThrowsConnection() throws {
        let server = try RedisServer()
        let connection = try RedisConnection(url: RedisURL(server.url))
        #expect(try connection.command("PING") == .status("PONG"))
        server.kill()
        expectError(.connection) { try connection.command("PING") }
        #expect(connection.isBroken)
    }

    @Test func writingToAClosedSocketThrowsInsteadOfRaisingSIGPIPE() throws {
        let server = try RedisServer()
        let victim = try RedisConnection(url: RedisURL(server.url))
        let killer = try RedisConnection(url: RedisURL(server.url))
        let id = try victim.command("CLIENT", "ID").integer()
        #expect(try killer.command("CLIENT", "KILL", "ID", String(id)) == .integer(1))
        Thread.sleep(forTimeInterval: 0.05)
        // Megabytes to write: the writes after the server's reset fail with EPIPE.
        let large = [UInt8](repeating: 120, count: 16 << 20)
        expectError(.connection) { try victim.command([Array("SET".utf8), Array("k".utf8), large]) }
        expectError(.connection) { try victim.pipeline([[Array("SET".utf8), Array("k".utf8), large]]) }
    }

    @Test func logsInWithAPassword() throws {
        let server = try RedisServer(arguments: ["--requirepass", "s3cret"])
        let connection = try RedisConnection(url: RedisURL("redis://:s3cret@127.0.0.1:\(server.port)"))
        #expect(try connection.command("PING") == .status("PONG"))

        #expect {
            try RedisConnection(url: RedisURL("redis://:wrong@127.0.0.1:\(server.port)"))
        } throws: { error in
            guard let error = error as? UltraDictError, let reply = error.underlying as? RedisErrorReply else { return false }
            return error.code == .server && reply.kind == "WRONGPASS" && error.message.contains("answered AUTH with an error: WRONGPASS")
                && !error.message.contains("wrong@")
        }
        let anonymous = try RedisConnection(url: RedisURL(server.url))
        #expect {
            try anonymous.command("PING")
        } throws: { error in
            ((error as? UltraDictError)?.underlying as? RedisErrorReply)?.kind == "NOAUTH"
        }
    }

    @Test func logsInAsAUser() throws {
        let server = try RedisServer(arguments: ["--user", "alice", "on", ">p@ss", "~*", "&*", "+@all"])
        let connection = try RedisConnection(url: RedisURL("redis://alice:p%40ss@127.0.0.1:\(server.port)"))
        #expect(try connection.command("ACL", "WHOAMI") == .bulk(Array("alice".utf8)))
        expectError(.server) { try RedisConnection(url: RedisURL("redis://alice:other@127.0.0.1:\(server.port)")) }
    }

    @Test func selectsTheDatabase() throws {
        let server = try RedisServer()
        let third = try RedisConnection(url: RedisURL(server.url + "/3"))
        _ = try third.command("SET", "where", "three")
        let first = try RedisConnection(url: RedisURL(server.url))
        #expect(try first.command("GET", "where") == .null)
        #expect(try RedisConnection(url: RedisURL(server.url + "/3")).command("GET", "where") == .bulk(Array("three".utf8)))
        #expect {
            try RedisConnection(url: RedisURL(server.url + "/99"))
        } throws: { error in
            (error as? UltraDictError).map { $0.code == .server && $0.message.contains("answered SELECT with an error") } ?? false
        }
    }

    @Test func connectsThroughAUnixSocket() throws {
        let server = try RedisServer(unixSocket: true)
        let connection = try RedisConnection(url: RedisURL(server.url + "?db=2"))
        #expect(try connection.command("SET", "k", "v") == .status("OK"))
        #expect(try connection.command("CLIENT", "INFO").string().contains("db=2"))
        server.kill()
        expectError(.connection) { try connection.command("PING") }
        expectError(.connection) { try RedisConnection(url: RedisURL(server.url)) }
    }

    @Test func refusesTimeoutsThatAreNotPositive() throws {
        let url = try RedisURL("redis://127.0.0.1:1")
        expectError(.invalidArgument) { try RedisConnection(url: url, options: RedisOptions(connectTimeout: .zero)) }
        expectError(.invalidArgument) { try RedisConnection(url: url, options: RedisOptions(commandTimeout: .milliseconds(-1))) }
        let server = try RedisServer()
        let connection = try RedisConnection(url: RedisURL(server.url))
        expectError(.invalidArgument) { try connection.command([Array("PING".utf8)], timeout: .zero) }
    }
}
