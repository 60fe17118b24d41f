import ArgumentParser
import UltraDict
import _UltraDictSerializerRegistry

/// What `--int-key` does for a command, which its help says: the commands that take a KEY read
/// it as an integer, the others only decode keys.
protocol IntegerKeyUse {
    /// The help of `--int-key`.
    static var help: ArgumentHelp { get }
}

/// `--int-key` of `get`, `set` and `delete`, which take a KEY.
enum KeyArgument: IntegerKeyUse {
    static let help: ArgumentHelp = "Read KEY as an integer (and a JSON full dump's keys as integers)."
}

/// `--int-key` of `dump` and `watch`, which take no KEY.
enum KeyDecoding: IntegerKeyUse {
    static let help: ArgumentHelp = "Decode a JSON full dump's keys as integers (the other serializers record each key's type)."
}

/// The options of the commands that read or write entries: how to decode the dictionary and,
/// for those that take a KEY (`Use` is ``KeyArgument``), how to read it.
struct EntryOptions<Use: IntegerKeyUse>: ParsableArguments {
    @Option(help: "The serializer of a dictionary that records none (one made by Python).")
    var serializer: SerializerChoice?

    @Flag(help: Use.help)
    var intKey = false

    @Flag(help: "Attach a dictionary whose segments another user owns (refused by default: that user can change what is read).")
    var allowForeignOwner = false

    @OptionGroup var location: StoreOptions

    /// The serializer of `dictionary`: the one it records, else `--serializer`, else MessagePack.
    func serializer(of dictionary: InspectedDictionary) throws -> any UltraDictSerializer {
        guard let recorded = try dictionary.control.serializerIdentifier() else {
            // Python records none: `--serializer`, else what the bytes show (pickle), else MessagePack.
            let chosen = serializer ?? dictionary.serializerIdentifier.flatMap(SerializerChoice.init(rawValue:))
            return (chosen ?? .msgpack).make(integerKeys: intKey)
        }
        return try serializer(recorded: recorded, by: dictionary.name)
    }

    /// The serializer of `dictionary` on a server: the one it records (every one does).
    func serializer(of dictionary: ServerDictionary) throws -> any UltraDictSerializer {
        guard let recorded = dictionary.facts.serializer else {
            // The settings are read first: the first problem says why.
            let why = dictionary.facts.problems.first ?? "its settings record none"
            throw ToolError.failure("'\(dictionary.name)' on \(dictionary.server.description) has no serializer that can be read: \(why)")
        }
        return try serializer(recorded: recorded, by: dictionary.name)
    }

    /// The serializer `recorded` by the dictionary `name`, when this tool knows it and
    /// `--serializer` names no other.
    private func serializer(recorded: String, by name: String) throws -> any UltraDictSerializer {
        guard let choice = SerializerChoice(rawValue: recorded) else {
            throw ToolError.failure("'\(name)' uses the serializer '\(recorded)', which this tool does not know")
        }
        if let serializer, serializer != choice {
            throw ToolError.failure("'\(name)' records the serializer \(recorded); --serializer \(serializer) does not apply")
        }
        return choice.make(integerKeys: intKey)
    }

    /// Attaches the dictionary `name` with its own serializer, lock and recursion (a dictionary
    /// created with `recurse: true` is read with its nested dictionaries; a nested dictionary,
    /// which has no register of its own, is refused: its root opens it). A dictionary whose
    /// writers use the process-local lock is refused `forWriting`: the tool could not exclude them.
    ///
    /// On a server (`--redis`), the dictionary is opened with the serializer it records: this
    /// process then holds a replica of it, which the server keeps current until the handle goes.
    func open(_ name: String, forWriting: Bool = false) throws -> UltraDict<UltraValue, UltraValue> {
        if let server = try location.server { return try open(ServerDictionary(name: name, on: server)) }
        let dictionary = try InspectedDictionary(name: name, in: location.store)
        let lockKind = dictionary.control.effectiveLockKind
        if forWriting && lockKind == .processLocal {
            throw ToolError.failure("'\(name)' uses the process-local lock: only threads of the process that writes it may write it")
        }
        if dictionary.isRecursive && !dictionary.isTreeRoot {
            throw ToolError.failure("'\(name)' has recursion but no register: a nested dictionary is read through its root")
        }
        let lock: any SharedMemoryLock.Type = lockKind == .shared ? SharedSpinLock.self : ProcessLocalLock.self
        let serializer = try serializer(of: dictionary)
        return try explainingSerialization(dictionary) {
            try open(name, create: false, serializer: serializer, lock: lock, recurse: dictionary.isRecursive)
        }
    }

