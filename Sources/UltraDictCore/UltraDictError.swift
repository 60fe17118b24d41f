/// The one error type of UltraDict: an extensible code, a message, and the underlying cause.
///
/// Match on the code with pattern matching: `catch UltraDictError.alreadyExists { … }`.
public struct UltraDictError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. New codes may be added; switch with a `default` case.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name, as printed.
        public let name: String

        /// Creates a code; library authors may define their own.
        public init(_ name: String) { self.name = name }

        /// The code's name, such as `alreadyExists`.
        public var description: String { name }

        /// Matches an error against a code, so that `catch UltraDictError.alreadyExists` works.
        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? UltraDictError)?.code == code
        }

        /// A segment or dictionary that was to be created exists already.
        public static let alreadyExists = Code("alreadyExists")
        /// A segment or dictionary that was to be attached does not exist or cannot be opened.
        public static let cannotAttach = Code("cannotAttach")
        /// The dictionary was closed; it can no longer be read or written.
        public static let alreadyClosed = Code("alreadyClosed")
        /// Attaching with options (lock kind, serializer, recursion) other than the creator's.
        public static let parameterMismatch = Code("parameterMismatch")
        /// Shared memory holds bytes that break the format: a bad length, offset, name or marker.
        public static let corruptSharedMemory = Code("corruptSharedMemory")
        /// A serializer could not encode a value or decode bytes.
        public static let serialization = Code("serialization")
        /// A stored value does not have the type the caller asked for.
        public static let typeMismatch = Code("typeMismatch")
        /// A full dump does not fit its static memory (`fullDumpSize`).
        public static let fullDumpMemoryFull = Code("fullDumpMemoryFull")
        /// The lock could not be acquired within the timeout.
        public static let lockTimeout = Code("lockTimeout")
        /// The lock was taken away from its owner, or released by a process that does not own it.
        public static let lockStolen = Code("lockStolen")
        /// An argument is out of range or malformed (a name, a size).
        public static let invalidArgument = Code("invalidArgument")
        /// A system call failed; ``UltraDictError/underlying`` holds the errno.
        public static let systemCall = Code("systemCall")
        /// A segment exists but this process may not open it (`EACCES`, `EPERM`): its mode or
        /// owner does not let this user in.
        public static let permissionDenied = Code("permissionDenied")
        /// This process (`EMFILE`) or the system (`ENFILE`) has as many files open as it may; close
        /// some handles or raise the limit (`ulimit -n`).
        public static let tooManyOpenFiles = Code("tooManyOpenFiles")
        /// A segment to attach belongs to another user than this process's effective user, and
        /// the caller did not opt in with `allowingForeignOwner`.
        public static let foreignOwner = Code("foreignOwner")
        /// The Redis server could not be reached, or a command timed out or failed on the
        /// connection; nothing was applied locally (whether the server applied a command it was
        /// sent is unknown).
        public static let connection = Code("connection")
        /// The Redis server answered a command with an error (`ERR`, `WRONGTYPE`, `NOSCRIPT`,
        /// `WRONGPASS`, ...); the message quotes it.
        public static let server = Code("server")
        /// Data from outside this process breaks the format: a Redis key holds what UltraDict
        /// does not write there, or a reply has a shape or a length its command cannot produce.
        public static let corruptData = Code("corruptData")
    }

    /// What kind of failure this is.
    public let code: Code
    /// A sentence for a human: what failed and with which values.
    public let message: String
    /// The error that caused this one, if any: for example a `SystemCallError` (module
    /// `UltraDictTransport`) naming the failed C call and its errno.
    public let underlying: (any Error & Sendable)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// `UltraDictError.<code>: <message>`, then the underlying error in parentheses, if any.
    public var description: String {
        var text = "UltraDictError.\(code): \(message)"
        if let underlying { text += " (\(underlying))" }
        return text
    }

    /// An error with code ``Code/alreadyExists``, for pattern matching.
    public static let alreadyExists = Code.alreadyExists
    /// An error with code ``Code/cannotAttach``, for pattern matching.
    public static let cannotAttach = Code.cannotAttach
    /// An error with code ``Code/alreadyClosed``, for pattern matching.
    public static let alreadyClosed = Code.alreadyClosed
    /// An error with code ``Code/parameterMismatch``, for pattern matching.
    public static let parameterMismatch = Code.parameterMismatch
    /// An error with code ``Code/corruptSharedMemory``, for pattern matching.
    public static let corruptSharedMemory = Code.corruptSharedMemory
    /// An error with code ``Code/serialization``, for pattern matching.
    public static let serialization = Code.serialization
    /// An error with code ``Code/typeMismatch``, for pattern matching.
    public static let typeMismatch = Code.typeMismatch
    /// An error with code ``Code/fullDumpMemoryFull``, for pattern matching.
    public static let fullDumpMemoryFull = Code.fullDumpMemoryFull
    /// An error with code ``Code/lockTimeout``, for pattern matching.
    public static let lockTimeout = Code.lockTimeout
    /// An error with code ``Code/lockStolen``, for pattern matching.
    public static let lockStolen = Code.lockStolen
    /// An error with code ``Code/invalidArgument``, for pattern matching.
    public static let invalidArgument = Code.invalidArgument
    /// An error with code ``Code/systemCall``, for pattern matching.
    public static let systemCall = Code.systemCall
    /// An error with code ``Code/permissionDenied``, for pattern matching.
    public static let permissionDenied = Code.permissionDenied
    /// An error with code ``Code/tooManyOpenFiles``, for pattern matching.
    public static let tooManyOpenFiles = Code.tooManyOpenFiles
    /// An error with code ``Code/foreignOwner``, for pattern matching.
    public static let foreignOwner = Code.foreignOwner
    /// An error with code ``Code/connection``, for pattern matching.
    public static let connection = Code.connection
    /// An error with code ``Code/server``, for pattern matching.
    public static let server = Code.server
    /// An error with code ``Code/corruptData``, for pattern matching.
    public static let corruptData = Code.corruptData
}
