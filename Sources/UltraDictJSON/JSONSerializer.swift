import CJSONC
import UltraDictCore

/// The JSON serializer on json-c, compatible with what Python UltraDict writes through a bytes
/// wrapper around `json` (`dumps = lambda o: json.dumps(o).encode()`, `loads = json.loads`).
///
/// Encoding builds a json-c tree (`json_object_new_*`) and writes it with
/// `json_object_to_json_string_length` (`JSON_C_TO_STRING_PLAIN`, `/` not escaped); decoding runs
/// `json_tokener_parse_ex` in strict mode on a tokener with a nesting limit (`json_tokener_new_ex`)
/// and reads the tree with `json_object_get_*` and `json_object_iter_*`. A small record costs a few
/// json-c allocations per value; MessagePack is several times faster.
///
/// | UltraValue | JSON |
/// | --- | --- |
/// | null, bool | `null`, `true` / `false` |
/// | int, uint | an integer (`-9223372036854775808` … `18446744073709551615`); Python reads both as `int` |
/// | double | a number with a `.` or an exponent and the shortest digits that round-trip (`1.0`, `1e-07`); `NaN`, `Infinity`, `-Infinity` as Python writes them (not standard JSON, but Python's default) |
/// | string | a string: UTF-8, `"`, `\` and control characters escaped |
/// | bytes | the object `{"$bytes": "<standard base64 with padding>"}` (Python's `json` has no bytes) |
/// | array | an array |
/// | dictionary | an object; see "Keys" |
///
/// Decoding reads integers as int (uint above `Int64.max`), numbers with a `.` or an exponent as
/// double, and an object whose only member is `"$bytes"` with canonical base64 text as bytes.
/// Encoding throws for a dictionary that would read back as bytes (`["$bytes": "AA=="]`). A
/// double's NaN payload and sign are not kept.
///
/// ## Keys
/// JSON object keys are strings. A string key is written as it is; an int, uint, double, bool or
/// null key as its JSON text (`1`, `1.5`, `true`, `null`), as Python's `json.dumps` does; a bytes,
/// array or dictionary key throws, as it does in Python, and so does a key containing U+0000
/// (json-c cuts keys at NUL) and two keys with the same text (`1` and `"1"`). Decoding gives string
/// keys, so `[1: "a"]` comes back as `["1": "a"]`.
///
/// An update record is an array, so its key keeps its type; a full dump is an object, so after
/// the first full dump a dictionary with `Int` keys would find `"1"` where it wrote `1` (and so does
/// Python UltraDict with JSON). ``TopLevelKeys/integers`` restores them: for such a dictionary pass
/// `JSONSerializer(keyType: Int.self)`. Keys of nested dictionaries always come back as strings.
///
/// ## Untrusted input
/// json-c parses without declared lengths, so hostile input cannot make it allocate more than the
/// input's size, and its tokener stops at ``maximumDepth`` levels without recursing. Before json-c
/// sees the input, one pass over the bytes checks what json-c would silently accept: malformed
/// UTF-8, NUL bytes, integers beyond 64 bits (which `strtoll` would saturate) and object keys
/// containing `\u0000` (which json-c would cut). Strict mode refuses comments, single quotes,
/// trailing commas and bytes after the value. A lone surrogate escape (`"\ud800"`, which Python
/// can write) becomes U+FFFD, as json-c decodes it.
public struct JSONSerializer: UltraDictSerializer {
    /// `"json"`, the name recorded in the control block.
    public static let identifier = "json"

    /// The deepest nesting of arrays and dictionaries this serializer writes or reads:
    /// `UltraValue.maximumDepth`; the `$bytes` object of a bytes value does not count.
    public static let maximumDepth = UltraValue.maximumDepth

    /// The only member of the object that stands for bytes: `{"$bytes": "<base64>"}`.
    public static let bytesTag = "$bytes"

    /// How ``decode(_:)`` reads the keys of a top-level object: a full dump's keys.
    public enum TopLevelKeys: Sendable, Hashable {
        /// Keys stay strings, as Python's `json.loads` reads them.
        case strings
        /// A key that is a canonical decimal integer (`0`, `-12`, `18446744073709551615`: no `+`,
        /// no leading zero, no `-0`) becomes an int or uint; other keys stay strings.
        case integers
    }

