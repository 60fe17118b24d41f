import UltraDictCore

// RESP2, the bytes a Redis server answers with, read and written in Swift: every count, length
// and number is checked as its header is read, before anything is allocated for it.

extension RedisReply {
    /// The most values one reply may hold, the elements of its arrays at every depth counted:
    /// 1,048,576. This package's largest replies, a page of 1,000 log entries or a `SCAN` batch,
    /// hold a few thousand.
    package static let maximumElements = 1 << 20
    /// The longest bulk string accepted: 512 MiB, the most Redis itself stores in one
    /// (`proto-max-bulk-len`).
    package static let maximumLength = 512 << 20
    /// The longest line, its type byte included and CRLF excluded: a status, an error, or a
    /// header (`$`, `*`, `:` and its number): 64 KiB.
    package static let maximumLineLength = 1 << 16
    /// The most bytes one reply may take, headers included: 1 GiB.
    package static let maximumSize = 1 << 30
    /// How deeply arrays may nest in a reply: a value inside 32 arrays is refused.
    package static let maximumDepth = 32

    /// Parses the reply at the start of `bytes`: the reply and how many bytes it took, or `nil`
    /// when `bytes` hold only the start of one. What follows it is not read.
    ///
    /// Throws `corruptData` for bytes that are not RESP2 or break one of the limits above; the
    /// check comes before any allocation, so `*2147483647\r\n` costs nothing. Costs one pass
    /// over the reply and one copy of each bulk string.
    package static func parse(_ bytes: some Collection<UInt8>) throws -> (reply: RedisReply, length: Int)? {
        var reader = RedisReplyReader()
        reader.append(bytes)
        guard let reply = try reader.next() else { return nil }
        return (reply, bytes.count - reader.unreadCount)
    }

    /// The bytes a server sends for this reply (RESP2): for the tests and the fuzz seeds, which
    /// play the server. ``null`` is written `$-1`. A status or error text must not hold CR or LF
    /// (no parsed one does), else the bytes do not parse back.
    package var serialized: [UInt8] {
        var bytes: [UInt8] = []
        serialize(into: &bytes)
        return bytes
    }

    /// Appends ``serialized`` to `bytes`.
    private func serialize(into bytes: inout [UInt8]) {
        func line(_ type: Character, _ text: String) {
            bytes.append(contentsOf: "\(type)\(text)\r\n".utf8)
        }
        switch self {
        case let .status(text): line("+", text)
        case let .error(text): line("-", text)
        case let .integer(value): line(":", String(value))
        case let .bulk(payload):
            line("$", String(payload.count))
            bytes.append(contentsOf: payload)
            bytes.append(contentsOf: [RedisReplyReader.cr, RedisReplyReader.lf])
        case .null: line("$", "-1")
        case let .array(elements):
            line("*", String(elements.count))
            for element in elements { element.serialize(into: &bytes) }
        }
    }
}

