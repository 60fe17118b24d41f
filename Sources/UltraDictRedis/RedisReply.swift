import UltraDictCore

/// One reply of a Redis server (RESP2), copied out of hiredis's `redisReply`.
///
/// The accessors (``integer(_:)``, ``bytes(_:)``, ...) return the payload of the expected kind;
/// any other kind throws `corruptData`, and an ``error(_:)`` reply throws `server`.
package enum RedisReply: Sendable, Equatable {
    /// A status reply (`+OK`), its text decoded as UTF-8.
    case status(String)
    /// An error reply (`-ERR ...`), its text decoded as UTF-8. ``RedisConnection`` throws for it,
    /// except inside pipelines and arrays.
    case error(String)
    /// An integer reply (`:42`).
    case integer(Int64)
    /// A bulk string (`$3 abc`): bytes, binary-safe.
    case bulk([UInt8])
    /// A null bulk string or null array (`$-1`, `*-1`): a missing key, a timed-out `XREAD`.
    case null
    /// An array (`*2 ...`) of replies.
    case array([RedisReply])

    /// The integer of an ``integer(_:)`` reply.
    package func integer(_ what: String = "the reply") throws -> Int64 {
        guard case let .integer(value) = self else { throw unexpected(what, "an integer") }
        return value
    }

    /// The bytes of a ``bulk(_:)`` reply.
    package func bytes(_ what: String = "the reply") throws -> [UInt8] {
        guard case let .bulk(bytes) = self else { throw unexpected(what, "a bulk string") }
        return bytes
    }

    /// The bytes of a ``bulk(_:)`` reply, or `nil` for ``null``.
    package func optionalBytes(_ what: String = "the reply") throws -> [UInt8]? {
        if case .null = self { return nil }
        guard case let .bulk(bytes) = self else { throw unexpected(what, "a bulk string or null") }
        return bytes
    }

    /// The text of a ``status(_:)`` reply, or of a ``bulk(_:)`` reply that is UTF-8.
    package func string(_ what: String = "the reply") throws -> String {
        switch self {
        case let .status(text): return text
        case let .bulk(bytes):
            let text = String(decoding: bytes, as: UTF8.self)
            guard text.utf8.elementsEqual(bytes) else {
                throw UltraDictError(.corruptData, "\(what): expected UTF-8 text, got \(bytes.count) bytes that are not UTF-8")
            }
            return text
        default: throw unexpected(what, "a status or bulk string")
        }
    }

    /// The elements of an ``array(_:)`` reply.
    package func array(_ what: String = "the reply") throws -> [RedisReply] {
        guard case let .array(elements) = self else { throw unexpected(what, "an array") }
        return elements
    }

    /// A short description for error messages: its kind and size, without the payload (which may
    /// be large or secret) except for integers and short status and error texts.
    package var summary: String {
        switch self {
        case let .status(text): "status '\(text.prefix(64))'"
        case let .error(text): "error '\(text.prefix(200))'"
        case let .integer(value): "integer \(value)"
        case let .bulk(bytes): "a bulk string of \(bytes.count) bytes"
        case .null: "null"
        case let .array(elements): "an array of \(elements.count) elements"
        }
    }

    /// `server` for an error reply, else `corruptData`: "WHAT: expected KIND, got SUMMARY".
    private func unexpected(_ what: String, _ kind: String) -> UltraDictError {
        if case let .error(message) = self {
            return UltraDictError(.server, "\(what): the server answered with an error: \(message)", underlying: RedisErrorReply(message))
        }
        return UltraDictError(.corruptData, "\(what): expected \(kind), got \(summary)")
    }
}

/// The text of a Redis error reply, kept as `UltraDictError.underlying` of a
/// `server` error so that callers can tell errors apart by ``kind``.
package struct RedisErrorReply: Error, Sendable, Equatable, CustomStringConvertible {
    /// The whole text, such as `NOSCRIPT No matching script. Please use EVAL.`
    package let message: String

    /// An error reply with `message`.
    package init(_ message: String) { self.message = message }

    /// The first word, which Redis uses as the error's code: `ERR`, `NOSCRIPT`, `WRONGTYPE`, `WRONGPASS`.
    package var kind: Substring { message.prefix { $0 != " " } }

    /// The message.
    package var description: String { message }
}