    /// How ``decode(_:)`` reads the keys of a top-level object; ``decodeUpdate(_:)`` is unaffected.
    public var topLevelKeys: TopLevelKeys

    /// Creates the serializer; `topLevelKeys` says how a full dump's keys are read back.
    public init(topLevelKeys: TopLevelKeys = .strings) {
        self.topLevelKeys = topLevelKeys
    }

    /// Creates the serializer for a dictionary keyed by `Key`: ``TopLevelKeys/integers`` when `Key`
    /// is a fixed-width integer type, ``TopLevelKeys/strings`` otherwise.
    public init<Key>(keyType: Key.Type) {
        self.init(topLevelKeys: Key.self is any FixedWidthInteger.Type ? .integers : .strings)
    }

    // MARK: Encoding

    /// `JSON_C_TO_STRING_PLAIN` without escaping `/`, as Python writes it.
    private static let outputFlags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE

    /// Appends the JSON text of `value`, built with `json_object_new_*` and written with
    /// `json_object_to_json_string_length`; throws for what JSON cannot hold (see the type's
    /// documentation), leaving `buffer` as it was.
    public func encode(_ value: UltraValue, into buffer: inout [UInt8]) throws {
        try Self.write(Self.object(for: value, depth: 0), into: &buffer)
    }

    /// Appends the record `[isSet, key, value]`, without building an `UltraValue.array(_:)`.
    public func encodeUpdate(_ update: UltraDictUpdate, into buffer: inout [UInt8]) throws {
        let record = try Self.filling(Self.created(json_object_new_array_ext(3))) { record in
            try Self.append(Self.created(json_object_new_boolean(update.isSet ? 1 : 0)), to: record)
            try Self.append(Self.object(for: update.key, depth: 1), to: record)
            try Self.append(Self.object(for: update.value, depth: 1), to: record)
        }
        try Self.write(record, into: &buffer)
    }

    /// Writes `object` with `json_object_to_json_string_length`, appends the text, and releases
    /// `object` with `json_object_put`.
    private static func write(_ object: OpaquePointer?, into buffer: inout [UInt8]) throws {
        defer { json_object_put(object) }
        var length = 0
        guard let text = json_object_to_json_string_length(object, outputFlags, &length) else {
            throw failure("json_object_to_json_string_length failed (out of memory)")
        }
        text.withMemoryRebound(to: UInt8.self, capacity: length) {
            buffer.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
        }
    }

    /// A new json-c object for `value`, owned by the caller; `nil` is JSON `null`.
    private static func object(for value: UltraValue, depth: Int) throws -> OpaquePointer? {
        switch value {
        case .null: return nil
        case .bool(let flag): return try created(json_object_new_boolean(flag ? 1 : 0))
        case .int(let number): return try created(json_object_new_int64(number))
        case .uint(let number): return try created(json_object_new_uint64(number))
        case .double(let number): return try created(json_object_new_double_s(number, text(of: number)))
        case .string(let text): return try string(text)
        case .bytes(let bytes):
            return try filling(created(json_object_new_object())) { tag in
                try add(string(Base64.encode(bytes)), as: bytesTag, to: tag)
            }
        case .array(let items):
            try checkDepth(depth)
            return try filling(created(json_object_new_array_ext(Int32(clamping: items.count)))) { array in
                for item in items { try append(object(for: item, depth: depth + 1), to: array) }
            }
        case .dictionary(let map):
            try checkDepth(depth)
            if map.count == 1, let (key, item) = map.first, key == .string(bytesTag), case .string(let text) = item,
                Base64.decode(text) != nil {
                throw failure("the dictionary [\"\(bytesTag)\": \"\(text.prefix(20))\"] would read back as bytes")
            }
            return try filling(created(json_object_new_object())) { object in
                for (key, item) in map {
                    let name = try keyText(key)
                    guard json_object_object_get_ex(object, name, nil) == 0 else {
                        throw failure("two keys are both written as \"\(name)\"; JSON object keys are strings")
                    }
                    try add(self.object(for: item, depth: depth + 1), as: name, to: object)
                }
            }
        }
    }

    /// The JSON text of a double as Python writes it: shortest round-trip digits, `NaN`, `Infinity`.
    private static func text(of number: Double) -> String {
        if number.isNaN { return "NaN" }
        if number.isInfinite { return number < 0 ? "-Infinity" : "Infinity" }
        return number.description  // "1.0", "1e-07", "1.7976931348623157e+308": always a '.' or an 'e'
    }