/// Reads replies out of the bytes a server sends, as they arrive: ``RedisConnection`` appends
/// what each `recv` returns and asks for the next reply until one is whole; several replies
/// (a pipeline's) may wait in it.
///
/// Why not hiredis's reader: it allocates an array of the announced count as soon as it reads
/// the header (`*2147483647\r\n` from a hostile or broken server makes hiredis 0.14 `calloc` 16
/// GiB), buffers a bulk string of any announced length, and its limits differ between versions.
/// This reader checks each header against ``RedisReply``'s limits when it reads it, allocates
/// at most 4,096 elements ahead of their arrival, keeps the arrays that are still arriving
/// between calls (bytes are parsed once, whatever the chunks), and is the code the `Redis` fuzz
/// target feeds. A violation throws `corruptData`, after which the reader is out of step with
/// the server: drop the connection.
package struct RedisReplyReader {
    static let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")

    /// The bytes received that no returned reply took; compacted when more arrive.
    private var buffer: [UInt8] = []
    /// Where the reply being read starts in ``buffer``.
    private var replyStart = 0
    /// Where its next value starts in ``buffer``.
    private var position = 0
    /// Its arrays whose elements are still arriving, outermost first: the count announced and
    /// the elements read.
    private var open: [(count: Int, elements: [RedisReply])] = []
    /// How many values of it were read, arrays and their elements at every depth.
    private var values = 0

    /// An empty reader.
    package init() {}

    /// How many received bytes no returned reply took.
    package var unreadCount: Int { buffer.count - replyStart }

    /// Adds bytes received from the server.
    package mutating func append(_ bytes: some Collection<UInt8>) {
        if replyStart == buffer.count {
            // Everything was taken: a large reply's storage goes, unless it is small.
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
            (position, replyStart) = (0, 0)
        } else if replyStart > 0 {
            buffer.removeSubrange(..<replyStart)
            position -= replyStart
            replyStart = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next whole reply, or `nil` until more bytes arrive. Throws `corruptData` for bytes
    /// that are not RESP2 or break a limit of ``RedisReply``.
    package mutating func next() throws -> RedisReply? {
        while true {
            guard open.count < RedisReply.maximumDepth else {
                throw Self.corrupt("a Redis reply nests arrays deeper than \(RedisReply.maximumDepth) levels")
            }
            var value: RedisReply
            switch try step() {
            case .incomplete:
                guard unreadCount <= RedisReply.maximumSize else {
                    throw Self.corrupt("a Redis reply takes more than \(RedisReply.maximumSize) bytes")
                }
                return nil
            case .opened:
                values += 1
                continue
            case let .value(read):
                values += 1
                value = read
            }
            // Complete the arrays that this value fills.
            while !open.isEmpty {
                open[open.count - 1].elements.append(value)
                guard let last = open.last, last.elements.count == last.count else { break }
                value = .array(open.removeLast().elements)
            }
            if open.isEmpty {
                (replyStart, values) = (position, 0)
                return value
            }
        }
    }

    // MARK: - Internals

    /// What ``step()`` read.
    private enum Step {
        /// The value at ``position`` has not all arrived.
        case incomplete
        /// The header of a non-empty array: its elements follow.
        case opened
        /// A whole value: a scalar, a null or an empty array.
        case value(RedisReply)
    }

    /// Reads the value at ``position`` and moves past it, or opens the array it starts.
    private mutating func step() throws -> Step {
        guard let (line, next) = try line(at: position) else { return .incomplete }
        guard !line.isEmpty else { throw Self.corrupt("a line of a Redis reply is empty: no type") }
        let type = buffer[line.lowerBound]
        let text = buffer[(line.lowerBound + 1)..<line.upperBound]
        switch type {
        case UInt8(ascii: "+"):
            position = next
            return .value(.status(String(decoding: text, as: UTF8.self)))
        case UInt8(ascii: "-"):
            position = next
            return .value(.error(String(decoding: text, as: UTF8.self)))
        case UInt8(ascii: ":"):
            position = next
            return .value(.integer(try Self.number(text, "an integer reply")))
        case UInt8(ascii: "$"):
            let length = try Self.number(text, "the length of a bulk string")
            if length == -1 {
                position = next
                return .value(.null)
            }
            guard (0...Int64(RedisReply.maximumLength)).contains(length) else {
                throw Self.corrupt("a Redis reply announces a bulk string of \(length) bytes (at most \(RedisReply.maximumLength) are accepted)")
            }
            let end = next + Int(length)
            guard end + 2 - replyStart <= RedisReply.maximumSize else {
                throw Self.corrupt("a Redis reply takes more than \(RedisReply.maximumSize) bytes")
            }
            guard buffer.count >= end + 2 else { return .incomplete }
            guard buffer[end] == Self.cr, buffer[end + 1] == Self.lf else {
                throw Self.corrupt("a bulk string of \(length) bytes in a Redis reply is not followed by CRLF")
            }
            position = end + 2
            return .value(.bulk(Array(buffer[next..<end])))
        case UInt8(ascii: "*"):
            let count = try Self.number(text, "the length of an array")
            position = next
            if count == -1 { return .value(.null) }
            // Every element that the open arrays still expect is a value to come (this array
            // is one of them), and so are this array's elements.
            let expected = open.reduce(0) { $0 + $1.count - $1.elements.count }
            guard count >= 0, count <= Int64(RedisReply.maximumElements - values - 1 - max(0, expected - 1)) else {
                throw Self.corrupt("a Redis reply announces an array of \(count) elements (at most \(RedisReply.maximumElements) values in all are accepted)")
            }
            if count == 0 { return .value(.array([])) }
            var elements: [RedisReply] = []
            elements.reserveCapacity(min(Int(count), 4096))
            open.append((Int(count), elements))
            return .opened
        default:
            throw Self.corrupt("a Redis reply has a value of type 0x\(String(type, radix: 16)), not one of + - : $ *")
        }
    }

    /// The line at `start` without its type check: its range (CRLF excluded) and where the next
    /// one starts; `nil` until its CRLF has arrived.
    private func line(at start: Int) throws -> (Range<Int>, next: Int)? {
        let limit = min(buffer.count, start + RedisReply.maximumLineLength + 1)
        var index = start
        while index < limit {
            switch buffer[index] {
            case Self.cr:
                guard index + 1 < buffer.count else { return nil }
                guard buffer[index + 1] == Self.lf else { throw Self.corrupt("a line of a Redis reply has a CR without LF") }
                return (start..<index, index + 2)
            case Self.lf:
                throw Self.corrupt("a line of a Redis reply has an LF without CR")
            default:
                index += 1
            }
        }
        guard index <= start + RedisReply.maximumLineLength else {
            throw Self.corrupt("a line of a Redis reply is longer than \(RedisReply.maximumLineLength) bytes")
        }
        return nil
    }

    /// The decimal number in `text` (`-` and digits, as Redis writes them), else `corruptData`.
    private static func number(_ text: ArraySlice<UInt8>, _ what: String) throws -> Int64 {
        guard let value = Int64(strictDecimal: text) else {
            throw corrupt("\(what) in a Redis reply is \(String(decoding: text.prefix(24), as: UTF8.self).debugDescription), not a decimal number")
        }
        return value
    }

    /// `corruptData` with `message`.
    private static func corrupt(_ message: String) -> UltraDictError {
        UltraDictError(.corruptData, message)
    }
}
