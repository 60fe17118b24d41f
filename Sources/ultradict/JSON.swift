import Foundation
import UltraDict

/// A JSON value as the tool prints it: objects keep the order their members were given in.
///
/// Dictionary values (``UltraValue``) map to JSON in one documented shape:
/// - null, bool, int, double and string as themselves; a NaN or infinite double as Python's
///   `json` writes it (`NaN`, `Infinity`, `-Infinity`);
/// - bytes as the object `{"$bytes": "<base64>"}` (standard alphabet, padded), the shape of the
///   JSON serializer;
/// - a dictionary as an object whose members are sorted by key; a key that is not a string is
///   written as its JSON text (`1`, `true`, `{"$bytes": "AQ=="}`), as Python's `json.dumps` does
///   for numbers, so `1` and `"1"` can collide in the output.
enum JSON {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    /// The member name that marks a bytes value: `{"$bytes": "<base64>"}`.
    static let bytesTag = "$bytes"

    /// The JSON shape of a dictionary value, as described on the type.
    init(_ value: UltraValue) {
        switch value {
        case .null: self = .null
        case .bool(let value): self = .bool(value)
        case .int(let value): self = .int(value)
        case .uint(let value): self = .uint(value)
        case .double(let value): self = .double(value)
        case .string(let value): self = .string(value)
        case .bytes(let value): self = .object([(Self.bytesTag, .string(Data(value).base64EncodedString()))])
        case .array(let values): self = .array(values.map(JSON.init))
        case .dictionary(let map): self = .object(Self.members(of: map))
        }
    }

    /// The members of a dictionary's object: each key as a member name, sorted.
    static func members(of map: [UltraValue: UltraValue]) -> [(String, JSON)] {
        map.map { (memberName(for: $0.key), JSON($0.value)) }.sorted { $0.0 < $1.0 }
    }

    /// A dictionary key as an object member name: a string as it is, anything else as its JSON text.
    static func memberName(for key: UltraValue) -> String {
        if case .string(let name) = key { return name }
        return JSON(key).text
    }

    /// The JSON text on one line, without spaces.
    var text: String {
        var output = ""
        write(to: &output)
        return output
    }

    private func write(to output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .int(let value): output += String(value)
        case .uint(let value): output += String(value)
        case .double(let value): output += Self.text(of: value)
        case .string(let value): Self.writeString(value, to: &output)
        case .array(let values):
            output += "["
            for (index, value) in values.enumerated() {
                if index > 0 { output += "," }
                value.write(to: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, (name, value)) in members.enumerated() {
                if index > 0 { output += "," }
                Self.writeString(name, to: &output)
                output += ":"
                value.write(to: &output)
            }
            output += "}"
        }
    }

    /// The shortest text that reads back as `value`, always with a `.` or an exponent.
    private static func text(of value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        return value.description
    }

    private static func writeString(_ value: String, to output: inout String) {
        output += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}

extension UltraValue {
    /// Reads a value from JSON text (`set`'s `JSON_VALUE`), in the shape that ``JSON`` prints:
    /// integers stay integers, `{"$bytes": "<base64>"}` is bytes, object keys are strings.
    init(json text: String) throws {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            throw ToolError.failure("not JSON: \(text)")
        }
        self = try UltraValue(jsonObject: parsed)
    }

    private init(jsonObject: Any) throws {
        switch jsonObject {
        case is NSNull:
            self = .null
        case let string as String:
            self = .string(string)
        case let number as NSNumber:
            self = try UltraValue(number: number)
        case let array as [Any]:
            self = .array(try array.map(UltraValue.init(jsonObject:)))
        case let object as [String: Any]:
            if object.count == 1, let text = object[JSON.bytesTag] as? String {
                guard let bytes = Data(base64Encoded: text) else {
                    throw ToolError.failure("\"\(JSON.bytesTag)\" holds no valid base64: \(text)")
                }
                self = .bytes(Array(bytes))
            } else {
                self = .dictionary(Dictionary(uniqueKeysWithValues: try object.map { (.string($0.key), try UltraValue(jsonObject: $0.value)) }))
            }
        default:
            throw ToolError.failure("cannot read the JSON value \(jsonObject)")
        }
    }

    /// Foundation's parser returns every number and Boolean as `NSNumber`; its type code tells
    /// them apart (`c` Boolean, `d` a number with a fraction or exponent, `Q` above `Int64.max`).
    private init(number: NSNumber) throws {
        if number is NSDecimalNumber { throw ToolError.failure("the number \(number) does not fit 64 bits") }
        switch String(cString: number.objCType) {
        case "c": self = .bool(number.boolValue)
        case "d", "f": self = .double(number.doubleValue)
        case "Q": self = .unsigned(number.uint64Value)
        default: self = .int(number.int64Value)
        }
    }
}
