#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import UltraDictCore

/// Segments in this process's memory only: anonymous files (`memfd_create`) that no other
/// process can name, gone when this process unlinks them or ends. The replica of a dictionary
/// kept on a server (``UltraDictStore/remote(_:)``) lives here, so that every handle of this
/// process reads it as it reads shared memory: two atomic loads when nothing is new.
///
/// Each namespace (one per server, say) has names of its own; stores of one namespace share
/// them, whatever value they were made from.
package struct ProcessMemoryStore: SegmentStore {
    /// The namespace: the names of stores with another one are other segments.
    package let namespace: String

    /// The store of `namespace`.
    package init(namespace: String) {
        self.namespace = namespace
    }

    package func describe(_ name: String) -> String { "process memory '\(name)' of \(namespace)" }

    /// Not a directory: the names are in this process's memory. ``names()`` lists them.
    package var directory: String { "" }

    package var isDurable: Bool { false }

    package var isDurableAcrossRestarts: Bool { false }

    /// Creates (`O_CREAT | O_EXCL`) an anonymous file under `name`, or opens the one there: a
    /// new descriptor of it either way. Throws `EEXIST` or `ENOENT` as `open` would.
    package func openDescriptor(_ name: String, flags: Int32) throws(SystemCallError) -> Int32 {
        let key = namespace + "\u{0}" + name
        pthread_mutex_lock(Self.mutex)
        defer { pthread_mutex_unlock(Self.mutex) }
        if let fd = Self.files[key] {
            if flags & O_EXCL != 0 { throw SystemCallError(call: "open", errno: EEXIST) }
            return try system_dup(fd)
        }
        guard flags & O_CREAT != 0 else { throw SystemCallError(call: "open", errno: ENOENT) }
        let fd = try Self.anonymousFile(name)
        Self.files[key] = fd
        do {
            return try system_dup(fd)
        } catch {
            Self.files[key] = nil
            system_close(fd)
            throw error
        }
    }

    /// Calls `ftruncate`: only the pages that are touched take memory.
    package func allocate(_ fd: Int32, size: Int, reserving reserved: Int) throws(SystemCallError) {
        try system_ftruncate(fd, size)
    }

    package func reserve(_ count: Int, of segment: MappedSegment) {}

    /// Forgets `name`; its memory goes when the last mapping of it does.
    package func removeName(_ name: String) throws(SystemCallError) {
        pthread_mutex_lock(Self.mutex)
        defer { pthread_mutex_unlock(Self.mutex) }
        guard let fd = Self.files.removeValue(forKey: namespace + "\u{0}" + name) else {
            throw SystemCallError(call: "unlink", errno: ENOENT)
        }
        system_close(fd)
    }

    package func synchronizeDirectory() throws(SystemCallError) {}

    /// The names of this namespace.
    package var names: [String] {
        pthread_mutex_lock(Self.mutex)
        defer { pthread_mutex_unlock(Self.mutex) }
        let prefix = namespace + "\u{0}"
        return Self.files.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    // MARK: The process's files

    /// Guards ``files``.
    nonisolated(unsafe) private static let mutex: UnsafeMutablePointer<pthread_mutex_t> = {
        let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        return mutex
    }()
    /// A descriptor of each file, by namespace and name (separated by a NUL).
    nonisolated(unsafe) private static var files: [String: Int32] = [:]

    /// A new anonymous file: `memfd_create` on Linux; elsewhere a POSIX shared memory object of
    /// a random name, unlinked at once.
    private static func anonymousFile(_ name: String) throws(SystemCallError) -> Int32 {
        #if os(Linux)
        return try system_memfd_create("ultradict:" + String(name.prefix(200)))
        #else
        let randomName = "/" + SegmentName.random(prefix: "udmem_")
        let fd = try system_shm_open(randomName, O_CREAT | O_EXCL | O_RDWR, 0o600)
        try? system_shm_unlink(randomName)
        return fd
        #endif
    }
}
