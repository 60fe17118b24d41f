import UltraDictCore
import UltraDictTransport

// What the `ultradict` tool asks of a server: which dictionaries it holds, what each holds, and
// removing one. The keys' contents are untrusted: every reply is checked, and a bad one is a
// problem to report (`RemoteDictionaryFacts.problems`) or an `UltraDictError`, never a trap.

extension RedisBackend {
    func remove(name: String, onlyIfRecursive: Bool) throws -> [String] {
        let keys = try RedisKeys(name: name)
        let mode = Array((onlyIfRecursive ? "recursive" : "any").utf8)
        let removed = try Replicas.shared.client(for: self).script(DictionaryScripts.remove, keys: keys.all, arguments: [mode])
            .array("the keys removed").map { try $0.bytes("a key removed") }
        // The script returns some of the keys it was given, in their order.
        let described = keys.described
        guard removed.count <= described.count, removed.allSatisfy(keys.all.contains) else {
            throw UltraDictError(.corruptData, "'\(name)' on \(description): the removal answered with \(removed.count) keys, not some of the dictionary's")
        }
        return described.filter { removed.contains($0.key) }.map { String(decoding: $0.key, as: UTF8.self) }
    }

    func names() throws -> [String] {
        var names: Set<String> = []
        // SCAN may return a key twice; the pattern matches keys of other shapes too.
        try scan(matching: RedisKeys.metaPattern) { key in
            if let name = RedisKeys.name(ofMetaKey: key) { names.insert(name) }
        }
        return names.sorted()
    }

    func keys(ofTree root: String) throws -> [String] {
        let keys = try RedisKeys(name: root)
        var found: Set<[UInt8]> = []
        try scan(matching: RedisKeys.globEscaped(Array("{\(keys.tag)}".utf8)) + Array("*".utf8)) { found.insert($0) }
        return found.map { String(decoding: $0, as: UTF8.self) }.sorted()
    }

    /// Walks the server's keys that match the glob `pattern` with `SCAN`, 1,000 a round trip,
    /// calling `body` with each (some twice: SCAN may return a key again), each reply checked.
    private func scan(matching pattern: [UInt8], _ body: ([UInt8]) throws -> Void) throws {
        let client = Replicas.shared.client(for: self)
        var cursor = Array("0".utf8)
        repeat {
            let reply = try client.command([Array("SCAN".utf8), cursor, Array("MATCH".utf8), pattern, Array("COUNT".utf8), Array("1000".utf8)])
                .array("SCAN's reply")
            guard reply.count == 2 else { throw UltraDictError(.corruptData, "\(description): SCAN answered with \(reply.count) elements, not a cursor and keys") }
            cursor = try reply[0].bytes("SCAN's cursor")
            guard (1...20).contains(cursor.count), cursor.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
                throw UltraDictError(.corruptData, "\(description): SCAN's cursor is \(cursor.count) bytes that are not a decimal number")
            }
            for key in try reply[1].array("SCAN's keys") { try body(try key.bytes("a key SCAN found")) }
        } while cursor != Array("0".utf8)
    }

    /// What the server holds of `name`; a lease this process keeps for reuse is given up first
    /// (its release goes out ahead of the reads), so that the lock shows as held only while a
    /// thread holds it.
    func facts(of name: String) throws -> RemoteDictionaryFacts? {
        let reader = try FactsReader(name: name)
        Replicas.shared.giveUpKeptLeases()
        // MULTI … EXEC: every read sees the same moment.
        let replies = try Replicas.shared.client(for: self).pipeline([[Array("MULTI".utf8)]] + reader.reads + [[Array("EXEC".utf8)]])
        guard replies.count == reader.reads.count + 2 else {
            throw UltraDictError(.corruptData, "'\(name)' on \(description): \(replies.count) replies to \(reader.reads.count + 2) commands")
        }
        do {
            return try reader.read(transaction: replies[replies.count - 1])
        } catch let error as UltraDictError {
            throw UltraDictError(error.code, "'\(name)' on \(description): \(error.message)", underlying: error.underlying)
        }
    }
}

