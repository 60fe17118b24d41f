import UltraDict
import UltraDictCore
import UltraDictTransport

/// The keys of one dictionary on a Redis server (`Docs/FORMAT.md`, "Redis"), every one
/// hash-tagged, so that a cluster keeps them in one slot: with the dictionary's name, or for a
/// nested dictionary or the register of a tree (`ROOT_n` and 16 hex digits, `ROOT_register`),
/// with the root's name, so that a tree lives in one slot. The members of a tree share the
/// root's lock and fence: the root's lock is the tree's.
struct RedisKeys: Sendable {
    /// `{NAME}:meta`: a hash of the settings fixed at creation.
    let meta: [UInt8]
    /// `{NAME}:log`: a stream, one entry per record or full dump.
    let log: [UInt8]
    /// `{NAME}:dump`: a hash of the last full dump's snapshot and the ID of its log entry.
    let dump: [UInt8]
    /// `{ROOT}:lock`: the lease of the lock's holder, its token as value.
    let lock: [UInt8]
    /// `{ROOT}:fence`: the number of leases granted so far.
    let fence: [UInt8]
    /// The root's name: the tree's, or the dictionary's own.
    let tag: String

    /// The keys of the dictionary `name`: `{TAG}REST:meta` and so on, where `TAG` + `REST` is
    /// the name and `TAG` its root's name (the whole name for a root). Throws `invalidArgument`
    /// for a name with `{` or `}`, which would make two names share keys.
    init(name: String) throws {
        guard !name.contains("{") && !name.contains("}") else {
            throw UltraDictError(.invalidArgument, "'\(name)': a dictionary on Redis cannot have { or } in its name")
        }
        let tag = NestedDictionaries.treeRoot(ofMember: name) ?? name
        let prefix = "{\(tag)}\(String(decoding: name.utf8.dropFirst(tag.utf8.count), as: UTF8.self)):"
        func key(_ suffix: String) -> [UInt8] { Array((prefix + suffix).utf8) }
        func treeKey(_ suffix: String) -> [UInt8] { Array("{\(tag)}:\(suffix)".utf8) }
        (meta, log, dump, lock, fence, self.tag) = (key("meta"), key("log"), key("dump"), treeKey("lock"), treeKey("fence"), tag)
    }

    /// Every key of the dictionary, for removing it: a tree's member leaves the tree's lock.
    var all: [[UInt8]] { isTreeMember ? [meta, log, dump] : [meta, log, dump, lock, fence] }

    /// Whether the dictionary is a nested dictionary or the register of a tree.
    var isTreeMember: Bool { meta != Array("{\(tag)}:meta".utf8) }

    /// Every key with its role (the suffix after `}:`) and the Redis type it has, in the order of ``all``.
    var described: [(key: [UInt8], role: String, type: String)] {
        let roles = [(meta, "meta", "hash"), (log, "log", "stream"), (dump, "dump", "hash"), (lock, "lock", "string"), (fence, "fence", "string")]
        return Array(roles.prefix(all.count))
    }

    /// The `SCAN` pattern that matches every dictionary's `{NAME}:meta` (and other keys, which
    /// ``name(ofMetaKey:)`` tells apart).
    static let metaPattern = Array("*}:meta".utf8)

    /// `bytes` as a `SCAN` pattern that matches exactly them: `*`, `?`, `[`, `]` and `\`
    /// escaped with a backslash.
    static func globEscaped(_ bytes: [UInt8]) -> [UInt8] {
        bytes.flatMap { globSpecial.contains($0) ? [UInt8(ascii: "\\"), $0] : [$0] }
    }

    /// The bytes that `SCAN`'s glob reads as more than themselves.
    private static let globSpecial = Set("*?[]\\".utf8)

    /// The dictionary name of `key` when it is exactly `{NAME}:meta` for a name that this package
    /// opens (`SegmentName.validate`: 1 to 240 UTF-8 bytes, no `/` or NUL); `nil` for any other key.
    static func name(ofMetaKey key: [UInt8]) -> String? {
        let (prefix, suffix) = (Array("{".utf8), Array("}:meta".utf8))
        guard key.count > prefix.count + suffix.count, key.starts(with: prefix), key.reversed().starts(with: suffix.reversed()) else { return nil }
        let bytes = key[prefix.count ..< key.count - suffix.count]
        let name = String(decoding: bytes, as: UTF8.self)
        // Bytes that are not UTF-8 decode to replacement characters, and so to another key.
        guard (try? RedisKeys(name: name))?.meta == key, (try? SegmentName.validate(name)) != nil else { return nil }
        return name
    }
}

/// A Redis stream entry ID, `MILLISECONDS-SEQUENCE`: the position of an entry in `{NAME}:log`.
package struct StreamID: Comparable, Sendable, CustomStringConvertible {
    /// The first part: the server's clock when it added the entry, in milliseconds.
    package let milliseconds: UInt64
    /// The second part: which entry of that millisecond.
    package let sequence: UInt64

    /// Before every entry: `0-0`.
    package static let zero = StreamID(milliseconds: 0, sequence: 0)

    /// The ID `milliseconds-sequence`.
    package init(milliseconds: UInt64, sequence: UInt64) {
        (self.milliseconds, self.sequence) = (milliseconds, sequence)
    }

    /// Parses the bytes of an ID the server sent, exactly as Redis writes one: two decimal u64
    /// joined by `-`, without signs or leading zeros (``Swift/UInt64/init(strictDecimal:)``).
    /// Throws `corruptData` for anything else: a missing part, a sign, a leading zero, an overflow.
    package init(_ bytes: [UInt8]) throws {
        let parts = bytes.split(separator: UInt8(ascii: "-"), maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let milliseconds = UInt64(strictDecimal: parts[0]), let sequence = UInt64(strictDecimal: parts[1]) else {
            throw UltraDictError(.corruptData, "a stream entry ID is \(String(decoding: bytes.prefix(48), as: UTF8.self).debugDescription), not MILLISECONDS-SEQUENCE (two decimal numbers of at most 20 digits, without sign or leading zero)")
        }
        self.init(milliseconds: milliseconds, sequence: sequence)
    }

    /// `MILLISECONDS-SEQUENCE`, as Redis writes it.
    package var description: String { "\(milliseconds)-\(sequence)" }

    /// The ID as a command argument.
    package var bytes: [UInt8] { Array(description.utf8) }

    /// Whether `lhs` comes before `rhs` in a stream.
    package static func < (lhs: StreamID, rhs: StreamID) -> Bool {
        (lhs.milliseconds, lhs.sequence) < (rhs.milliseconds, rhs.sequence)
    }
}
