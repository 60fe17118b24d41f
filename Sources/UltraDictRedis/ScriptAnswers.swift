import UltraDictCore

// The answers of the Lua scripts (`DictionaryScripts`) and of the full dump's `HMGET`, decoded
// by small types that check them whole before anyone acts on them: the element count, each
// element's kind, every number's range, every ID's spelling and order. Anything else throws
// `corruptData` saying what was expected: a server (or a client that wrote the keys) is not
// trusted to answer as the scripts do.

/// The answer of `DictionaryScripts.acquire`: `{fence, entries}` when the lease was granted,
/// `{-milliseconds}` when another client holds it.
package struct LeaseAnswer: Sendable, Equatable {
    /// The fencing counter's new value, 1 or more, when the lease was granted; `nil` when another
    /// client holds it.
    package let fence: Int64?
    /// The log's entries after the ID the request named, which the new holder applies; none
    /// when the lease was not granted.
    package let entries: [StreamEntry]
    /// How long the other client's lease lasts still, 1 ms or more; zero when granted.
    package let remaining: Duration

    /// Decodes `reply`, the answer to a request that named `after` as the replica's last entry.
    package init(_ reply: RedisReply, after: StreamID) throws {
        let parts = try reply.array("the lease's answer")
        let first = try parts.first?.integer("the lease's fence")
        switch (first, parts.count) {
        case let (fence?, 2) where fence > 0:
            (self.fence, remaining) = (fence, .zero)
            entries = try LogPage(parts[1], after: after).entries
        case let (negated?, 1) where negated < 0 && negated != .min:
            (fence, entries, remaining) = (nil, [], .milliseconds(-negated))
        default:
            throw UltraDictError(
                .corruptData,
                "the lease's answer is \(reply.summary) starting with \(first.map(String.init) ?? "no integer"): neither a fence of 1 or more and the log's entries, nor the negated milliseconds (1 or more) that the holder's lease has left"
            )
        }
    }
}

/// The answer of `DictionaryScripts.append`.
package enum AppendAnswer: Sendable, Equatable {
    /// `{1, id, entries}`: the record is the entry `id`; `missed` are the entries between the
    /// replica's last one and it, which the writer applies before its own.
    case written(id: StreamID, missed: [StreamEntry])
    /// `{0, milliseconds}`: another client holds the lease; nothing was written.
    case leaseHeld(remaining: Duration)

    /// Decodes `reply`, the answer to a request that named `after` as the replica's last entry:
    /// the new ID must come after it, and the missed entries between the two.
    package init(_ reply: RedisReply, after: StreamID) throws {
        let (outcome, parts) = try writeOutcome(reply, "an append's answer")
        switch (outcome, parts.count) {
        case (0, 2): self = .leaseHeld(remaining: try remainingLease(parts[1], "an append's answer"))
        case (1, 3):
            let id = try newEntry(parts[1], after: after, "an append's answer")
            self = .written(id: id, missed: try LogPage(parts[2], after: after, before: id).entries)
        default: throw unexpectedOutcome(outcome, parts.count, "an append's answer", expected: "{1, id, entries} or {0, milliseconds}")
        }
    }
}

/// The answer of `DictionaryScripts.publishDump`.
package enum DumpAnswer: Sendable, Equatable {
    /// `{1, id}`: the dump was published at the entry `id`.
    case published(id: StreamID)
    /// `{2, head}`: the log moved past the dump's entry (its last entry is `head`); nothing was written.
    case outdated(head: StreamID)
    /// `{0, milliseconds}`: another client holds the lease; nothing was written.
    case leaseHeld(remaining: Duration)

    /// Decodes `reply`, the answer to a request whose snapshot covers the log up to `after`.
    package init(_ reply: RedisReply, after: StreamID) throws {
        let (outcome, parts) = try writeOutcome(reply, "a full dump's answer")
        switch (outcome, parts.count) {
        case (0, 2): self = .leaseHeld(remaining: try remainingLease(parts[1], "a full dump's answer"))
        case (1, 2): self = .published(id: try newEntry(parts[1], after: after, "a full dump's answer"))
        case (2, 2):
            let head = try StreamID(parts[1].bytes("the log's last entry in a full dump's answer"))
            guard head != after else {
                throw UltraDictError(.corruptData, "a full dump's answer says that the log moved past \(after), but names it as the log's last entry")
            }
            self = .outdated(head: head)
        default: throw unexpectedOutcome(outcome, parts.count, "a full dump's answer", expected: "{1, id}, {2, last id} or {0, milliseconds}")
        }
    }
}

