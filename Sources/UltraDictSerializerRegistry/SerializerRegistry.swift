import UltraDictCore
import UltraDictJSON
import UltraDictMessagePack
import UltraDictPickle
import UltraDictPropertyList

/// The serializers that the package's own tool, test helper, soak and tests know by the
/// identifier a dictionary records; not API (a user passes a serializer instance).
///
/// Adding a serializer here is one line in ``entries``.
package enum SerializerRegistry {
    /// How to make one serializer: its identifier, and a serializer of it whose full dumps read
    /// their keys back as integers when `integerKeys` is set (only JSON, which writes keys as text,
    /// needs to be told).
    private typealias Entry = (identifier: String, make: @Sendable (_ integerKeys: Bool) -> any UltraDictSerializer)

    private static let entries: [Entry] = [
        (MessagePackSerializer.identifier, { _ in MessagePackSerializer() }),
        (JSONSerializer.identifier, { JSONSerializer(topLevelKeys: $0 ? .integers : .strings) }),
        (PropertyListSerializer.identifier, { _ in PropertyListSerializer() }),
        (PickleSerializer.identifier, { _ in PickleSerializer() }),
    ]

    /// The identifiers of every registered serializer, the default (MessagePack) first.
    package static var identifiers: [String] { entries.map(\.identifier) }

    /// A serializer recorded as `identifier`, reading a full dump's keys as integers when
    /// `integerKeys` is set; `nil` for an identifier the registry does not know.
    package static func serializer(_ identifier: String, integerKeys: Bool = false) -> (any UltraDictSerializer)? {
        entries.first { $0.identifier == identifier }?.make(integerKeys)
    }

    /// A serializer recorded as `identifier` for a dictionary whose keys are `Key`: integer keys
    /// read back as integers; `nil` for an identifier the registry does not know.
    package static func serializer<Key>(_ identifier: String, keyType _: Key.Type) -> (any UltraDictSerializer)? {
        serializer(identifier, integerKeys: Key.self is any FixedWidthInteger.Type)
    }
}
