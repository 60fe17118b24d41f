import ArgumentParser
import UltraDict

/// `ultradict get NAME KEY`: prints one value as JSON.
struct GetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Print the value of KEY as JSON; exit 1 if there is none."
    )

    @Argument(help: "The dictionary's name.") var name: String
    @Argument(help: "The key: a string, or an integer with --int-key.") var key: String
    @OptionGroup var options: EntryOptions<KeyArgument>

    func run() throws {
        let entry = try options.key(key)
        let dictionary = try options.open(name)
        guard let value = try dictionary.value(forKey: entry) else { throw try options.missingKey(key, in: dictionary) }
        printJSON(JSON(value))
    }
}

/// `ultradict set NAME KEY JSON_VALUE`: writes one value under the dictionary's lock.
struct SetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Set KEY to a JSON value, under the dictionary's lock.",
        discussion: """
            JSON_VALUE is JSON text: 42, 1.5, "text" (quoted for the shell: '"text"'), true, null, \
            [1, 2], {"a": 1}, or {"$bytes": "<base64>"} for bytes. Put -- before a negative \
            number, or it reads as an option: ultradict set NAME KEY -- -3.
            """
    )

    @Argument(help: "The dictionary's name.") var name: String
    @Argument(help: "The key: a string, or an integer with --int-key.") var key: String
    @Argument(help: "The value, as JSON text.") var jsonValue: String
    @OptionGroup var options: EntryOptions<KeyArgument>
    @OptionGroup var lock: LockOptions

    @Flag(help: "Create the dictionary if it does not exist (with --serializer, MessagePack by default, and the shared lock); it stays after the command exits.")
    var create = false

    func run() throws {
        let key = try options.key(key)
        let value = try UltraValue(json: jsonValue)
        let dictionary: UltraDict<UltraValue, UltraValue>
        do {
            dictionary = try options.open(name, forWriting: true)
        } catch let error as ToolError where error.status == ToolError.notFoundStatus && create {
            dictionary = try options.create(name)
        }
        try lock.withLock(dictionary) { try $0.updateValue(value, forKey: key) }
    }
}

/// `ultradict delete NAME KEY`: removes one key under the dictionary's lock.
struct DeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Remove KEY, under the dictionary's lock; exit 1 if there is none."
    )

    @Argument(help: "The dictionary's name.") var name: String
    @Argument(help: "The key: a string, or an integer with --int-key.") var key: String
    @OptionGroup var options: EntryOptions<KeyArgument>
    @OptionGroup var lock: LockOptions

    func run() throws {
        let entry = try options.key(key)
        let dictionary = try options.open(name, forWriting: true)
        let removed = try lock.withLock(dictionary) { try $0.removeValue(forKey: entry) }
        if removed == nil { throw try options.missingKey(key, in: dictionary) }
    }
}

/// `ultradict dump NAME`: prints the whole dictionary as one JSON object.
struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print the whole dictionary as one JSON object, its members sorted by key.",
        discussion: """
            A key that is not a string is printed as its JSON text: 1, true, {"$bytes": "AQ=="}. \
            A nested dictionary is printed as an object in its place.
            """
    )

    @Argument(help: "The dictionary's name.") var name: String
    @OptionGroup var options: EntryOptions<KeyDecoding>

    func run() throws {
        printJSON(.object(JSON.members(of: try options.open(name).deepCopy())))
    }
}

/// How the writing commands wait for the dictionary's lock.
struct LockOptions: ParsableArguments {
    @Option(help: "Seconds to wait for the lock; then it is taken over if its owner is dead, else the command fails.")
    var timeout: Double = 10

    func validate() throws {
        guard timeout >= 0, timeout.isFinite else { throw ValidationError("--timeout must be a number of seconds, 0 or more") }
    }

    /// Runs `body` holding the lock of `dictionary`, waiting at most `--timeout`.
    @discardableResult
    func withLock<Result>(_ dictionary: UltraDict<UltraValue, UltraValue>, _ body: (UltraDict<UltraValue, UltraValue>) throws -> Result) throws -> Result {
        try dictionary.withLock(timeout: .seconds(timeout), stealAfterTimeout: true, body)
    }
}