    /// The object key for `key`: a string as is, a scalar as its JSON text (Python's rule).
    private static func keyText(_ key: UltraValue) throws -> String {
        let name: String
        switch key {
        case .string(let text): name = text
        case .int(let number): name = String(number)
        case .uint(let number): name = String(number)
        case .double(let number): name = text(of: number)
        case .bool(let flag): name = flag ? "true" : "false"
        case .null: name = "null"
        case .bytes, .array, .dictionary:
            throw failure("a \(key.kindName) cannot be a JSON object key; keys are strings, numbers, booleans or null")
        }
        guard !name.utf8.contains(0) else { throw failure("json-c cannot write an object key containing U+0000") }
        return name
    }

    /// A json-c string holding `text`, made with `json_object_new_string_len`.
    private static func string(_ text: String) throws -> OpaquePointer {
        var text = text
        return try text.withUTF8 { utf8 in
            guard utf8.count < Int32.max else { throw failure("a string of \(utf8.count) bytes exceeds json-c's 2 GiB limit") }
            guard let start = utf8.baseAddress else { return try created(json_object_new_string("")) }
            return try start.withMemoryRebound(to: CChar.self, capacity: utf8.count) {
                try created(json_object_new_string_len($0, Int32(utf8.count)))
            }
        }
    }

    /// `object`, or a throw for the `NULL` json-c returns when it cannot allocate.
    private static func created(_ object: OpaquePointer?) throws -> OpaquePointer {
        guard let object else { throw failure("json-c could not allocate an object") }
        return object
    }

    /// Runs `body` on the new container `object` and returns it; on a throw, releases it.
    private static func filling(_ object: OpaquePointer, _ body: (OpaquePointer) throws -> Void) throws -> OpaquePointer {
        do {
            try body(object)
            return object
        } catch {
            json_object_put(object)
            throw error
        }
    }

    /// Appends `child` to a json-c array, which takes it over (`json_object_array_add`).
    private static func append(_ child: OpaquePointer?, to array: OpaquePointer) throws {
        guard json_object_array_add(array, child) == 0 else {
            json_object_put(child)
            throw failure("json_object_array_add failed (out of memory)")
        }
    }

    /// Adds `child` under `name` to a json-c object, which takes it over (`json_object_object_add`).
    private static func add(_ child: OpaquePointer?, as name: String, to object: OpaquePointer) throws {
        guard json_object_object_add(object, name, child) == 0 else {
            json_object_put(child)
            throw failure("json_object_object_add failed (out of memory)")
        }
    }

    private static func checkDepth(_ depth: Int) throws {
        guard depth < maximumDepth else { throw failure("nesting deeper than \(maximumDepth) levels") }
    }

    // MARK: Decoding

    /// The nesting limit given to `json_tokener_new_ex`: ``maximumDepth`` containers, one more for
    /// a `$bytes` object inside the deepest, and the scalar inside that (json-c counts it too).
    private static let tokenerDepth = Int32(maximumDepth + 2)

    /// Decodes the one JSON value spanning `bytes` with `json_tokener_parse_ex` (strict mode, after
    /// the check of the text described on the type); a top-level object's keys are read as
    /// ``topLevelKeys`` says. Throws `UltraDictError.Code.serialization` for malformed, too deep
    /// or out-of-range input.
    public func decode(_ bytes: UnsafeRawBufferPointer) throws -> UltraValue {
        try Self.parse(bytes) { try Self.value(of: $0, depth: 0, integerKeys: topLevelKeys == .integers) }
    }

