import Foundation
import UltraDictCore

/// The binary property list serializer (`bplist00`) on Foundation's `PropertyListSerialization`.
///
/// Property lists have no null and only string dictionary keys, so those two cases take a tagged
/// form: a dictionary with exactly one entry whose key is a tag. Everything else maps to the
/// matching plist type, and every `UltraValue` round-trips exactly.
///
/// | UltraValue | property list |
/// | --- | --- |
/// | null | `{"$null": true}` |
/// | bool | boolean |
/// | int | integer (8 bytes signed, or fewer for small non-negative values) |
/// | uint | 16-byte integer, as Foundation writes `UInt64` values above `Int64.max` |
/// | double | real (8 bytes; NaN, ±infinity and -0.0 kept) |
/// | string, bytes | string (ASCII or UTF-16), data |
/// | array | array |
/// | dictionary with string keys | dictionary |
/// | any other dictionary | `{"$map": [key1, value1, key2, value2, …]}` |
///
/// A dictionary whose keys are all strings is written as a plain dictionary, unless it has exactly
/// one entry under a tag (`"$null"` or `"$map"`): that one is written in the `$map` form, so that it
/// cannot be mistaken for a tag. Decoding reads a one-entry dictionary under a tag as the tagged
/// value and throws if the tag's content is malformed. A binary property list may have a scalar
/// at the top level, so any value can be encoded; in a shared dictionary the top level is always
/// an array (an update record) or a dictionary (a full dump).
///
/// Other programs: Python's `plistlib.dumps(…, fmt=plistlib.FMT_BINARY)` reads what this writes
/// (the tags show up as dictionaries), and writes what this reads, except that it refuses `None`
/// and non-string keys.
///
/// Cost: Foundation builds an object tree and, on Linux, bridges every value; expect tens of
/// microseconds per record and tens of milliseconds per 10,000-entry snapshot, tens of times
/// slower than MessagePack. Dates, UIDs and sets are refused on decode.
///
/// ## Untrusted input
/// Before Foundation sees the input, a bounds-checked walk of the whole object graph
/// without recursion and refuses out-of-bounds offsets and lengths, unknown types, shared or
/// cyclic containers, nesting beyond its limit, ints beyond 64 bits, malformed strings and
/// expansions beyond 1 GiB; the conversion afterwards enforces ``maximumDepth``.
public struct PropertyListSerializer: UltraDictSerializer {
    /// `"plist"`, the name recorded in the control block.
    public static let identifier = "plist"

    /// The deepest nesting of arrays and dictionaries this serializer writes or reads:
    /// `UltraValue.maximumDepth`; the containers of the tagged forms do not count.
    public static let maximumDepth = UltraValue.maximumDepth

    /// The key of the one-entry dictionary that stands for null: `{"$null": true}`.
    public static let nullTag = "$null"

    /// The key of the one-entry dictionary that stands for a dictionary with other keys than
    /// strings: `{"$map": [key1, value1, key2, value2, …]}`.
    public static let mapTag = "$map"

    /// Creates the serializer; it has no state.
    public init() {}

    // MARK: Encoding

    /// Appends the binary property list of `value`, written by `PropertyListSerialization.data(
    /// fromPropertyList:format:options:)`; throws for a tree nested deeper than ``maximumDepth``,
    /// or deeper than the 512 property list levels Foundation reads (a dictionary with other keys
    /// than strings takes two levels, a null one).
    public func encode(_ value: UltraValue, into buffer: inout [UInt8]) throws {
        let data: Data
        do {
            data = try PropertyListSerialization.data(fromPropertyList: Self.propertyList(for: value, at: Depth()), format: .binary, options: 0)
        } catch let error as UltraDictError {
            throw error
        } catch {
            throw failure("PropertyListSerialization could not write the value: \(error)")
        }
        buffer.append(contentsOf: data)
    }

    /// How deep a value sits: in the value tree, and in property list containers.
    private struct Depth {
        var value = 0
        var containers = 0

        /// The depth inside a container of the value tree that takes `containers` plist containers;
        /// throws if either limit is passed.
        func entering(containers added: Int) throws -> Depth {
            guard value < maximumDepth else { throw failure("nesting deeper than \(maximumDepth) levels") }
            return try Depth(value: value + 1, containers: containers).adding(added)
        }

        /// The depth inside `added` more plist containers; throws beyond Foundation's 512 levels.
        func adding(_ added: Int) throws -> Depth {
            guard containers + added <= BinaryPropertyListCheck.maximumDepth else {
                throw failure("more than \(BinaryPropertyListCheck.maximumDepth) property list levels (Foundation's limit)")
            }
            return Depth(value: value, containers: containers + added)
        }
    }

