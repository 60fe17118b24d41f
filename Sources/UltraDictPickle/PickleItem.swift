import UltraDictCore

/// What the unpickler's stack and memo hold: values, and the mutable containers, constructors
/// and nested-dictionary references that become values when the pickle is done.
///
/// Lists, dictionaries and sets are boxes, shared between the stack and the memo as Python's
/// objects are, so that items appended after a container was memoized are seen through the memo.
enum PickleItem {
    case value(UltraValue)
    case list(Box)
    case dictionary(DictionaryBox)
    case set(Box)
    /// A tuple, and how deeply tuples nest in it (bounded, as nothing frees a tuple but Swift).
    case tuple([PickleItem], nesting: Int)
    /// A global the reader accepts (``PickleGlobal``), before it is called.
    case global(PickleGlobal)
    /// `functools.partial(UltraDict.UltraDict)` as `REDUCE` made it, `BUILD` gives it its
    /// keywords, and calling it with no arguments (`EMPTY_TUPLE REDUCE`) makes it Python
    /// UltraDict's reference to a nested dictionary.
    case nestedDictionary(NestedReference)

    /// Whether the item is a box (a list, dictionary or set) that the reader must empty before
    /// it is freed.
    var isContainer: Bool {
        switch self {
        case .list, .dictionary, .set: true
        default: false
        }
    }

    /// How deeply tuples nest in this item: 0 for anything but a tuple.
    var tupleNesting: Int {
        if case .tuple(_, let nesting) = self { return nesting }
        return 0
    }

    /// A tuple of `items`; throws when tuples would nest deeper than `UltraValue.maximumDepth`.
    static func tuple(_ items: [PickleItem]) throws -> PickleItem {
        let nesting = 1 + (items.map(\.tupleNesting).max() ?? 0)
        guard nesting <= UltraValue.maximumDepth else {
            throw UltraDictError(.serialization, "pickle: tuples nested deeper than \(UltraValue.maximumDepth) levels")
        }
        return .tuple(items, nesting: nesting)
    }

    /// A list or set under construction.
    final class Box {
        var items: [PickleItem]

        init(_ items: [PickleItem] = []) { self.items = items }
    }

    /// A dictionary under construction; keys are values already (they must be hashable).
    final class DictionaryBox {
        var entries: [(key: UltraValue, value: PickleItem)] = []
    }

    /// The nested dictionary a `functools.partial` names once `BUILD` gave it its keywords, and
    /// the register of its tree (the keyword `recurse_register`).
    final class NestedReference {
        var name: String?
        var register: String?
        /// Whether `BUILD` gave it its keywords.
        var isBuilt = false
        /// Whether it was called: only then is it a dictionary (Python's `UltraDict.__reduce__`).
        let isCalled: Bool

        init(isCalled: Bool = false) {
            self.isCalled = isCalled
        }

        /// The built partial, called with no arguments.
        func called() -> NestedReference {
            let reference = NestedReference(isCalled: true)
            (reference.name, reference.register, reference.isBuilt) = (name, register, isBuilt)
            return reference
        }
    }

    /// The item as a value, containers converted recursively, each value produced taken from
    /// `budget`; throws `serialization` for what is not data (a global never called), for
    /// nesting deeper than `UltraValue.maximumDepth` (which a container that holds itself
    /// reaches), and when the budget runs out: a pickle refers to one container as often as it
    /// likes in two bytes each, and the value model copies it every time.
    func value(depth: Int = 0, budget: inout Int) throws -> UltraValue {
        guard depth <= UltraValue.maximumDepth else {
            throw UltraDictError(.serialization, "pickle: nesting deeper than \(UltraValue.maximumDepth) levels, or a container that holds itself")
        }
        budget -= 1
        guard budget >= 0 else {
            throw UltraDictError(.serialization, "pickle: its shared references expand to more values than its size allows")
        }
        switch self {
        case .value(let value):
            return value
        case .list(let box), .set(let box):
            return .array(try box.items.map { try $0.value(depth: depth + 1, budget: &budget) })
        case .tuple(let items, _):
            return .array(try items.map { try $0.value(depth: depth + 1, budget: &budget) })
        case .dictionary(let box):
            var map = [UltraValue: UltraValue](minimumCapacity: box.entries.count)
            for (key, item) in box.entries { map[key] = try item.value(depth: depth + 1, budget: &budget) }
            return .dictionary(map)
        case .global(let global):
            throw UltraDictError(.serialization, "pickle: the global \(global) is not a value")
        case .nestedDictionary(let reference):
            guard reference.isCalled, let name = reference.name else {
                throw UltraDictError(.serialization, "pickle: a functools.partial of UltraDict that was never called is not a dictionary")
            }
            return NestedDictionaryReference(name: name, register: reference.register).value
        }
    }
}

/// The globals a pickle may name: the constructors Python writes for data (`bytearray`, `set`,
/// `frozenset` and `_codecs.encode` before protocol 4 or 5 had opcodes of their own) and the two
/// of Python UltraDict's nested-dictionary pattern. Nothing is ever imported or called: each is
/// recognized by name and stands for what it builds.
enum PickleGlobal: CustomStringConvertible {
    case byteArray, set, frozenSet, codecsEncode, partial, ultraDict

    /// The global `module.name`, or `nil` when the reader refuses it.
    init?(module: String, name: String) {
        switch (module, name) {
        case ("builtins", "bytearray"), ("__builtin__", "bytearray"): self = .byteArray
        case ("builtins", "set"), ("__builtin__", "set"): self = .set
        case ("builtins", "frozenset"), ("__builtin__", "frozenset"): self = .frozenSet
        case ("_codecs", "encode"): self = .codecsEncode
        case ("functools", "partial"): self = .partial
        case ("UltraDict.UltraDict", "UltraDict"), ("UltraDict", "UltraDict"): self = .ultraDict
        default: return nil
        }
    }

    var description: String {
        switch self {
        case .byteArray: "builtins.bytearray"
        case .set: "builtins.set"
        case .frozenSet: "builtins.frozenset"
        case .codecsEncode: "_codecs.encode"
        case .partial: "functools.partial"
        case .ultraDict: "UltraDict.UltraDict"
        }
    }
}
