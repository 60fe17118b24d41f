import UltraDictCore
import UltraDictRedis

/// The Redis module's readers of what a server answers, fed the input as the bytes a server
/// sends: the RESP2 reader first, then every decoder of the module's answers, on each reply.
enum RedisSurfaces {
    /// The most replies read from one input, one after the other as in a pipeline.
    static let maximumReplies = 16
    /// What the dictionary's decoders are given as the replica's last entry.
    static let after = StreamID(milliseconds: 1, sequence: 0)

    /// Reads the input's replies with `RedisReply.parse`, again with a `RedisReplyReader` fed in
    /// pieces of 1 to 16 bytes (the first byte decides), and feeds each reply to every decoder.
    ///
    /// An accepted reply must take some of the input and write back (`serialized`) to bytes
    /// that parse to it again; the pieces must give the same replies and the same refusal; a
    /// decoded log page must be in strictly increasing order after the requested ID.
    static func redis(_ bytes: UnsafeRawBufferPointer) throws {
        let whole = try parse(bytes)
        let pieces = try read(bytes, inPiecesOf: 1 + Int(bytes.first ?? 0) % 16)
        try require(
            pieces.replies == whole.replies && pieces.refused == whole.refused,
            "read in pieces, \(pieces.replies.count) replies (refused: \(pieces.refused)); at once, \(whole.replies.count) (refused: \(whole.refused))"
        )
        for reply in whole.replies { try decoders(reply) }
    }

    /// The replies read and whether the reader refused what followed them.
    struct Outcome {
        var replies: [RedisReply] = []
        var refused = false
    }

    /// Reads up to ``maximumReplies`` replies with `RedisReply.parse`, checking each.
    private static func parse(_ bytes: UnsafeRawBufferPointer) throws -> Outcome {
        var outcome = Outcome()
        var rest = bytes[...]
        outcome.refused = try refuses {
            while outcome.replies.count < maximumReplies, let (reply, length) = try RedisReply.parse(rest) {
                try require(length > 0 && length <= rest.count, "RedisReply.parse took \(length) of \(rest.count) bytes")
                // A status or error of bytes that are not UTF-8 writes back longer (U+FFFD is
                // 3 bytes): past the line limit, it is refused, rightly.
                if longestLine(reply) <= RedisReply.maximumLineLength {
                    let again = try RedisReply.parse(reply.serialized)
                    try require(again?.reply == reply && again?.length == reply.serialized.count, "\(reply.summary) does not write back to itself")
                }
                outcome.replies.append(reply)
                rest = rest.dropFirst(length)
            }
        }
        return outcome
    }

    /// Reads up to ``maximumReplies`` replies with a `RedisReplyReader` fed `size` bytes at a time.
    private static func read(_ bytes: UnsafeRawBufferPointer, inPiecesOf size: Int) throws -> Outcome {
        var outcome = Outcome()
        var reader = RedisReplyReader()
        outcome.refused = try refuses {
            for start in stride(from: 0, to: bytes.count, by: size) where outcome.replies.count < maximumReplies {
                reader.append(bytes[start..<min(start + size, bytes.count)])
                while outcome.replies.count < maximumReplies, let reply = try reader.next() { outcome.replies.append(reply) }
            }
        }
        return outcome
    }

    /// Runs `body`: whether it threw an `UltraDictError`, a refusal; any other error is a finding.
    private static func refuses(_ body: () throws -> Void) throws -> Bool {
        do {
            try body()
            return false
        } catch is UltraDictError {
            return true
        } catch let finding as FuzzFinding {
            throw finding
        } catch {
            throw FuzzFinding("the RESP reader threw \(type(of: error)) instead of UltraDictError: \(error)")
        }
    }

    /// The longest status or error line that `reply` writes, its type byte included.
    private static func longestLine(_ reply: RedisReply) -> Int {
        switch reply {
        case let .status(text), let .error(text): 1 + text.utf8.count
        case let .array(elements): elements.map(longestLine).max() ?? 0
        default: 0
        }
    }

    /// Feeds `reply` to every decoder of the module's answers, as if it answered each request.
    private static func decoders(_ reply: RedisReply) throws {
        try attempt("StreamID") {
            guard case let .bulk(bytes) = reply else { return }
            let id = try StreamID(bytes)
            try require(id.bytes == bytes, "StreamID accepted \(bytes), which it writes as \(id)")
        }
        try attempt("StreamEntry") {
            let entry = try StreamEntry(reply)
            try require(try StreamEntry(entry.reply) == entry, "log entry \(entry.id) does not write back to itself")
        }
        try attempt("LogPage") { try ordered(LogPage(reply, after: after).entries, "LogPage") }
        try attempt("LogPage(read:)") { try ordered(LogPage(read: reply, after: after).entries, "LogPage(read:)") }
        try attempt("LeaseAnswer") {
            let answer = try LeaseAnswer(reply, after: after)
            try ordered(answer.entries, "LeaseAnswer")
            try require(
                answer.fence.map { $0 > 0 && answer.remaining == .zero } ?? (answer.remaining >= .milliseconds(1) && answer.entries.isEmpty),
                "LeaseAnswer returned fence \(String(describing: answer.fence)), \(answer.entries.count) entries, \(answer.remaining) remaining"
            )
        }
        try attempt("AppendAnswer") {
            switch try AppendAnswer(reply, after: after) {
            case let .written(id, missed):
                try ordered(missed + [StreamEntry(id: id, content: .fullDump)], "AppendAnswer")
            case let .leaseHeld(remaining):
                try require(remaining >= .milliseconds(1), "AppendAnswer: the lease is held for \(remaining)")
            }
        }
        try attempt("DumpAnswer") {
            switch try DumpAnswer(reply, after: after) {
            case let .published(id): try require(id > after, "DumpAnswer published \(id), not after \(after)")
            case let .outdated(head): try require(head != after, "DumpAnswer: the log moved past \(after) to itself")
            case let .leaseHeld(remaining): try require(remaining >= .milliseconds(1), "DumpAnswer: the lease is held for \(remaining)")
            }
        }
        try attempt("StoredDump") {
            let dump = try StoredDump(reply, publishedAt: after, name: "fuzz", key: Array("{fuzz}:dump".utf8))
            try require(dump.id >= after, "StoredDump returned \(dump.id), before the entry \(after)")
        }
        try attempt("OpenAnswer") {
            guard case let .attached(serializer, recurse, version) = try OpenAnswer(reply, meta: "{fuzz}:meta") else { return }
            for setting in [serializer, recurse, version] {
                try require((setting?.utf8.count ?? 0) <= MetaSetting.longest, "OpenAnswer returned a setting of \(setting?.utf8.count ?? 0) bytes")
            }
        }
        try attempt("FactsReader") { _ = try FactsReader(name: "fuzz").read(transaction: reply) }
    }

    /// Throws a finding unless `entries` are in strictly increasing ID order after ``after``.
    private static func ordered(_ entries: [StreamEntry], _ decoder: String) throws {
        var previous = after
        for entry in entries {
            try require(entry.id > previous, "\(decoder) returned entry \(entry.id) after \(previous)")
            previous = entry.id
        }
    }
}
