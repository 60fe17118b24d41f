import CHiredis
import UltraDictCore

extension RedisReply {
    /// How deeply arrays may nest in a reply (hiredis itself stops at 7 levels).
    package static let maximumDepth = 32
    /// The longest bulk string or status accepted: 4 GiB, beyond what a dictionary stores.
    package static let maximumLength = 1 << 32
    /// The most elements an array may have (hiredis counts them in an `int`).
    package static let maximumElements = Int(Int32.max)

    /// Copies the reply at `reply` (which the caller still frees with `freeReplyObject`).
    ///
    /// The server is not trusted: a length or element count that is negative or over the limits
    /// above, a null pointer where data should be, an unknown type or nesting deeper than
    /// ``maximumDepth`` throws `corruptData` rather than trapping.
    package init(copying reply: UnsafePointer<redisReply>, depth: Int = 0) throws {
        guard depth < Self.maximumDepth else {
            throw UltraDictError(.corruptData, "a Redis reply nests arrays deeper than \(Self.maximumDepth) levels")
        }
        let fields = reply.pointee
        switch fields.type {
        case REDIS_REPLY_STRING: self = .bulk(try Self.payload(of: fields))
        case REDIS_REPLY_STATUS: self = .status(String(decoding: try Self.payload(of: fields), as: UTF8.self))
        case REDIS_REPLY_ERROR: self = .error(String(decoding: try Self.payload(of: fields), as: UTF8.self))
        case REDIS_REPLY_INTEGER: self = .integer(Int64(fields.integer))
        case REDIS_REPLY_NIL: self = .null
        case REDIS_REPLY_ARRAY:
            let count = fields.elements
            guard (0...Self.maximumElements).contains(count) else {
                throw UltraDictError(.corruptData, "a Redis reply claims an array of \(count) elements")
            }
            guard count == 0 || fields.element != nil else {
                throw UltraDictError(.corruptData, "a Redis reply claims an array of \(count) elements but holds none")
            }
            var elements: [RedisReply] = []
            elements.reserveCapacity(count)
            for index in 0..<count {
                guard let element = fields.element[index] else {
                    throw UltraDictError(.corruptData, "element \(index) of an array in a Redis reply is missing")
                }
                elements.append(try RedisReply(copying: element, depth: depth + 1))
            }
            self = .array(elements)
        default:
            throw UltraDictError(.corruptData, "a Redis reply has the unknown type \(fields.type)")
        }
    }

    /// The bytes of a string, status or error reply, after checking its length and pointer.
    private static func payload(of fields: redisReply) throws -> [UInt8] {
        let length = fields.len
        guard (0...maximumLength).contains(length) else {
            throw UltraDictError(.corruptData, "a Redis reply claims a string of \(length) bytes")
        }
        guard length > 0 else { return [] }
        guard let start = fields.str else {
            throw UltraDictError(.corruptData, "a Redis reply claims a string of \(length) bytes but holds none")
        }
        return Array(UnsafeRawBufferPointer(start: start, count: length))
    }
}
