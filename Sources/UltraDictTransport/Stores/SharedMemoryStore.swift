#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// POSIX shared memory: `shm_open("/NAME")`, which Linux keeps as the file `/dev/shm/NAME`.
/// Nothing is ever written to disk; the segments go when the machine restarts.
package struct SharedMemoryStore: SegmentStore {
    /// The store; every value is the same one.
    package init() {}

    package func describe(_ name: String) -> String { "shared memory '\(name)'" }

    package var directory: String { "/dev/shm" }

    package var isDurable: Bool { false }

    package var isDurableAcrossRestarts: Bool { false }

    /// Calls `shm_open("/" + name, flags | O_NONBLOCK, 0600)` (Linux adds `O_NOFOLLOW`).
    package func openDescriptor(_ name: String, flags: Int32) throws(SystemCallError) -> Int32 {
        try system_shm_open("/" + name, flags | O_NONBLOCK, 0o600)
    }

    /// Calls `ftruncate`: tmpfs spends memory only on the pages that are touched (and nothing
    /// is reserved, as Python reserves nothing).
    package func allocate(_ fd: Int32, size: Int, reserving reserved: Int) throws(SystemCallError) {
        try system_ftruncate(fd, size)
    }

    package func reserve(_ count: Int, of segment: MappedSegment) {}

    /// Calls `shm_unlink("/" + name)`.
    package func removeName(_ name: String) throws(SystemCallError) {
        try system_shm_unlink("/" + name)
    }

    package func synchronizeDirectory() throws(SystemCallError) {}
}
