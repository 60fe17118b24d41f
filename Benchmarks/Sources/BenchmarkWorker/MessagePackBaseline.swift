import CMsgPackBaseline

/// msgpack-c alone: the floor that loading a dump is held to.
enum MessagePackBaseline {
    /// Why `bytes` are not the dump this expects.
    enum Failure: Error { case notAMap, notAnInteger }

    // msgpack-c's object types (`msgpack_object_type`, msgpack/object.h), spelled by value: in a
    // build that also has the parent package's `CMsgPack`, that module owns the constants' names.
    static let map = msgpack_object_type(rawValue: 0x07)
    static let positiveInteger = msgpack_object_type(rawValue: 0x02)
    static let negativeInteger = msgpack_object_type(rawValue: 0x03)

    /// `bytes`, a MessagePack map of ints, unpacked by msgpack-c (`msgpack_unpack_next`) into a
    /// plain dictionary whose capacity is reserved first.
    static func unpack(_ bytes: [UInt8]) throws -> [Int: Int] {
        try bytes.withUnsafeBytes { raw in
            var unpacked = msgpack_unpacked()
            msgpack_unpacked_init(&unpacked)
            defer { msgpack_unpacked_destroy(&unpacked) }
            var offset = 0
            guard msgpack_unpack_next(&unpacked, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count, &offset) == MSGPACK_UNPACK_SUCCESS,
                  unpacked.data.type == map else {
                throw Failure.notAMap
            }
            let entries = unpacked.data.via.map
            var result = [Int: Int](minimumCapacity: Int(entries.size))
            for entry in UnsafeBufferPointer(start: entries.ptr, count: Int(entries.size)) {
                guard isInteger(entry.key), isInteger(entry.val) else { throw Failure.notAnInteger }
                result[Int(entry.key.via.i64)] = Int(entry.val.via.i64)
            }
            return result
        }
    }

    /// Whether `object` is an integer: its `via.i64` then holds it (these ints fit `Int64`).
    static func isInteger(_ object: msgpack_object) -> Bool {
        object.type == positiveInteger || object.type == negativeInteger
    }
}