    /// Opens `dictionary`, which is on the server of `--redis`.
    private func open(_ dictionary: ServerDictionary) throws -> UltraDict<UltraValue, UltraValue> {
        do {
            // The lock is the server's lease whatever the configuration names.
            return try open(dictionary.name, create: false, serializer: serializer(of: dictionary), lock: SharedSpinLock.self, recurse: dictionary.facts.recurse ?? false)
        } catch UltraDictError.cannotAttach {
            throw ServerDictionary.notFound(dictionary.name, on: dictionary.server)  // Removed since it was read.
        }
    }

    /// Opens the dictionary `name` in the store of `--directory` or `--redis`, never unlinking it.
    private func open(
        _ name: String, create: Bool?, serializer: any UltraDictSerializer, lock: any SharedMemoryLock.Type, recurse: Bool
    ) throws -> UltraDict<UltraValue, UltraValue> {
        try UltraDict(name: name, create: create, configuration: UltraDictConfiguration(
            serializer: serializer, lock: lock, autoUnlink: false, recurse: recurse, allowsForeignOwner: allowForeignOwner, store: try location.store
        ))
    }

    /// Creates the dictionary `name` with `--serializer` (MessagePack by default) and the shared
    /// lock, or attaches it if another process just did; it stays when the tool exits.
    func create(_ name: String) throws -> UltraDict<UltraValue, UltraValue> {
        let chosen = (serializer ?? .msgpack).make(integerKeys: intKey)
        return try open(name, create: nil, serializer: chosen, lock: SharedSpinLock.self, recurse: false)
    }

    /// Runs `body`, adding to a serialization failure of a dictionary that records no serializer
    /// the hint that it may need `--serializer`.
    func explainingSerialization<Result>(_ dictionary: InspectedDictionary, _ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let error as UltraDictError where error.code == .serialization && (try? dictionary.control.serializerIdentifier()) == .some(nil) {
            throw ToolError.failure("\(error.message) ('\(dictionary.name)' records no serializer; pass the one its creator used with --serializer)")
        }
    }
}

extension EntryOptions where Use == KeyArgument {
    /// The key named by `text`: a string, or an integer with `--int-key`.
    func key(_ text: String) throws -> UltraValue {
        guard intKey else { return .string(text) }
        guard let value = Int64(text) else { throw ToolError.failure("--int-key: '\(text)' is not a 64-bit integer") }
        return .int(value)
    }

    /// The failure of a command that found no key `text` in `dictionary`. When the key is there
    /// read the other way (the integer that a string key spells, or the string of an integer
    /// key), it says so and which flag finds it: only then, so that a hint is never a guess.
    func missingKey(_ text: String, in dictionary: UltraDict<UltraValue, UltraValue>) throws -> ToolError {
        let key = try key(text)
        let message = "no key \(JSON(key).text) in '\(dictionary.name)'"
        let other: (key: UltraValue, reading: String, flag: String)? =
            intKey ? (.string(text), "an integer", "drop --int-key") : Int64(text).map { (.int($0), "a string", "pass --int-key") }
        guard let other, (try? dictionary.value(forKey: other.key)) ?? nil != nil else { return .notFound(message) }
        return .notFound("\(message) (KEY was read as \(other.reading); there is the key \(JSON(other.key).text): \(other.flag))")
    }
}
