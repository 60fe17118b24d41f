import ArgumentParser
import UltraDictCore
import UltraDictMessagePack

/// A registered serializer chosen on a command line (`--serializer NAME`), by the identifier it
/// records (``SerializerRegistry``): the tool's and the soak's option.
package struct SerializerChoice: Equatable, ExpressibleByArgument, CustomStringConvertible {
    /// The identifier.
    package let description: String

    /// MessagePack, the default.
    package static let msgpack = SerializerChoice(rawValue: MessagePackSerializer.identifier)!

    /// Every registered serializer, as `--serializer` lists them.
    package static var allValueStrings: [String] { SerializerRegistry.identifiers }

    /// The serializer recorded as `rawValue`, or `nil` if the registry does not know it.
    package init?(rawValue: String) {
        guard SerializerRegistry.identifiers.contains(rawValue) else { return nil }
        description = rawValue
    }

    /// The serializer named on the command line.
    package init?(argument: String) { self.init(rawValue: argument) }

    /// A serializer of this kind; `integerKeys` asks a full dump's keys to be read back as
    /// integers where the format writes them as text (JSON).
    package func make(integerKeys: Bool) -> any UltraDictSerializer {
        SerializerRegistry.serializer(description, integerKeys: integerKeys)!
    }
}
