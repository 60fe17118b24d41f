import UltraDictCore
import UltraDictJSON
import UltraDictMessagePack
import UltraDictPickle
import UltraDictPropertyList

/// The serializers' decoders, fed one input each.
enum SerializerSurfaces {
    /// MessagePack's three decoders.
    static func messagePack(_ bytes: UnsafeRawBufferPointer) throws {
        try decoders(of: MessagePackSerializer(), bytes)
    }

    /// JSON's three decoders, and `decode` once more with integer top-level keys.
    static func json(_ bytes: UnsafeRawBufferPointer) throws {
        try decoders(of: JSONSerializer(), bytes)
        let integerKeys = JSONSerializer(topLevelKeys: .integers)
        try attempt("json decode with integer keys") { try reencode(integerKeys.decode(bytes), with: integerKeys) }
    }

    /// The binary property list's three decoders.
    static func propertyList(_ bytes: UnsafeRawBufferPointer) throws {
        try decoders(of: PropertyListSerializer(), bytes)
    }

    /// The pickle reader's three decoders.
    static func pickle(_ bytes: UnsafeRawBufferPointer) throws {
        try decoders(of: PickleSerializer(), bytes)
    }

    /// Runs `decode`, `decodeUpdate` and `decodeSnapshot` on `bytes`, and encodes again what each
    /// accepts: an encoder may refuse a decoded value, but must not trap on it.
    private static func decoders(of serializer: some UltraDictSerializer, _ bytes: UnsafeRawBufferPointer) throws {
        let name = type(of: serializer).identifier
        try attempt("\(name) decode") { try reencode(serializer.decode(bytes), with: serializer) }
        try attempt("\(name) decodeUpdate") {
            let update = try serializer.decodeUpdate(bytes)
            var buffer: [UInt8] = []
            try serializer.encodeUpdate(update, into: &buffer)
        }
        try attempt("\(name) decodeSnapshot") {
            var entries: [(UltraValue, UltraValue)] = []
            try serializer.decodeSnapshot(bytes) { entries.append(($0, $1)) }
            var buffer: [UInt8] = []
            try serializer.encodeSnapshot(count: entries.count, into: &buffer) { add in
                for (key, value) in entries { try add(key, value) }
            }
        }
    }

    private static func reencode(_ value: UltraValue, with serializer: some UltraDictSerializer) throws {
        var buffer: [UInt8] = []
        try serializer.encode(value, into: &buffer)
    }
}
