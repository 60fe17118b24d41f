import UltraDictCore

/// One entry of a dictionary's log on the server (`{NAME}:log`), checked: an ID and either a
/// record (field `r`) or the mark of a full dump (field `d`).
package struct StreamEntry: Sendable, Equatable {
    /// What an entry says.
    package enum Content: Sendable, Equatable {
        /// An update record, as the serializer encoded it.
        case record([UInt8])
        /// A full dump was published here: the snapshot is in `{NAME}:dump`.
        case fullDump
    }

    /// Where the entry is in the log.
    package let id: StreamID
    /// The record, or the mark of a full dump.
    package let content: Content

    /// An entry as the server would send it.
    package init(id: StreamID, content: Content) {
        (self.id, self.content) = (id, content)
    }

    /// Reads one entry of an `XRANGE` or `XREAD` reply: `[id, [field, value]]`.
    package init(_ reply: RedisReply) throws {
        let parts = try reply.array("a log entry")
        guard parts.count == 2 else { throw UltraDictError(.corruptData, "a log entry has \(parts.count) parts, not an ID and its fields") }
        id = try StreamID(parts[0].bytes("a log entry's ID"))
        let fields = try parts[1].array("a log entry's fields")
        guard fields.count == 2 else {
            throw UltraDictError(.corruptData, "log entry \(id) has \(fields.count) field names and values, not one field (r or d) and its value")
        }
        switch try fields[0].bytes("a log entry's field") {
        case Array("r".utf8): content = .record(try fields[1].bytes("log entry \(id)'s record"))
        case Array("d".utf8): content = .fullDump
        case let field: throw UltraDictError(.corruptData, "log entry \(id) has the field \(String(decoding: field.prefix(32), as: UTF8.self).debugDescription), not r or d")
        }
    }

    /// The entry as the server sends it in an `XRANGE` reply: `[id, [r, record]]` or `[id, [d, ""]]`.
    package var reply: RedisReply {
        let fields: [RedisReply] = switch content {
        case let .record(record): [.bulk(Array("r".utf8)), .bulk(record)]
        case .fullDump: [.bulk(Array("d".utf8)), .bulk([])]
        }
        return .array([.bulk(id.bytes), .array(fields)])
    }
}

/// The entries that the server returned for "the log's entries after `after`": a page of an
/// `XRANGE`, of an `XREAD`, or of a script that runs `XRANGE`.
///
/// Checked whole before any entry is applied: at most ``size`` entries, each well formed, in
/// strictly increasing ID order, every one after `after` (the ID the request named) and before
/// `before` when the request set an end. A page that breaks this would make the replica skip
/// or reorder changes: it throws `corruptData`.
package struct LogPage: Sendable, Equatable {
    /// The most entries one request asks for (`COUNT 1000`): a full page means more may follow.
    package static let size = 1000

    /// The entries, in the log's order.
    package let entries: [StreamEntry]

    /// Reads an `XRANGE` reply: an array of entries.
    package init(_ reply: RedisReply, after: StreamID, before: StreamID? = nil) throws {
        let elements = try reply.array("a page of the log")
        guard elements.count <= Self.size else {
            throw UltraDictError(.corruptData, "a page of the log has \(elements.count) entries; \(Self.size) at most were asked for")
        }
        entries = try elements.map(StreamEntry.init)
        var previous = after
        for entry in entries {
            guard entry.id > previous else {
                let which = previous == after ? "the requested start \(after)" : "the entry before it, \(previous)"
                throw UltraDictError(.corruptData, "a page of the log is out of order: entry \(entry.id) does not come after \(which)")
            }
            previous = entry.id
        }
        if let before, previous >= before, !entries.isEmpty {
            throw UltraDictError(.corruptData, "a page of the log ends with entry \(previous), not before \(before) as requested")
        }
    }

    /// Reads an `XREAD` reply on one stream: `[[key, entries]]`, or null when it timed out (no entries).
    package init(read reply: RedisReply, after: StreamID) throws {
        if case .null = reply {
            entries = []
            return
        }
        let streams = try reply.array("an XREAD reply")
        guard streams.count == 1, case let stream = try streams[0].array("an XREAD stream"), stream.count == 2 else {
            throw UltraDictError(.corruptData, "an XREAD reply on one stream has \(streams.count) streams or a malformed one")
        }
        self = try LogPage(stream[1], after: after)
    }

    /// Whether the page holds ``size`` entries: the log may have more after them.
    package var isFull: Bool { entries.count >= Self.size }
}
