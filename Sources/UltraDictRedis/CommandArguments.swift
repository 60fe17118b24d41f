import UltraDictCore

/// The arguments of one command, laid out for hiredis's `redisCommandArgv` and
/// `redisAppendCommandArgv`: one buffer holding every argument's bytes, with their offsets and
/// lengths, so that arguments may hold any byte, NUL included.
struct CommandArguments {
    /// Every argument's bytes, one after the other, then one spare byte so that the buffer is never
    /// empty and every argument, even an empty one, has an address.
    private var bytes: [UInt8] = []
    /// Where each argument starts in ``bytes``.
    private var offsets: [Int] = []
    /// Each argument's length in bytes.
    private var lengths: [Int] = []

    /// Copies `arguments` into one buffer; throws `invalidArgument` when there are none.
    init(_ arguments: [[UInt8]]) throws {
        guard !arguments.isEmpty else {
            throw UltraDictError(.invalidArgument, "a Redis command needs at least its name")
        }
        bytes.reserveCapacity(arguments.reduce(1) { $0 + $1.count })
        offsets.reserveCapacity(arguments.count)
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            offsets.append(bytes.count)
            lengths.append(argument.count)
            bytes.append(contentsOf: argument)
        }
        bytes.append(0)
    }

    /// Calls `body` with the argument count, the array of argument pointers (`argv`) and the
    /// array of lengths (`argvlen`), valid only during the call.
    func withArgv<T>(_ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) throws -> T) rethrows -> T {
        try bytes.withUnsafeBytes { buffer in
            let base = buffer.baseAddress!.assumingMemoryBound(to: CChar.self)
            var pointers = offsets.map { Optional(UnsafePointer(base + $0)) }
            return try pointers.withUnsafeMutableBufferPointer { argv in
                try lengths.withUnsafeBufferPointer { argvlen in
                    try body(Int32(argv.count), argv.baseAddress!, argvlen.baseAddress!)
                }
            }
        }
    }
}