    /// Checks the text, parses it with a fresh tokener, hands the root to `body`, and releases the
    /// tree with `json_object_put`.
    private static func parse<Result>(_ bytes: UnsafeRawBufferPointer, _ body: (OpaquePointer?) throws -> Result) throws -> Result {
        guard let start = bytes.baseAddress, !bytes.isEmpty else { throw failure("empty input") }
        guard bytes.count < Int32.max else { throw failure("\(bytes.count) bytes exceed json-c's 2 GiB limit") }
        try JSONTextCheck.check(bytes)
        guard let tokener = json_tokener_new_ex(tokenerDepth) else { throw failure("json_tokener_new_ex failed (out of memory)") }
        defer { json_tokener_free(tokener) }
        json_tokener_set_flags(tokener, JSON_TOKENER_STRICT)
        var root = json_tokener_parse_ex(tokener, start.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
        var status = json_tokener_get_error(tokener)
        if status == json_tokener_continue {
            // json-c needs the end of input as a NUL to finish a top-level number, or to say "truncated".
            root = json_tokener_parse_ex(tokener, "", 1)
            status = json_tokener_get_error(tokener)
        }
        defer { json_object_put(root) }
        switch status {
        case json_tokener_success: return try body(root)
        case json_tokener_error_depth: throw failure("nesting deeper than \(maximumDepth) levels")
        default:
            let reason = json_tokener_error_desc(status).map { String(cString: $0) } ?? "error \(status.rawValue)"
            throw failure("\(reason) at offset \(min(json_tokener_get_parse_end(tokener), bytes.count))")
        }
    }

    /// Converts json-c's tree (checked by the tokener to be at most ``tokenerDepth`` deep) to an
    /// ``UltraValue``; with `integerKeys`, this object's canonical integer keys become ints.
    private static func value(of object: OpaquePointer?, depth: Int, integerKeys: Bool = false) throws -> UltraValue {
        switch json_object_get_type(object) {
        case json_type_null: return .null
        case json_type_boolean: return .bool(json_object_get_boolean(object) != 0)
        case json_type_int:
            // json-c keeps integers above Int64.max as uint64; json_object_get_int64 saturates them.
            let signed = json_object_get_int64(object)
            return signed == .max ? .unsigned(json_object_get_uint64(object)) : .int(signed)
        case json_type_double: return .double(json_object_get_double(object))
        case json_type_string: return .string(string(of: object))
        case json_type_array:
            try checkDepth(depth)
            let count = json_object_array_length(object)
            var items: [UltraValue] = []
            items.reserveCapacity(count)
            for index in 0 ..< count {
                items.append(try value(of: json_object_array_get_idx(object, index), depth: depth + 1))
            }
            return .array(items)
        case json_type_object:
            if let bytes = taggedBytes(object) { return .bytes(bytes) }
            try checkDepth(depth)
            var map = [UltraValue: UltraValue](minimumCapacity: Int(json_object_object_length(object)))
            var entry = json_object_iter_begin(object)
            var end = json_object_iter_end(object)
            while json_object_iter_equal(&entry, &end) == 0 {
                let name = String(cString: json_object_iter_peek_name(&entry))
                let key = integerKeys ? canonicalInteger(name) ?? .string(name) : .string(name)
                map[key] = try value(of: json_object_iter_peek_value(&entry), depth: depth + 1)
                json_object_iter_next(&entry)
            }
            return .dictionary(map)
        default:
            throw failure("json-c returned an unknown type \(json_object_get_type(object).rawValue)")
        }
    }

    /// The bytes of `{"$bytes": "<canonical base64>"}`, or `nil` for any other object.
    private static func taggedBytes(_ object: OpaquePointer?) -> [UInt8]? {
        var member: OpaquePointer?
        guard json_object_object_length(object) == 1, json_object_object_get_ex(object, bytesTag, &member) != 0,
            json_object_get_type(member) == json_type_string else { return nil }
        return Base64.decode(string(of: member))
    }

    /// The text of a json-c string, which ``JSONTextCheck`` and json-c's escape decoding keep valid UTF-8.
    private static func string(of object: OpaquePointer?) -> String {
        guard let start = json_object_get_string(object) else { return "" }
        let count = Int(json_object_get_string_len(object))
        return start.withMemoryRebound(to: UInt8.self, capacity: count) {
            String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self)
        }
    }

    /// `text` as an int or uint if it is a canonical decimal integer, else `nil`.
    private static func canonicalInteger(_ text: String) -> UltraValue? {
        guard let first = text.utf8.first, first == UInt8(ascii: "-") || (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains(first) else {
            return nil
        }
        if let number = Int64(text), String(number) == text { return .int(number) }
        if let number = UInt64(text), String(number) == text { return .uint(number) }
        return nil
    }
}

/// A `serialization` error of this serializer, saying `what`.
func failure(_ what: String) -> UltraDictError {
    UltraDictError(.serialization, "json: \(what)")
}