/// The full dump that `HMGET {NAME}:dump id snapshot` returns.
package struct StoredDump: Sendable, Equatable {
    /// The ID of the `d` entry that published it.
    package let id: StreamID
    /// The serializer's snapshot.
    package let snapshot: [UInt8]

    /// Decodes `reply` for the log's `d` entry `entry` of the dictionary `name`, whose dump key is
    /// `key`: both fields must be there, and the dump's ID at least the entry's (a later dump may
    /// have replaced it, never an earlier one).
    package init(_ reply: RedisReply, publishedAt entry: StreamID, name: String, key: [UInt8]) throws {
        let fields = try reply.array("the full dump")
        guard fields.count == 2, let id = try fields[0].optionalBytes("the full dump's ID").map(StreamID.init),
              let snapshot = try fields[1].optionalBytes("the full dump's snapshot") else {
            throw UltraDictError(.corruptData, "'\(name)': the log has a full dump entry \(entry), but \(String(decoding: key, as: UTF8.self)) has no snapshot")
        }
        guard id >= entry else {
            throw UltraDictError(.corruptData, "'\(name)': the log's full dump entry is \(entry), but the full dump is that of \(id), an earlier entry")
        }
        (self.id, self.snapshot) = (id, snapshot)
    }
}

/// The answer of `DictionaryScripts.open`.
package enum OpenAnswer: Sendable, Equatable {
    /// `{'created'}`: this call created the dictionary.
    case created
    /// `{'exists'}`: asked to create a dictionary that exists.
    case exists
    /// `{'missing'}`: asked to attach to a dictionary that does not exist.
    case missing
    /// `{'attached', serializer, recurse, version}`: the settings `{NAME}:meta` records, each
    /// `nil` when missing (``MetaSetting``).
    case attached(serializer: String?, recurse: String?, version: String?)

    /// Decodes `reply`; `meta` names the key in messages.
    package init(_ reply: RedisReply, meta: String) throws {
        let parts = try reply.array("the open's answer")
        let word = try parts.first.map { try MetaSetting.text($0, "the open's outcome", in: meta) }
        switch (word, parts.count) {
        case ("created", 1): self = .created
        case ("exists", 1): self = .exists
        case ("missing", 1): self = .missing
        case ("attached", 4):
            let settings = try zip(["serializer", "recurse", "version"], parts.dropFirst()).map { try MetaSetting.text($1, $0, in: meta) }
            self = .attached(serializer: settings[0], recurse: settings[1], version: settings[2])
        default:
            throw UltraDictError(.corruptData, "the open's answer is \(reply.summary) starting with \(word?.debugDescription ?? "nothing"), not created, exists, missing or attached with 3 settings")
        }
    }
}

/// A setting of `{NAME}:meta` (its serializer, recurse or version) as the server returns it.
package enum MetaSetting {
    /// The longest setting read; the package's serializer identifiers have at most 16 bytes.
    package static let longest = 64

    /// The setting `field` in `reply` as text, `nil` when missing; throws `corruptData` for bytes
    /// that are not UTF-8 or longer than ``longest``, or another kind of reply.
    package static func text(_ reply: RedisReply, _ field: String, in meta: String) throws -> String? {
        guard let bytes = try reply.optionalBytes("\(field) in \(meta)") else { return nil }
        guard bytes.count <= longest else {
            throw UltraDictError(.corruptData, "\(meta): \(field) is \(bytes.count) bytes, more than \(longest)")
        }
        return try reply.string("\(field) in \(meta)")
    }
}

// MARK: - Shared checks

/// The outcome (the first element, an integer) of a writing script's answer, and every element.
private func writeOutcome(_ reply: RedisReply, _ what: String) throws -> (Int64, [RedisReply]) {
    let parts = try reply.array(what)
    guard let first = parts.first else { throw UltraDictError(.corruptData, "\(what) is an empty array") }
    return (try first.integer("the outcome in \(what)"), parts)
}

/// `corruptData` for a writing script's answer of an unknown outcome or element count.
private func unexpectedOutcome(_ outcome: Int64, _ count: Int, _ what: String, expected: String) -> UltraDictError {
    UltraDictError(.corruptData, "\(what) has outcome \(outcome) and \(count) elements, not \(expected)")
}

/// The ID of the entry a script added, which must come after `after`, the replica's last.
private func newEntry(_ reply: RedisReply, after: StreamID, _ what: String) throws -> StreamID {
    let id = try StreamID(reply.bytes("the new entry's ID in \(what)"))
    guard id > after else {
        throw UltraDictError(.corruptData, "\(what): the new entry \(id) does not come after \(after), the last one the replica holds")
    }
    return id
}

/// How long another client's lease lasts still, from a `PTTL` in a writing script's answer: 1 ms
/// at least (a lock without expiry, `-1`, is waited for 1 ms at a time); below `-1` is refused.
private func remainingLease(_ reply: RedisReply, _ what: String) throws -> Duration {
    let milliseconds = try reply.integer("the lease's remaining time in \(what)")
    guard milliseconds >= -1 else {
        throw UltraDictError(.corruptData, "\(what): the lease's remaining time is \(milliseconds) ms")
    }
    return .milliseconds(max(1, milliseconds))
}
