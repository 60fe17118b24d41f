import UltraDictCore
import UltraDictTransport

/// The keys of one dictionary on a Redis server (`Docs/FORMAT.md`, "Redis"), every one
/// hash-tagged with the dictionary's name, so that a cluster keeps them in one slot.
struct RedisKeys: Sendable {
    /// `{NAME}:meta`: a hash of the settings fixed at creation.
    let meta: [UInt8]
    /// `{NAME}:log`: a stream, one entry per record or full dump.
    let log: [UInt8]
    /// `{NAME}:dump`: a hash of the last full dump's snapshot and the ID of its log entry.
    let dump: [UInt8]
    /// `{NAME}:lock`: the lease of the lock's holder, its token as value.
    let lock: [UInt8]
    /// `{NAME}:fence`: the number of leases granted so far.
    let fence: [UInt8]

    /// The keys of the dictionary `name`.
    init(name: String) {
        func key(_ suffix: String) -> [UInt8] { Array("{\(name)}:\(suffix)".utf8) }
        (meta, log, dump, lock, fence) = (key("meta"), key("log"), key("dump"), key("lock"), key("fence"))
    }

    /// Every key, for removing the dictionary.
    var all: [[UInt8]] { [meta, log, dump, lock, fence] }

    /// Every key with its role (the suffix after `}:`) and the Redis type it has, in the order of ``all``.
    var described: [(key: [UInt8], role: String, type: String)] {
        [(meta, "meta", "hash"), (log, "log", "stream"), (dump, "dump", "hash"), (lock, "lock", "string"), (fence, "fence", "string")]
    }

    /// The `SCAN` pattern that matches every dictionary's `{NAME}:meta` (and other keys, which
    /// ``name(ofMetaKey:)`` tells apart).
    static let metaPattern = Array("*}:meta".utf8)

    /// The dictionary name of `key` when it is exactly `{NAME}:meta` for a name that this package
    /// opens (`SegmentName.validate`: 1 to 240 UTF-8 bytes, no `/` or NUL); `nil` for any other key.
    static func name(ofMetaKey key: [UInt8]) -> String? {
        let (prefix, suffix) = (Array("{".utf8), Array("}:meta".utf8))
        guard key.count > prefix.count + suffix.count, key.starts(with: prefix), key.reversed().starts(with: suffix.reversed()) else { return nil }
        let bytes = key[prefix.count ..< key.count - suffix.count]
        let name = String(decoding: bytes, as: UTF8.self)
        // Bytes that are not UTF-8 decode to replacement characters, and so to another key.
        guard RedisKeys(name: name).meta == key, (try? SegmentName.validate(name)) != nil else { return nil }
        return name
    }
}

/// A Redis stream entry ID, `MILLISECONDS-SEQUENCE`: the position of an entry in `{NAME}:log`.
struct StreamID: Comparable, Sendable, CustomStringConvertible {
    let milliseconds: UInt64
    let sequence: UInt64

    /// Before every entry: `0-0`.
    static let zero = StreamID(milliseconds: 0, sequence: 0)

    init(milliseconds: UInt64, sequence: UInt64) {
        (self.milliseconds, self.sequence) = (milliseconds, sequence)
    }

    /// Parses the bytes of an ID the server sent; throws `corruptData` for anything else.
    init(_ bytes: [UInt8]) throws {
        let parts = bytes.split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
        guard bytes.count <= 41, parts.count == 2,
              let milliseconds = UInt64(String(decoding: parts[0], as: UTF8.self)),
              let sequence = UInt64(String(decoding: parts[1], as: UTF8.self)) else {
            throw UltraDictError(.corruptData, "a stream entry ID is \(String(decoding: bytes.prefix(48), as: UTF8.self).debugDescription), not MILLISECONDS-SEQUENCE")
        }
        self.init(milliseconds: milliseconds, sequence: sequence)
    }

    var description: String { "\(milliseconds)-\(sequence)" }

    /// The ID as a command argument.
    var bytes: [UInt8] { Array(description.utf8) }

    static func < (lhs: StreamID, rhs: StreamID) -> Bool {
        (lhs.milliseconds, lhs.sequence) < (rhs.milliseconds, rhs.sequence)
    }
}
