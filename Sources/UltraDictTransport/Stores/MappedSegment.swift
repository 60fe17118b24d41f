#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import UltraDictCore

/// A named region of a ``SegmentStore``, mapped read-write and `MAP_SHARED` into this process.
///
/// The mapping lives as long as the object: `deinit` unmaps it. Unlinking removes the name (other
/// processes that mapped it keep their mapping).
package final class MappedSegment: @unchecked Sendable {
    /// The segment's name, as Python's `SharedMemory.name` shows it (no leading `/`).
    package let name: String
    /// The mapped size in bytes (the segment's size when it was mapped).
    package let size: Int
    /// The first mapped byte.
    package let base: UnsafeMutableRawPointer
    /// The user id that owns the segment (its creator's effective user).
    package let owner: uid_t
    /// The store the segment belongs to.
    package let store: any SegmentStore
    /// The file behind the mapping, as its device and inode: the same for every mapping of one
    /// segment, whatever name or path reached it, and different for another segment of the
    /// same name in another store, or made again after an unlink.
    package let identity: String

    init(name: String, size: Int, base: UnsafeMutableRawPointer, owner: uid_t, identity: String, store: any SegmentStore) {
        self.name = name
        self.size = size
        self.base = base
        self.owner = owner
        self.identity = identity
        self.store = store
    }

    deinit { system_munmap(base, size) }

    /// Writes the pages that hold bytes `range` to the store's disk and waits for it (`msync`
    /// with `MS_SYNC`); for shared memory it returns at once. Throws `systemCall` on an I/O error.
    package func synchronize(_ range: Range<Int>) throws {
        guard store.isDurable, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = range.lowerBound / page * page
        do {
            try system_msync(base + start, min(range.upperBound, size) - start)
        } catch {
            throw UltraDictError(.systemCall, "cannot write \(store.describe(name)) to disk", underlying: error)
        }
    }

    /// Writes the whole segment to disk (``synchronize(_:)``).
    package func synchronize() throws { try synchronize(0..<size) }
}
