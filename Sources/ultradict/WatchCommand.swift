#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import UltraDict
import UltraDictTransport

/// `ultradict watch NAME`: one JSON line per change, as it is published.
struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Print one JSON line per change as other processes publish it, until interrupted.",
        discussion: """
            Each line is {"event": "set", "key": K, "value": V} or {"event": "delete", "key": K}. \
            Every record of the update stream is printed as it was written, even a set to the \
            value the key had. A full dump compacts the records it replaces: across one, the \
            changes printed are the difference between the entries before and after it. In a \
            dictionary created with recursion, a nested dictionary is printed as an object with \
            what it holds when the line is printed; a change inside it is not a change of this \
            dictionary (watch the nested one by its name for those). The command ends by itself \
            when the dictionary is unlinked. Each line is written as it is printed, whatever \
            standard output is, also through 'swift package ultradict'. It does not poll: it \
            sleeps until a writer wakes it (a Python writer's change shows within 100 ms). On a \
            Redis server (--redis), the tool keeps a replica of the dictionary that the server's \
            stream keeps current (XREAD), and ends within about a second of the dictionary's removal.
            """
    )

    @Argument(help: "The dictionary's name.") var name: String
    @OptionGroup var options: EntryOptions<KeyDecoding>

    @Flag(help: "First print a set event for every entry the dictionary holds.")
    var initial = false

    func run() throws {
        let store = try options.location.store
        var feed: ChangeFeed
        /// A handle kept open while watching: the root of a tree, through which nested
        /// dictionaries are read; on a server, the handle whose replica is watched.
        let handle: UltraDict<UltraValue, UltraValue>?
        let explainingSerialization: (() throws -> [ChangeFeed.Change]) throws -> [ChangeFeed.Change]
        if let server = try options.location.server {
            // The handle makes this process's replica, which follows the server and is removed
            // when the dictionary is gone from it; its update log is read as shared memory's.
            let dictionary = try ServerDictionary(name: name, on: server)
            handle = try options.open(name)
            let log = try UpdateLog.attach(name: name, in: store.segmentStore)
            feed = ChangeFeed(log: log, serializer: try options.serializer(of: dictionary), keyOrder: ChangeFeed.keyOrder)
            explainingSerialization = { try $0() }  // A dictionary on a server records its serializer.
        } else {
            let dictionary = try InspectedDictionary(name: name, in: store)
            let log = try UpdateLog.attach(name: name, in: store.segmentStore, allowingForeignOwner: options.allowForeignOwner)
            feed = ChangeFeed(log: log, serializer: try options.serializer(of: dictionary), keyOrder: ChangeFeed.keyOrder)
            // Nested dictionaries are read through a handle of their root, which can open them; a
            // nested dictionary watched by its name prints those nested in it as their references.
            handle = dictionary.isTreeRoot ? try options.open(name) : nil
            explainingSerialization = { try options.explainingSerialization(dictionary, $0) }
        }
        defer { withExtendedLifetime(handle) {} }
        let root = handle?.recurse == true ? handle : nil
        func printChange(_ change: ChangeFeed.Change) { printJSON(change.resolvingNested(through: root).json) }
        var loaded = false
        while true {
            do {
                let changes = try explainingSerialization { try feed.changes() }
                if loaded {
                    changes.forEach(printChange)
                } else if initial {
                    // The first read is the whole dictionary: print its entries, not its history.
                    for key in feed.entries.keys.sorted(by: ChangeFeed.keyOrder) {
                        printChange(.set(key, feed.entries[key]!))
                    }
                }
                loaded = true
            } catch LogError.publicationInterrupted {
                // A writer died while publishing a full dump; the next writer repairs it.
                usleep(10_000)
            }
            // Sleeps in the kernel until a writer of this package wakes it (a Python writer's
            // change shows within a slice of 100 ms); looks for the dictionary after an unlink's
            // wake, and every few quiet slices.
            if feed.waitForChangesUntilUnlinked() == .unlinked {
                warn("'\(name)' was unlinked; nothing more can change")
                return
            }
        }
    }
}

extension ChangeFeed {
    /// The order of keys in a list of changes: by their text, as ``JSON`` sorts object members.
    static func keyOrder(_ left: UltraValue, _ right: UltraValue) -> Bool {
        JSON.memberName(for: left) < JSON.memberName(for: right)
    }
}

extension ChangeFeed.Change {
    /// The change as the line `watch` prints.
    var json: JSON {
        switch self {
        case .set(let key, let value): .object([("event", .string("set")), ("key", JSON(key)), ("value", JSON(value))])
        case .delete(let key): .object([("event", .string("delete")), ("key", JSON(key))])
        }
    }

    /// The change with what the nested dictionary it sets holds now in place of its
    /// reference, read through `root`, the handle of a dictionary with recursion; the change
    /// as it is without one, or when the nested dictionary is gone or cannot be read.
    func resolvingNested(through root: UltraDict<UltraValue, UltraValue>?) -> ChangeFeed.Change {
        guard let root, case .set(let key, .dictionary) = self, let nested = try? root.nested(key),
              let contents = try? nested.deepCopy() else { return self }
        return .set(key, .dictionary(contents))
    }
}
