import Foundation
import Testing
import UltraDictCore
import UltraDictRedis
import _UltraDictTestSupport

/// The client: a lock around one connection, reconnecting with backoff, and scripts.
@Suite struct RedisClientTests {
    @Test func connectsOnFirstUseAndServesManyThreads() throws {
        let server = try RedisServer()
        let client = RedisClient(url: try RedisURL(server.url))
        try runConcurrently(threads: 8) { _ in
            for _ in 0..<200 { _ = try client.command("INCR", "hits") }
        }
        #expect(try client.command("GET", "hits") == .bulk(Array("1600".utf8)))
        #expect(try client.pipeline([["INCR", "hits"], ["INCR", "hits"]].map { $0.map { Array($0.utf8) } }) == [.integer(1601), .integer(1602)])
    }

    @Test func reconnectsByItselfOnceTheServerIsBack() throws {
        let server = try RedisServer(appendOnly: true)
        let client = RedisClient(url: try RedisURL(server.url), options: RedisOptions(connectTimeout: .milliseconds(500)))
        _ = try client.command("SET", "kept", "yes")
        server.kill()
        // A refused connect (the connection the server closed is dropped unsent), then the
        // backoff or another refused connect; neither applied anything.
        expectError(.connection) { try client.command("PING") }
        expectError(.connection) { try client.command("PING") }

        try server.restart()
        let deadline = ContinuousClock.now + .seconds(3)
        var reply: RedisReply?
        while reply == nil, ContinuousClock.now < deadline {
            do {
                reply = try client.command("GET", "kept")
            } catch UltraDictError.connection {
                Thread.sleep(forTimeInterval: 0.005)
            }
        }
        // The append-only file brought the key back.
        #expect(reply == .bulk(Array("yes".utf8)))
    }

    @Test func backsOffInsteadOfConnectingOnEveryCall() throws {
        let server = try RedisServer()
        let client = RedisClient(url: try RedisURL(server.url))
        _ = try client.command("PING")
        server.stop()
        // The connection the server closed is dropped unsent; the first connect is refused.
        expectError(.connection) { try client.command("PING") }

        var attempts = 0
        var backoffs = 0
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .milliseconds(300) {
            do {
                _ = try client.command("PING")
                Issue.record("PING succeeded without a server")
            } catch let error as UltraDictError where error.code == .connection {
                if error.message.hasPrefix("not connected to Redis at") {
                    backoffs += 1
                    #expect(error.underlying is UltraDictError)
                } else {
                    attempts += 1
                    #expect(error.message.hasPrefix("cannot connect to Redis at"))
                }
            }
        }
        // Waits of 10, 20, 40, 80 and 160 ms: at most 6 attempts in 300 ms, and thousands of calls
        // that did not try.
        #expect((2...6).contains(attempts), "\(attempts) connect attempts")
        #expect(backoffs > 100, "\(backoffs) calls during backoff")
    }

