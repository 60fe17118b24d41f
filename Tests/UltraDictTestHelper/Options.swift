import Foundation
import UltraDict
import UltraDictRedis
import _UltraDictSerializerRegistry

/// What the command line asks for: `COMMAND NAME [ARGS...]`, then the options `--serializer NAME`
/// (MessagePack when absent), `--directory DIR` (the file store in DIR instead of shared memory),
/// `--durability buffered|synchronous` (the file store's; synchronous when absent), `--redis URL`
/// (the Redis server at URL instead of shared memory) with `--lease-ms MS` (its lock's lease),
/// `--command-timeout-ms MS` and `--connect-timeout-ms MS` (its connections' timeouts), and
/// `--buffer-size BYTES` (of the dictionaries the helper creates; the default when absent).
struct HelperOptions: Sendable {
    var command: String
    /// The dictionary's name.
    var name: String
    /// The command's own arguments.
    var rest: [String]
    var serializerName = "msgpack"
    /// Where every dictionary the helper opens or creates lives.
    var store = UltraDictStore.sharedMemory
    /// The update stream's size of the dictionaries the helper creates.
    var bufferSize = UltraDictConfiguration.defaultBufferSize

    init(parsing arguments: [String]) {
        var positional: [String] = []
        var (directory, durability): (String?, UltraDictStore.Durability) = (nil, .synchronous)
        var (redisURL, redisOptions): (String?, RedisOptions) = (nil, RedisOptions())
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            guard argument.hasPrefix("--") else { positional.append(argument); continue }
            guard let value = remaining.popFirst() else { fail("\(argument) needs a value") }
            switch argument {
            case "--serializer": serializerName = value
            case "--directory": directory = value
            case "--buffer-size": bufferSize = integer(value)
            case "--redis": redisURL = value
            case "--lease-ms": redisOptions.lease = .milliseconds(integer(value))
            case "--command-timeout-ms": redisOptions.commandTimeout = .milliseconds(integer(value))
            case "--connect-timeout-ms": redisOptions.connectTimeout = .milliseconds(integer(value))
            case "--durability":
                switch value {
                case "buffered": durability = .buffered
                case "synchronous": durability = .synchronous
                default: fail("unknown durability \(value)")
                }
            default: fail("unknown option \(argument)")
            }
        }
        guard positional.count >= 2 else {
            fail("usage: UltraDictTestHelper COMMAND NAME [ARGS...] [--serializer NAME] [--directory DIR [--durability buffered|synchronous] | --redis URL [--lease-ms MS] [--command-timeout-ms MS] [--connect-timeout-ms MS]] [--buffer-size BYTES]")
        }
        (command, name, rest) = (positional[0], positional[1], Array(positional.dropFirst(2)))
        if let directory { store = .files(in: directory, durability: durability) }
        if let redisURL {
            do { store = try .redis(redisURL, options: redisOptions) } catch { fail("\(error)") }
        }
    }

    /// The settings of every dictionary the helper opens or creates: the serializer, the store and
    /// the buffer size named on the command line, `recurse` as the dictionary was created. A
    /// handle that creates its dictionary unlinks it when closed, in every store (the file
    /// store's own default is to keep it), so that each test checks the same lifetime in both.
    func configuration<Key>(keyType: Key.Type, recurse: Bool = false, creating: Bool = false) -> UltraDictConfiguration {
        guard let serializer = SerializerRegistry.serializer(serializerName, keyType: Key.self) else { fail("unknown serializer \(serializerName)") }
        return UltraDictConfiguration(serializer: serializer, bufferSize: bufferSize, autoUnlink: creating ? true : nil, recurse: recurse, store: store)
    }
}

let options = HelperOptions(parsing: Array(CommandLine.arguments.dropFirst()))

/// The command's own arguments, by position.
var rest: [String] { options.rest }

/// Attaches the dictionary `name` (the one under test unless given), or with `create` creates it,
/// with the helper's ``HelperOptions/configuration(keyType:recurse:)``.
func attach<Key, Value>(
    _: Key.Type = Key.self, _: Value.Type = Value.self, named name: String = options.name, create: Bool = false, recurse: Bool = false
) throws -> UltraDict<Key, Value> {
    try UltraDict(name: name, create: create, configuration: options.configuration(keyType: Key.self, recurse: recurse, creating: create))
}

/// Prints a line at once (unbuffered), so that a test reading the pipe sees it.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func integer(_ text: String) -> Int {
    guard let value = Int(text) else { fail("not an integer: \(text)") }
    return value
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(2)
}
