/// The value that stands, in a dictionary created with `recurse: true`, for a nested dictionary:
/// the map `{"$ultradict": NAME}`, and in a tree shared with Python UltraDict (pickle) `{"$ultradict":
/// NAME, "$register": ROOT_register}` (`Docs/FORMAT.md`, "Nested dictionaries"). The pickle
/// serializer writes and reads the second as Python UltraDict's `functools.partial` pattern.
package struct NestedDictionaryReference: Equatable, Sendable {
    /// The identifier of the serializer Python UltraDict nests with, pickle: a tree with it
    /// follows Python's conventions (its register pickled, references that name it, Python's
    /// `psm_` names for nested dictionaries).
    package static let pythonSerializerIdentifier = "pickle"

    /// The key of the nested dictionary's name.
    package static let nameKey = UltraValue.string("$ultradict")
    /// The key of the tree's register's name.
    package static let registerKey = UltraValue.string("$register")

    /// The nested dictionary's name.
    package var name: String
    /// The name of the register of the tree it belongs to; `nil` in a reference without one
    /// (written before registers were named in references).
    package var register: String?

    /// A reference to the nested dictionary `name` of the tree whose register is `register`.
    package init(name: String, register: String?) {
        self.name = name
        self.register = register
    }

    /// The reference `value` is, if it is one: a map of `$ultradict` to a string, and at most
    /// `$register` to a string besides.
    package init?(_ value: UltraValue) {
        guard case .dictionary(let map) = value, case .string(let name)? = map[Self.nameKey] else { return nil }
        switch (map.count, map[Self.registerKey]) {
        case (1, nil): register = nil
        case (2, .string(let register)?): self.register = register
        default: return nil
        }
        self.name = name
    }

    /// The reference as the value stored in the parent.
    package var value: UltraValue {
        var map: [UltraValue: UltraValue] = [Self.nameKey: .string(name)]
        if let register { map[Self.registerKey] = .string(register) }
        return .dictionary(map)
    }
}
