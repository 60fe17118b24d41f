import UltraDictCore

/// One entry of a dictionary's log on the server (`{NAME}:log`), checked: an ID and either a
/// record (field `r`) or the mark of a full dump (field `d`).
struct StreamEntry: Sendable {
    /// What an entry says.
    enum Content: Sendable {
        /// An update record, as the serializer encoded it.
        case record([UInt8])
        /// A full dump was published here: the snapshot is in `{NAME}:dump`.
        case fullDump
    }

    let id: StreamID
    let content: Content

    /// An entry as the server would send it.
    init(id: StreamID, content: Content) {
        (self.id, self.content) = (id, content)
    }

    /// Reads one entry of an `XRANGE` or `XREAD` reply: `[id, [field, value]]`.
    init(_ reply: RedisReply) throws {
        let parts = try reply.array("a log entry")
        guard parts.count == 2 else { throw UltraDictError(.corruptData, "a log entry has \(parts.count) parts, not an ID and its fields") }
        id = try StreamID(parts[0].bytes("a log entry's ID"))
        let fields = try parts[1].array("a log entry's fields")
        guard fields.count == 2 else {
            throw UltraDictError(.corruptData, "log entry \(id) has \(fields.count / 2) fields, not one (r or d)")
        }
        switch try fields[0].bytes("a log entry's field") {
        case Array("r".utf8): content = .record(try fields[1].bytes("log entry \(id)'s record"))
        case Array("d".utf8): content = .fullDump
        case let field: throw UltraDictError(.corruptData, "log entry \(id) has the field \(String(decoding: field.prefix(32), as: UTF8.self).debugDescription), not r or d")
        }
    }

    /// The entries of an `XRANGE` reply.
    static func list(_ reply: RedisReply) throws -> [StreamEntry] {
        try reply.array("the log's entries").map(StreamEntry.init)
    }

    /// The entries of an `XREAD` reply on one stream; none when it timed out (`null`).
    static func read(_ reply: RedisReply) throws -> [StreamEntry] {
        if case .null = reply { return [] }
        let streams = try reply.array("an XREAD reply")
        guard streams.count == 1, case let stream = try streams[0].array("an XREAD stream"), stream.count == 2 else {
            throw UltraDictError(.corruptData, "an XREAD reply on one stream has \(streams.count) streams or a malformed one")
        }
        return try list(stream[1])
    }
}
