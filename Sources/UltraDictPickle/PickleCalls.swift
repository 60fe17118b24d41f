import UltraDictCore

/// What the accepted globals build when a pickle calls them (`REDUCE`) or sets their state
/// (`BUILD`); nothing is ever called. Anything else is refused with an error that names it.
enum PickleCalls {
    /// The global `module.name` if the reader accepts it; otherwise throws.
    static func global(module: String, name: String) throws -> PickleGlobal {
        guard let global = PickleGlobal(module: module, name: name) else {
            throw UltraDictError(
                .serialization,
                "pickle: the global \(module.prefix(100)).\(name.prefix(100)) is refused: only the data types Python writes and UltraDict's nested dictionaries are read, and nothing is ever called"
            )
        }
        return global
    }

    /// `REDUCE`: `callable(*arguments)` for the accepted constructors, and the call with no
    /// arguments of a built `functools.partial(UltraDict.UltraDict)`.
    static func reduce(_ callable: PickleItem, _ arguments: PickleItem) throws -> PickleItem {
        if case .nestedDictionary(let partial) = callable {
            guard case .tuple(let items, _) = arguments, items.isEmpty, partial.isBuilt, !partial.isCalled else {
                throw refusal("REDUCE of functools.partial(UltraDict.UltraDict) other than one call, with no arguments, after its BUILD")
            }
            return .nestedDictionary(partial.called())
        }
        guard case .global(let global) = callable else { throw refusal("REDUCE of something that is not an accepted global") }
        guard case .tuple(let items, _) = arguments else { throw refusal("REDUCE of \(global) without an argument tuple") }
        switch (global, items.count) {
        case (.byteArray, 0):
            return .value(.bytes([]))
        case (.byteArray, 1), (.codecsEncode, 1):
            guard case .value(.bytes(let data)) = items[0] else { break }
            return .value(.bytes(data))
        case (.byteArray, 2), (.codecsEncode, 2):
            // bytes before protocol 3: the text of their code points, and its encoding.
            guard case .value(.string(let text)) = items[0], case .value(.string(let encoding)) = items[1],
                  ["latin1", "latin-1"].contains(encoding.lowercased()) else { break }
            return .value(.bytes(try latin1(text)))
        case (.set, 0), (.frozenSet, 0):
            return .set(PickleItem.Box())
        case (.set, 1), (.frozenSet, 1):
            switch items[0] {
            case .list(let list), .set(let list): return .set(PickleItem.Box(list.items))
            case .tuple(let elements, _): return .set(PickleItem.Box(elements))
            default: throw refusal("\(global) of something that is not a list")
            }
        case (.partial, 1):
            guard case .global(.ultraDict) = items[0] else { break }
            return .nestedDictionary(PickleItem.NestedReference())
        default:
            break
        }
        throw refusal("REDUCE of \(global) with these arguments is not one that Python writes for data")
    }

    /// `BUILD`: only the state Python UltraDict's nested-dictionary pattern gives
    /// `functools.partial(UltraDict.UltraDict)`, once: `(UltraDict.UltraDict, (), keywords,
    /// None)`, where the keywords are exactly `name` (the nested dictionary's), `auto_unlink` (a
    /// bool) and `recurse_register` (its tree's register: a called partial, a name or `None`).
    static func build(_ target: PickleItem, state: PickleItem) throws {
        guard case .nestedDictionary(let reference) = target, !reference.isBuilt, !reference.isCalled else {
            throw refusal("BUILD of anything but UltraDict's nested-dictionary pattern")
        }
        guard case .tuple(let parts, _) = state, parts.count == 4, case .global(.ultraDict) = parts[0],
              case .tuple(let arguments, _) = parts[1], arguments.isEmpty, case .value(.null) = parts[3],
              case .dictionary(let keywords) = parts[2] else {
            throw refusal("BUILD of functools.partial(UltraDict.UltraDict) with another state than (UltraDict, (), keywords, None)")
        }
        let names = keywords.entries.map(\.key)
        guard names.count == 3, Set(names) == [.string("name"), .string("auto_unlink"), .string("recurse_register")],
              case .value(.string(let name))? = keyword("name", in: keywords),
              case .value(.bool)? = keyword("auto_unlink", in: keywords) else {
            throw refusal("functools.partial(UltraDict.UltraDict) with other keywords than name (a string), auto_unlink (a bool) and recurse_register, each once")
        }
        switch keyword("recurse_register", in: keywords) {
        case .value(.null)?:
            reference.register = nil
        case .value(.string(let register))?:
            reference.register = register
        case .nestedDictionary(let register)? where register.isCalled:
            reference.register = register.name
        default:
            throw refusal("functools.partial(UltraDict.UltraDict) whose recurse_register is not a dictionary, a name or None")
        }
        (reference.name, reference.isBuilt) = (name, true)
    }

    /// The value of the keyword `name` among `keywords`.
    private static func keyword(_ name: String, in keywords: PickleItem.DictionaryBox) -> PickleItem? {
        keywords.entries.first { $0.key == .string(name) }?.value
    }

    /// The bytes whose code points `text` spells, each below 256.
    private static func latin1(_ text: String) throws -> [UInt8] {
        try text.unicodeScalars.map { scalar in
            guard scalar.value < 256 else { throw refusal("bytes spelled with a code point above 255") }
            return UInt8(scalar.value)
        }
    }

    private static func refusal(_ message: String) -> UltraDictError {
        UltraDictError(.serialization, "pickle: \(message)")
    }
}
