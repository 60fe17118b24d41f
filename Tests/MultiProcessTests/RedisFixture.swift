import Foundation
import Testing
import UltraDict
import UltraDictRedis
import _UltraDictSerializerRegistry
import _UltraDictTestSupport

/// A Redis server of one test's own, the store that names it, and the processes that use it: the
/// test helper and the `ultradict` tool with `--redis URL`.
///
/// The test's own handles read with `readsCatchUp`, so that they see what another process wrote
/// before it exited (a replica otherwise trails the server by about a round trip).
struct RedisFixture {
    let server: RedisServer
    let store: UltraDictStore
    /// A connection of the test's own, to look at the keys or plant what a hostile client would.
    let client: RedisClient

    init() throws {
        server = try RedisServer()
        store = try .redis(server.url, options: RedisOptions(readsCatchUp: true))
        client = RedisClient(url: try RedisURL(server.url))
    }

    /// Creates the dictionary `name` with the serializer named `serializer`; it is removed from
    /// the server when the handle closes.
    func create<Key, Value>(_ name: String, serializer: String = "msgpack", recurse: Bool = false) throws -> UltraDict<Key, Value> {
        let chosen = try #require(SerializerRegistry.serializer(serializer, keyType: Key.self))
        let configuration = UltraDictConfiguration(serializer: chosen, autoUnlink: true, recurse: recurse, store: store)
        return try UltraDict(name: name, create: true, configuration: configuration)
    }

    /// Starts the test helper with `arguments` on this server.
    func helper(_ arguments: [String], serializer: String = "msgpack") throws -> ChildProcess {
        try ChildProcess("UltraDictTestHelper", arguments + ["--redis", server.url, "--serializer", serializer])
    }

    /// Runs helpers at once; expects each to succeed and returns their last lines.
    @discardableResult
    func run(_ argumentLists: [[String]], serializer: String = "msgpack", sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
        try argumentLists.map { try helper($0, serializer: serializer) }.map { child in
            let result = child.finish()
            #expect(result.status == 0, "\(result.errors)", sourceLocation: sourceLocation)
            return result.lastLine
        }
    }

    /// Starts the tool with `arguments` (a subcommand first) on this server.
    func tool(_ arguments: [String]) throws -> ChildProcess {
        try ChildProcess("ultradict", Array(arguments.prefix(1)) + ["--redis", server.url] + arguments.dropFirst())
    }

    /// Every key on the server.
    func keys() throws -> [String] {
        try client.command("KEYS", "*").array().map { try $0.string() }
    }

    /// Whether each key exists.
    func existing(_ keys: [String]) throws -> [String] {
        try keys.filter { try client.command("EXISTS", $0) == .integer(1) }
    }
}