    /// The Foundation property list object for `value`, which sits at `depth`.
    private static func propertyList(for value: UltraValue, at depth: Depth) throws -> Any {
        switch value {
        case .null:
            _ = try depth.adding(1)
            return [nullTag: true]
        case .bool(let flag): return flag
        case .int(let number): return NSNumber(value: number)
        case .uint(let number): return NSNumber(value: number)
        case .double(let number): return number
        case .string(let text): return text
        case .bytes(let bytes): return Data(bytes)
        case .array(let items):
            let inside = try depth.entering(containers: 1)
            return try items.map { try propertyList(for: $0, at: inside) }
        case .dictionary(let map):
            let names = map.keys.compactMap { key -> String? in if case .string(let name) = key { name } else { nil } }
            guard names.count == map.count, !(map.count == 1 && isTag(names[0])) else {
                let inside = try depth.entering(containers: 2)
                var entries: [Any] = []
                entries.reserveCapacity(2 * map.count)
                for (key, item) in map {
                    entries.append(try propertyList(for: key, at: inside))
                    entries.append(try propertyList(for: item, at: inside))
                }
                return [mapTag: entries]
            }
            let inside = try depth.entering(containers: 1)
            var plain = [String: Any](minimumCapacity: map.count)
            for (key, item) in map {
                guard case .string(let name) = key else { continue }
                plain[name] = try propertyList(for: item, at: inside)
            }
            return plain
        }
    }

    private static func isTag(_ name: String) -> Bool { name == nullTag || name == mapTag }

    private static func checkDepth(_ depth: Int) throws {
        guard depth < maximumDepth else { throw failure("nesting deeper than \(maximumDepth) levels") }
    }

    // MARK: Decoding

    /// Decodes the binary property list spanning `bytes` with `PropertyListSerialization.propertyList(
    /// from:options:format:)`, after a bounds-checked walk of its structure; throws
    /// `UltraDictError.Code.serialization` for malformed, unsupported or too deep input.
    public func decode(_ bytes: UnsafeRawBufferPointer) throws -> UltraValue {
        try BinaryPropertyListCheck.check(bytes)
        let object: Any
        do {
            object = try PropertyListSerialization.propertyList(from: Data(bytes), options: [], format: nil)
        } catch {
            throw failure("PropertyListSerialization could not read the input: \(error)")
        }
        return try Self.value(of: object, depth: 0)
    }

    /// Converts Foundation's objects to an ``UltraValue``, reading the tagged forms.
    private static func value(of object: Any, depth: Int) throws -> UltraValue {
        switch object {
        case let text as String: return .string(text)
        case let data as Data: return .bytes([UInt8](data))
        case let items as [Any]:
            try checkDepth(depth)
            return .array(try items.map { try value(of: $0, depth: depth + 1) })
        case let map as [String: Any]:
            if map.count == 1, let (name, content) = map.first, isTag(name) {
                return try tagged(name, content, depth: depth)
            }
            try checkDepth(depth)
            var result = [UltraValue: UltraValue](minimumCapacity: map.count)
            for (name, item) in map { result[.string(name)] = try value(of: item, depth: depth + 1) }
            return .dictionary(result)
        case let number as NSNumber: return try scalar(number)
        default: throw failure("unsupported object \(type(of: object))")
        }
    }

    /// The value of `{"$null": true}` or `{"$map": [...]}`.
    private static func tagged(_ name: String, _ content: Any, depth: Int) throws -> UltraValue {
        if name == nullTag {
            guard let flag = content as? NSNumber, case .bool(true) = try scalar(flag) else {
                throw failure("\(nullTag) must hold true")
            }
            return .null
        }
        guard let entries = content as? [Any], entries.count % 2 == 0 else {
            throw failure("\(mapTag) must hold an array of alternating keys and values")
        }
        try checkDepth(depth)
        var map = [UltraValue: UltraValue](minimumCapacity: entries.count / 2)
        for position in stride(from: 0, to: entries.count, by: 2) {
            map[try value(of: entries[position], depth: depth + 1)] = try value(of: entries[position + 1], depth: depth + 1)
        }
        return .dictionary(map)
    }

    /// A boolean, integer or real, told apart by the number's C type: booleans are `c` (`B`),
    /// reals `d` (`f` for 4-byte reals), integers above `Int64.max` `Q`, other integers signed types.
    private static func scalar(_ number: NSNumber) throws -> UltraValue {
        switch UInt8(bitPattern: number.objCType.pointee) {
        case UInt8(ascii: "c"), UInt8(ascii: "B"): return .bool(number.boolValue)
        case UInt8(ascii: "d"), UInt8(ascii: "f"): return .double(number.doubleValue)
        case UInt8(ascii: "Q"), UInt8(ascii: "L"): return .unsigned(number.uint64Value)
        case UInt8(ascii: "q"), UInt8(ascii: "l"), UInt8(ascii: "i"), UInt8(ascii: "s"),
            UInt8(ascii: "I"), UInt8(ascii: "S"), UInt8(ascii: "C"):
            return .int(number.int64Value)
        case let other: throw failure("a number of unexpected C type '\(Character(Unicode.Scalar(other)))'")
        }
    }
}
