import UltraDictCore

/// Runs the checks on one serializer and collects failures, at most ``limit`` of each kind.
struct Checker<Serializer: UltraDictSerializer> {
    let serializer: Serializer
    let capabilities: UltraDictSerializerCapabilities
    var failures: [UltraDictSerializerConformance.Failure] = []
    private var counts: [String: Int] = [:]

    /// Failures kept per check; one more says that others were left out.
    private let limit = 10

    init(serializer: Serializer, capabilities: UltraDictSerializerCapabilities) {
        self.serializer = serializer
        self.capabilities = capabilities
    }

    mutating func fail(_ check: String, _ message: String) {
        counts[check, default: 0] += 1
        switch counts[check]! {
        case ...limit: failures.append(.init(check: check, message: message))
        case limit + 1: failures.append(.init(check: check, message: "more failures left out"))
        default: break
        }
    }

    // MARK: Encoding and decoding

    /// What to encode: a value with `encode`, or an update with `encodeUpdate`.
    enum Payload {
        case value(UltraValue)
        case update(UltraDictUpdate)
    }

    /// A decoding entry point.
    enum Entry: String, CaseIterable {
        case decode, decodeUpdate
    }

    /// Bytes placed in the buffer before every encode: they must survive, and their odd count
    /// makes the decoder read at an odd address.
    static var prefix: [UInt8] { [0xA5, 0x5A, 0xC3] }

    /// Appends the encoding of `payload` to `buffer`.
    func write(_ payload: Payload, into buffer: inout [UInt8]) throws {
        switch payload {
        case .value(let value): try serializer.encode(value, into: &buffer)
        case .update(let update): try serializer.encodeUpdate(update, into: &buffer)
        }
    }

    /// The encoding of `payload`, checking that the prefix survives; `nil` after recording a
    /// failure, or when encoding threw a serialization error and `refusalAllowed`.
    mutating func encode(_ payload: Payload, _ name: String, refusalAllowed: Bool = false) -> [UInt8]? {
        var buffer = Self.prefix
        do {
            try write(payload, into: &buffer)
        } catch let error as UltraDictError where refusalAllowed && error.code == .serialization {
            if !buffer.starts(with: Self.prefix) { fail("encoding appends", "encode changed the buffer's bytes while failing on \(name)") }
            return nil
        } catch {
            fail("encoding", "encoding \(name) threw \(error)")
            return nil
        }
        guard buffer.starts(with: Self.prefix) else {
            fail("encoding appends", "encoding \(name) changed bytes that were already in the buffer")
            return nil
        }
        return Array(buffer.dropFirst(Self.prefix.count))
    }

    /// Decodes `bytes` placed after the odd prefix, so at an odd address.
    func decode(_ bytes: [UInt8]) throws -> UltraValue {
        let buffer = Self.prefix + bytes
        return try buffer.withUnsafeBytes { try serializer.decode(UnsafeRawBufferPointer(rebasing: $0.dropFirst(Self.prefix.count))) }
    }

    /// Decodes an update from `bytes` placed after the odd prefix.
    func decodeUpdate(_ bytes: [UInt8]) throws -> UltraDictUpdate {
        let buffer = Self.prefix + bytes
        return try buffer.withUnsafeBytes { try serializer.decodeUpdate(UnsafeRawBufferPointer(rebasing: $0.dropFirst(Self.prefix.count))) }
    }

    /// Runs the decoding `entry` on `bytes`.
    func run(_ entry: Entry, _ bytes: [UInt8]) throws {
        switch entry {
        case .decode: _ = try decode(bytes)
        case .decodeUpdate: _ = try decodeUpdate(bytes)
        }
    }

    /// Checks that `decode(encode(value))` is identical to `value`; with `refusalAllowed`, `encode`
    /// may throw a serialization error instead.
    mutating func roundTrip(_ name: String, _ value: UltraValue, refusalAllowed: Bool = false) {
        guard let bytes = encode(.value(value), name, refusalAllowed: refusalAllowed) else { return }
        do {
            let decoded = try decode(bytes)
            if !identical(decoded, value) { fail("round trip", "\(name) came back as \(brief(decoded))") }
        } catch {
            fail("round trip", "decoding the encoding of \(name) threw \(error)")
        }
    }
}
