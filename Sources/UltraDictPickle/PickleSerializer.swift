import UltraDictCore

/// Python's pickle, so that Swift shares the dictionaries Python UltraDict makes with its
/// defaults (`Docs/INTEROP.md`, `Docs/SERIALIZERS.md`, "Pickle").
///
/// Writes protocol 4, as `pickle.dumps` does in Python 3.8 and later (readable from Python 3.4):
/// a record `(is_set, key, value)`, a full dump the pickled dict. Reads the data subset of
/// protocols 0 to 5, and never runs anything: objects, extensions and every global but the data
/// constructors Python writes and UltraDict's nested-dictionary pattern are refused.
///
/// In the value model: a tuple, a list, a set and a frozenset all read as an array; an array is
/// written as a list, or as a tuple where Python needs one (a dictionary key, an update record).
/// `bytearray` reads as bytes. A Python integer outside `Int64.min...UInt64.max` and a string
/// with a lone surrogate cannot be read (`serialization`). A nested dictionary as Python
/// UltraDict pickles it (`functools.partial(UltraDict.UltraDict, name=…, recurse_register=…)()`)
/// reads as the reference `{"$ultradict": NAME, "$register": REGISTER}`, and that reference is
/// written the same way, byte for byte, so that each language opens the other's nested
/// dictionaries as live ones (`Docs/INTEROP.md`, "Nested dictionaries").
public struct PickleSerializer: UltraDictSerializer {
    /// `pickle`, as recorded in the control block.
    public static var identifier: String { NestedDictionaryReference.pythonSerializerIdentifier }

    /// A pickle serializer.
    public init() {}

    /// Appends `value` pickled (protocol 4, framed as Python frames it).
    public func encode(_ value: UltraValue, into buffer: inout [UInt8]) throws {
        try PickleWriter.append(to: &buffer) { try $0.write(value) }
    }

    /// Reads one pickle; throws `serialization` for anything this reader refuses or cannot read.
    public func decode(_ bytes: UnsafeRawBufferPointer) throws -> UltraValue {
        var reader = PickleReader(bytes)
        return try reader.read()
    }

    /// Appends the record `(is_set, key, value)` pickled, as Python UltraDict writes it.
    public func encodeUpdate(_ update: UltraDictUpdate, into buffer: inout [UInt8]) throws {
        try PickleWriter.append(to: &buffer) { try $0.writeRecord(update) }
    }

    /// Whether `bytes` start as a pickle of protocol 2 to 5 does (`PROTO` and its version): how
    /// the command-line tool tells a Python dictionary's pickles from other formats when the
    /// dictionary records no serializer.
    package static func startsLikePickle(_ bytes: some Collection<UInt8>) -> Bool {
        var iterator = bytes.makeIterator()
        guard iterator.next() == PickleOpcode.proto, let version = iterator.next() else { return false }
        return (2...5).contains(version)
    }

    /// Reads a record `(is_set, key, value)`. A deletion's value means nothing: Python writes
    /// `b''`, this serializer `None` (the value of `UltraDictUpdate.delete(_:)`).
    public func decodeUpdate(_ bytes: UnsafeRawBufferPointer) throws -> UltraDictUpdate {
        try UltraDictUpdate(record: decode(bytes))
    }
}
