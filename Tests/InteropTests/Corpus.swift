import Testing
import UltraDict

/// Every value type both languages support, by key: the Swift twin of `corpus()` in `Python/agent.py`.
enum Corpus {
    /// The values for `serializer`; JSON alone loses the int keys of a nested dictionary.
    static func values(for serializer: InteropSerializer) -> [String: UltraValue] {
        var values: [String: UltraValue] = [
            "none": nil,
            "true": true,
            "false": false,
            "zero": 0,
            "int": 42,
            "negative": -7,
            "int64_min": .int(.min),
            "int64_max": .int(.max),
            "uint64_max": .uint(.max),
            "float": 3.25,
            "integral_float": 3.0,
            "negative_float": -0.1,
            "tiny_float": .double(.leastNonzeroMagnitude),
            "huge_float": .double(.greatestFiniteMagnitude),
            "infinity": .double(.infinity),
            "empty_string": "",
            "unicode": "héllo wörld ✓ 日本語 🎉 \"quoted\" \\ back\nslash\ttab",
            "bytes": .bytes([0x00, 0x01, 0xFE, 0xFF]),
            "empty_bytes": .bytes([]),
            "list": [1, "two", 3.5, nil, true, [4, [5]], ["k": "v"]],
            "empty_list": [],
            "dict": ["a": 1, "b": [1, 2], "c": ["d": nil], "é": "ü"],
            "empty_dict": [:],
        ]
        if serializer != .json { values["int_keyed_dict"] = [1: "one", -2: "minus two"] }
        return values
    }

    /// Sets every value under `prefix` + its key.
    static func set(in d: UltraDict<String, UltraValue>, prefix: String, serializer: InteropSerializer) throws {
        for (key, value) in values(for: serializer) { try d.updateValue(value, forKey: prefix + key) }
    }

    /// Expects every value under `prefix` + its key, after applying what other processes wrote.
    static func expect(
        in d: UltraDict<String, UltraValue>,
        prefix: String,
        serializer: InteropSerializer,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        try d.applyUpdates()
        let seen = d.snapshot
        for (key, value) in values(for: serializer) {
            #expect(seen[prefix + key] == value, "\(prefix + key)", sourceLocation: sourceLocation)
        }
    }
}