/// Reads what ``RedisBackend/facts(of:)`` reports of one dictionary, in one transaction, and
/// turns the replies into facts, each checked: a reply of another shape than the layout's
/// leaves its fact `nil` and adds a problem.
package struct FactsReader {
    /// The dictionary's name.
    let name: String
    /// Its keys.
    let keys: RedisKeys

    /// The reader of the dictionary `name`; throws `invalidArgument` for a name that has no keys.
    package init(name: String) throws {
        (self.name, keys) = (name, try RedisKeys(name: name))
    }

    /// The commands of the transaction, in the order ``read(transaction:)`` expects their replies.
    package var reads: [[[UInt8]]] {
        func command(_ name: String, _ key: [UInt8], _ arguments: String...) -> [[UInt8]] {
            [Array(name.utf8), key] + arguments.map { Array($0.utf8) }
        }
        return [
            command("EXISTS", keys.meta),
            command("HMGET", keys.meta, "serializer", "recurse", "version"),
            command("XLEN", keys.log),
            command("XRANGE", keys.log, "-", "+", "COUNT", "1"),
            command("XREVRANGE", keys.log, "+", "-", "COUNT", "1"),
            command("HGET", keys.dump, "id"),
            command("HSTRLEN", keys.dump, "snapshot"),
            command("PTTL", keys.lock),
            command("GET", keys.fence),
        ] + keys.all.map { command("TYPE", $0) }
    }

    /// The facts in `reply`, the `EXEC` reply of the transaction of ``reads``: `nil` when the
    /// dictionary does not exist. Throws `corruptData` when it is not an array of one reply per
    /// read, or `EXISTS` did not answer an integer.
    package func read(transaction reply: RedisReply) throws -> RemoteDictionaryFacts? {
        let results = try reply.array("the transaction reading '\(name)'")
        guard results.count == reads.count else {
            throw UltraDictError(.corruptData, "the transaction answered \(results.count) of \(reads.count) reads")
        }
        guard try results[0].integer("EXISTS") == 1 else { return nil }
        return read(results)
    }

    /// The facts in `results`, one reply per read, checked one by one.
    private func read(_ results: [RedisReply]) -> RemoteDictionaryFacts {
        var facts = RemoteDictionaryFacts()
        func checked<T>(_ read: () throws -> T?) -> T? {
            do {
                return try read()
            } catch {
                facts.problems.append((error as? UltraDictError)?.message ?? "\(error)")
            }
            return nil
        }
        let meta = String(decoding: keys.meta, as: UTF8.self)
        let settings = checked { () -> [String?] in
            let fields = try results[1].array("the settings in \(meta)")
            guard fields.count == 3 else { throw UltraDictError(.corruptData, "\(meta): HMGET answered \(fields.count) fields of 3") }
            return try zip(["serializer", "recurse", "version"], fields).map { field, reply in try MetaSetting.text(reply, field, in: meta) }
        }
        if let settings {
            facts.serializer = checked { try required("serializer", settings[0], in: meta) }
            facts.recurse = checked {
                switch try required("recurse", settings[1], in: meta) {
                case "0": false
                case "1": true
                case let other: throw UltraDictError(.corruptData, "\(meta): recurse is \(other.debugDescription), not 0 or 1")
                }
            }
            facts.layoutVersion = checked {
                let text = try required("version", settings[2], in: meta)
                guard let version = Int64(strictDecimal: text.utf8).flatMap(Int.init(exactly:)), version >= 0 else { throw UltraDictError(.corruptData, "\(meta): version is \(text.debugDescription), not a number") }
                return version
            }
        }
        let log = String(decoding: keys.log, as: UTF8.self)
        facts.logLength = checked { Int(exactly: try count(results[2], "XLEN of \(log)")) }
        facts.firstEntry = checked { try onlyEntryID(results[3], "the first entry of \(log)")?.description }
        facts.lastEntry = checked { try onlyEntryID(results[4], "the last entry of \(log)")?.description }
        let dump = String(decoding: keys.dump, as: UTF8.self)
        let dumpID = checked { try results[5].optionalBytes("the id in \(dump)").map { try streamID($0, "the id in \(dump)") } }
        let dumpSize = checked { Int(exactly: try count(results[6], "the snapshot's size in \(dump)")) }
        if let dumpID {
            facts.fullDumpEntry = dumpID.description
            facts.fullDumpSize = dumpSize
        } else if let dumpSize, dumpSize > 0 {
            facts.problems.append("\(dump) holds a snapshot of \(dumpSize) bytes but no id")
        }
        let lock = String(decoding: keys.lock, as: UTF8.self)
        switch checked({ try results[7].integer("PTTL of \(lock)") }) {
        case nil: break
        case .some(-2): facts.lockHeld = false
        case .some(-1):
            facts.lockHeld = true
            facts.problems.append("\(lock) has no expiry: its holder keeps the lock until someone deletes the key")
        case let milliseconds? where milliseconds >= 0:
            (facts.lockHeld, facts.leaseRemaining) = (true, .milliseconds(milliseconds))
        case let other?: facts.problems.append("PTTL of \(lock) is \(other)")
        }
        let fence = String(decoding: keys.fence, as: UTF8.self)
        facts.fence = checked {
            // No key: no lease was granted yet.
            guard let bytes = try results[8].optionalBytes("the value of \(fence)") else { return 0 }
            guard let value = Int64(strictDecimal: bytes), value >= 0 else {
                throw UltraDictError(.corruptData, "\(fence) holds \(bytes.count) bytes that are not a count")
            }
            return value
        }
        for ((key, role, expected), reply) in zip(keys.described, results[9...]) {
            let keyName = String(decoding: key, as: UTF8.self)
            guard let type = checked({ try reply.string("the type of \(keyName)") }), type != "none" else { continue }
            guard type.utf8.count <= 32 else {
                facts.problems.append("the type of \(keyName) is \(type.utf8.count) bytes long")
                continue
            }
            facts.parts.append(.init(name: keyName, role: role, type: type))
            if type != expected { facts.problems.append("\(keyName) is a \(type), not a \(expected)") }
        }
        return facts
    }

    /// The setting `field`, read by ``MetaSetting/text(_:_:in:)``; throws when it is missing.
    private func required(_ field: String, _ setting: String?, in meta: String) throws -> String {
        guard let setting else { throw UltraDictError(.corruptData, "\(meta) records no \(field)") }
        return setting
    }

    /// A count the server returned: an integer, 0 or more.
    private func count(_ reply: RedisReply, _ what: String) throws -> Int64 {
        let value = try reply.integer(what)
        guard value >= 0 else { throw UltraDictError(.corruptData, "\(what) is \(value)") }
        return value
    }

    /// The ID of the only entry of an `XRANGE … COUNT 1` reply, `nil` when it has none.
    private func onlyEntryID(_ reply: RedisReply, _ what: String) throws -> StreamID? {
        let entries = try reply.array(what)
        guard let entry = entries.first else { return nil }
        let parts = try entry.array(what)
        guard entries.count == 1, parts.count == 2 else {
            throw UltraDictError(.corruptData, "\(what): expected one entry of an ID and fields, got \(entries.count) entries of \(parts.count) parts")
        }
        return try streamID(parts[0].bytes("the ID of \(what)"), what)
    }

    /// The stream entry ID in `bytes`, which hold `what`.
    private func streamID(_ bytes: [UInt8], _ what: String) throws -> StreamID {
        do {
            return try StreamID(bytes)
        } catch let error as UltraDictError {
            throw UltraDictError(.corruptData, "\(what): \(error.message)")
        }
    }
}