    @Test func runsScriptsAndReloadsThemAfterAFlush() throws {
        let server = try RedisServer()
        let client = RedisClient(url: try RedisURL(server.url))
        let add = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
        #expect(try client.script(add, keys: [Array("n".utf8)], arguments: [Array("5".utf8)]) == .integer(5))
        #expect(try client.script(add, keys: [Array("n".utf8)], arguments: [Array("2".utf8)]) == .integer(7))

        #expect(try client.command("SCRIPT", "FLUSH") == .status("OK"))
        #expect(try client.script(add, keys: [Array("n".utf8)], arguments: [Array("1".utf8)]) == .integer(8))
        // EVAL cached the script again, so EVALSHA finds it.
        let hash = try client.command("SCRIPT", "LOAD", add.source).bytes()
        #expect(try client.command([Array("SCRIPT".utf8), Array("EXISTS".utf8), hash]) == .array([.integer(1)]))

        let failing = RedisScript("return redis.error_reply('LOCKED held by someone')")
        #expect {
            try client.script(failing, keys: [], arguments: [])
        } throws: { error in
            ((error as? UltraDictError)?.underlying as? RedisErrorReply)?.kind == "LOCKED"
        }
    }

    @Test func scriptsSurviveAServerRestart() throws {
        let server = try RedisServer()
        let client = RedisClient(url: try RedisURL(server.url))
        let echo = RedisScript("return ARGV[1]")
        #expect(try client.script(echo, keys: [], arguments: [[0, 1, 2]]) == .bulk([0, 1, 2]))
        try server.restart()
        // A new server without the script: NOSCRIPT, then EVAL.
        #expect(try client.script(echo, keys: [], arguments: [[3]]) == .bulk([3]))
    }

    /// A connection that the server closed while it was idle is replaced before the next call,
    /// which nothing was sent for: a restart fails no call.
    @Test func aConnectionClosedWhileIdleIsReplacedUnsent() throws {
        let server = try RedisServer()
        let client = RedisClient(url: try RedisURL(server.url))
        #expect(try client.command("INCR", "n") == .integer(1))
        try server.restart()
        #expect(try client.command("INCR", "n") == .integer(1))
        // Also when the reply of a command sent without waiting came before the stream's end.
        try client.send(RedisScript("return 1"), keys: [], arguments: [])
        Thread.sleep(forTimeInterval: 0.05)
        try server.restart()
        #expect(try client.command("INCR", "n") == .integer(1))
    }
}

/// The test servers themselves.
@Suite struct RedisServerTests {
    @Test func aServerThatCannotStartSaysWhy() throws {
        #expect {
            try RedisServer(arguments: ["--no-such-option", "1"])
        } throws: { error in
            "\(error)".contains("exited with status 1 before accepting connections") && "\(error)".contains("Bad directive")
        }
    }

    @Test func stopAndKillEndTheServer() throws {
        let server = try RedisServer(appendOnly: true)
        let client = RedisClient(url: try RedisURL(server.url))
        _ = try client.command("SET", "k", "v")
        server.stop()
        expectError(.connection) { try client.command("PING") }
        try server.restart()
        // The PING's refused connect put the next attempt off by `RedisClient.firstBackoff` (10 ms).
        Thread.sleep(forTimeInterval: 0.02)
        #expect(try client.command("GET", "k") == .bulk([118]))
        server.kill()
        expectError(.connection) { try client.command("PING") }
    }

    /// A server that exits without the test asking fails the test, with the end of its log.
    @Test func aServerThatExitsByItselfIsReported() throws {
        try withKnownIssue {
            let server = try RedisServer()
            _ = try? RedisClient(url: try RedisURL(server.url)).command("SHUTDOWN", "NOSAVE")
            let deadline = ContinuousClock.now + .seconds(10)
            while server.unaskedExit == nil, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.005) }
            #expect(server.unaskedExit?.contains("bye bye") == true)
        } matching: { issue in
            let text = "\(issue)"
            return text.contains("exited by itself with status 0") && text.contains("bye bye")
        }
    }
}

/// The children that the test servers run in.
@Suite struct SpawnedProcessTests {
    /// A child that another waiter reaped has exited: its pid, maybe another process's by now,
    /// gets no signal, and its status is unknown.
    @Test func aChildReapedElsewhereIsNotRunning() throws {
        let child = try SpawnedProcess("/bin/sh", ["-c", "exit 3"], standardError: "/dev/null")
        var status: Int32 = 0
        #expect(waitpid(child.pid, &status, 0) == child.pid)
        #expect(!child.isRunning)
        #expect(child.exitCode == -1)
        #expect(child.wait(upTo: .zero))
    }

    /// A child that ``SpawnedProcess/wait(upTo:)`` reaped keeps its exit status.
    @Test func aChildReapedHereHasItsStatus() throws {
        let child = try SpawnedProcess("/bin/sh", ["-c", "exit 3"], standardError: "/dev/null")
        #expect(child.wait(upTo: .seconds(10)))
        #expect(child.exitCode == 3)
    }
}
