import CHiredis
import Testing
import UltraDictCore
import _UltraDictTestSupport
import UltraDictRedis

/// Replies built by hand as hiredis would, some of them impossible: copying checks every length,
/// pointer, type and depth.
@Suite struct RedisReplyTests {
    @Test func copiesEveryKind() throws {
        var text: [CChar] = Array("OK".utf8CString)
        let copied = try text.withUnsafeMutableBufferPointer { text in
            var status = redisReply(type: REDIS_REPLY_STATUS, integer: 0, len: 2, str: text.baseAddress, elements: 0, element: nil)
            var error = redisReply(type: REDIS_REPLY_ERROR, integer: 0, len: 2, str: text.baseAddress, elements: 0, element: nil)
            var bulk = redisReply(type: REDIS_REPLY_STRING, integer: 0, len: 1, str: text.baseAddress, elements: 0, element: nil)
            var empty = redisReply(type: REDIS_REPLY_STRING, integer: 0, len: 0, str: nil, elements: 0, element: nil)
            var integer = redisReply(type: REDIS_REPLY_INTEGER, integer: -7, len: 0, str: nil, elements: 0, element: nil)
            var null = redisReply(type: REDIS_REPLY_NIL, integer: 0, len: 0, str: nil, elements: 0, element: nil)
            return try withUnsafeMutablePointer(to: &status) { status in
                try withUnsafeMutablePointer(to: &error) { error in
                    try withUnsafeMutablePointer(to: &bulk) { bulk in
                        try withUnsafeMutablePointer(to: &empty) { empty in
                            try withUnsafeMutablePointer(to: &integer) { integer in
                                try withUnsafeMutablePointer(to: &null) { null in
                                    try array(of: [status, error, bulk, empty, integer, null]) { try RedisReply(copying: $0) }
                                }
                            }
                        }
                    }
                }
            }
        }
        #expect(copied == .array([.status("OK"), .error("OK"), .bulk([UInt8(ascii: "O")]), .bulk([]), .integer(-7), .null]))
    }

    @Test func refusesALengthThatIsNegativeOrHuge() {
        for length in [-1, Int.min, RedisReply.maximumLength + 1] {
            var reply = redisReply(type: REDIS_REPLY_STRING, integer: 0, len: length, str: nil, elements: 0, element: nil)
            expectError(.corruptData) { try RedisReply(copying: &reply) }
        }
    }

    @Test func refusesALengthWithoutBytes() {
        var reply = redisReply(type: REDIS_REPLY_STATUS, integer: 0, len: 5, str: nil, elements: 0, element: nil)
        expectError(.corruptData) { try RedisReply(copying: &reply) }
    }

    @Test func refusesAnUnknownType() {
        var reply = redisReply(type: 99, integer: 0, len: 0, str: nil, elements: 0, element: nil)
        expectError(.corruptData) { try RedisReply(copying: &reply) }
    }

    @Test func refusesABadElementCountOrAMissingElement() {
        for count in [-1, RedisReply.maximumElements + 1, 3] {
            var reply = redisReply(type: REDIS_REPLY_ARRAY, integer: 0, len: 0, str: nil, elements: count, element: nil)
            expectError(.corruptData) { try RedisReply(copying: &reply) }
        }
        var elements: [UnsafeMutablePointer<redisReply>?] = [nil]
        elements.withUnsafeMutableBufferPointer { elements in
            var reply = redisReply(type: REDIS_REPLY_ARRAY, integer: 0, len: 0, str: nil, elements: 1, element: elements.baseAddress)
            expectError(.corruptData) { try RedisReply(copying: &reply) }
        }
    }

    @Test func refusesNestingDeeperThanTheLimit() throws {
        func nested(_ depth: Int) throws -> RedisReply {
            var leaf = redisReply(type: REDIS_REPLY_INTEGER, integer: 1, len: 0, str: nil, elements: 0, element: nil)
            return try withUnsafeMutablePointer(to: &leaf) { leaf in try wrap(leaf, times: depth) }
        }
        func wrap(_ reply: UnsafeMutablePointer<redisReply>, times: Int) throws -> RedisReply {
            guard times > 0 else { return try RedisReply(copying: reply) }
            return try array(of: [reply]) { outer in try wrap(UnsafeMutablePointer(mutating: outer), times: times - 1) }
        }
        var expected = RedisReply.integer(1)
        for _ in 0..<(RedisReply.maximumDepth - 1) { expected = .array([expected]) }
        #expect(try nested(RedisReply.maximumDepth - 1) == expected)
        expectError(.corruptData) { try nested(RedisReply.maximumDepth) }
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

/// Calls `body` with a hiredis array reply whose elements are `elements`.
private func array<T>(of elements: [UnsafeMutablePointer<redisReply>], _ body: (UnsafePointer<redisReply>) throws -> T) rethrows -> T {
    var pointers: [UnsafeMutablePointer<redisReply>?] = elements
    return try pointers.withUnsafeMutableBufferPointer { pointers in
        var reply = redisReply(type: REDIS_REPLY_ARRAY, integer: 0, len: 0, str: nil, elements: pointers.count, element: pointers.baseAddress)
        return try withUnsafePointer(to: &reply) { try body($0) }
    }
}
