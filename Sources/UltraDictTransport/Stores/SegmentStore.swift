#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import UltraDictCore

/// Where a dictionary's segments live: named regions that are created, attached (mapped
/// `MAP_SHARED`), listed and unlinked (DESIGN §9).
///
/// A store supplies a few primitives (open a name, remove a name, list the names); this
/// extension builds the checked operations on them, so every store gives the same errors and
/// the same ownership rules. The update log uses a store only to create, attach, dump and
/// unlink (and a reader maps each new full dump), never to read records. Failures of the system calls below can be forced in tests
/// with `SystemCallFault`.
package protocol SegmentStore: Sendable {
    /// What messages call the segment `name`: `shared memory 'scores'`, `file '/data/scores'`.
    func describe(_ name: String) -> String
    /// The directory whose entries are the segments (`/dev/shm` for shared memory on Linux).
    var directory: String { get }
    /// Whether segments are written to disk (``MappedSegment/synchronize(_:)``) and new names
    /// made durable before the update log publishes what they hold.
    var isDurable: Bool { get }
    /// Whether the segments outlive a restart of the machine (files do, shared memory does
    /// not): then a dictionary is not unlinked by default when its creator closes it, and
    /// `ultradict clean` does not remove it for having no live creator.
    var isDurableAcrossRestarts: Bool { get }
    /// Opens the segment `name` with `open(2)`'s `flags` and mode 0600, never following a
    /// symbolic link and never waiting (a FIFO planted under a segment's name would block).
    func openDescriptor(_ name: String, flags: Int32) throws(SystemCallError) -> Int32
    /// Gives the new segment open as `fd` its `size` bytes, zero-filled, and reserves the disk
    /// blocks of the first `reserved` of them (``reserve(_:in:)``).
    func allocate(_ fd: Int32, size: Int, reserving reserved: Int) throws(SystemCallError)
    /// Reserves the disk blocks of the first `count` bytes of `segment` (of this store), so that
    /// writing them through the mapping cannot fail for want of space (which would kill the
    /// process with `SIGBUS`); nothing to do in memory. Throws `systemCall` (no space, say).
    func reserve(_ count: Int, of segment: MappedSegment) throws
    /// Removes the name `name`.
    func removeName(_ name: String) throws(SystemCallError)
    /// Makes the creation or removal of a name durable (the directory's `fsync`), when the store is.
    func synchronizeDirectory() throws(SystemCallError)
}

extension SegmentStore {
    /// Creates a new segment of `size` bytes (zero-filled), the disk blocks of the first
    /// `reserved` bytes (all by default) reserved; throws `alreadyExists` if the name is taken,
    /// `permissionDenied`, `tooManyOpenFiles` or `systemCall` (no space, say) otherwise.
    package func create(name: String, size: Int, reserving reserved: Int? = nil) throws -> MappedSegment {
        guard size > 0 else { throw UltraDictError(.invalidArgument, "segment '\(name)': size must be positive, got \(size)") }
        let fd: Int32
        do {
            fd = try openDescriptor(name, flags: O_CREAT | O_EXCL | O_RDWR)
        } catch where error.errno == EEXIST {
            throw UltraDictError(.alreadyExists, "\(describe(name)) already exists", underlying: error)
        } catch {
            throw openFailure(error, "cannot create \(describe(name))")
        }
        defer { system_close(fd) }
        do {
            try allocate(fd, size: size, reserving: min(reserved ?? size, size))
            let identity = try system_fstat(fd).identity
            let segment = MappedSegment(
                name: name, size: size, base: try system_mmap_shared(fd, size), owner: system_geteuid(), identity: identity, store: self
            )
            try synchronizeDirectory()
            return segment
        } catch {
            try? removeName(name)
            throw UltraDictError(.systemCall, "cannot size or map \(describe(name)) (\(size) bytes)", underlying: error)
        }
    }

    /// Maps an existing segment at its current size; throws `cannotAttach` if there is none,
    /// `permissionDenied` or `tooManyOpenFiles` when it cannot be opened for those reasons.
    ///
    /// - Parameters:
    ///   - minimumSize: the smallest size the caller can work with; a smaller segment
    ///     (truncated or foreign) throws `corruptSharedMemory` instead of being mapped.
    ///   - allowingForeignOwner: map a segment that another user owns (`fstat`'s `st_uid` is not
    ///     `geteuid()`); otherwise such a segment throws `foreignOwner` before it is mapped.
    ///   - requiredOwner: when set, the segment must belong to exactly this user (the owner of the
    ///     dictionary's control segment) whatever `allowingForeignOwner` says, or it throws
    ///     `foreignOwner`: a dictionary is all one user's segments.
    package func attach(
        name: String, minimumSize: Int = 1, allowingForeignOwner: Bool = false, requiredOwner: uid_t? = nil
    ) throws -> MappedSegment {
        let fd = try open(name, O_RDWR)
        defer { system_close(fd) }
        do {
            let (size, owner, isRegularFile, identity) = try system_fstat(fd)
            guard isRegularFile else {
                throw UltraDictError(.corruptSharedMemory, "\(describe(name)) is not a segment (a FIFO, a device or a directory)")
            }
            let user = system_geteuid()
            if let requiredOwner, owner != requiredOwner {
                throw UltraDictError(
                    .foreignOwner,
                    "\(describe(name)) is owned by uid \(owner), not by uid \(requiredOwner), the owner of its dictionary's control segment; a dictionary's segments all belong to one user"
                )
            }
            guard owner == user || allowingForeignOwner || requiredOwner != nil else {
                throw UltraDictError(
                    .foreignOwner,
                    "\(describe(name)) is owned by uid \(owner), not by this process's uid \(user); a process of that user can change what this one reads. Pass allowingForeignOwner: true (ultradict: --allow-foreign-owner) to attach it anyway"
                )
            }
            guard size >= max(minimumSize, 1) else {
                throw UltraDictError(.corruptSharedMemory, "\(describe(name)) has \(size) bytes, expected at least \(minimumSize)")
            }
            return MappedSegment(name: name, size: size, base: try system_mmap_shared(fd, size), owner: owner, identity: identity, store: self)
        } catch let error as SystemCallError {
            throw UltraDictError(.systemCall, "cannot map \(describe(name))", underlying: error)
        }
    }

    /// The user that owns the existing segment `name`; throws `cannotAttach` if there is none.
    package func owner(of name: String) throws -> uid_t {
        let fd = try open(name, O_RDONLY)
        defer { system_close(fd) }
        do {
            return try system_fstat(fd).owner
        } catch {
            throw UltraDictError(.systemCall, "cannot read the owner of \(describe(name))", underlying: error)
        }
    }

    /// Removes the name `name` if it is a segment (a regular file) of the user `owner`; returns
    /// false if it did not exist, belongs to another user or is not a segment (left in place).
    @discardableResult
    package func unlink(name: String, ifOwnedBy owner: uid_t) throws -> Bool {
        let fd: Int32
        do {
            fd = try open(name, O_RDONLY)
        } catch UltraDictError.cannotAttach {
            return false
        }
        defer { system_close(fd) }
        guard let file = try? system_fstat(fd), file.owner == owner, file.isRegularFile else { return false }
        return try unlink(name: name)
    }

    /// Removes the name `name`; returns false if it did not exist.
    @discardableResult
    package func unlink(name: String) throws -> Bool {
        do {
            try removeName(name)
            return true
        } catch where error.errno == ENOENT {
            return false
        } catch {
            throw UltraDictError(.systemCall, "cannot unlink \(describe(name))", underlying: error)
        }
    }

    /// Whether a segment named `name` exists.
    package func exists(name: String) -> Bool {
        guard let fd = try? openDescriptor(name, flags: O_RDONLY) else { return false }
        system_close(fd)
        return true
    }

    /// The names in the store's directory, unsorted; throws `systemCall` when it cannot be read.
    package func names() throws -> [String] {
        do {
            return try system_list_directory(directory)
        } catch {
            throw UltraDictError(.systemCall, "cannot list the segments in \(directory)", underlying: error)
        }
    }

    /// Opens the existing segment `name` with `flags` (`O_RDWR` or `O_RDONLY`).
    func open(_ name: String, _ flags: Int32) throws -> Int32 {
        do {
            return try openDescriptor(name, flags: flags)
        } catch where error.errno == ENOENT {
            throw UltraDictError(.cannotAttach, "\(describe(name)) does not exist", underlying: error)
        } catch {
            throw openFailure(error, "cannot open \(describe(name))")
        }
    }

    /// The error for an open that failed with `error`: its own code for a permission or a
    /// descriptor limit, which waiting does not cure, `systemCall` for the rest.
    private func openFailure(_ error: SystemCallError, _ what: String) -> UltraDictError {
        switch error.errno {
        case EACCES, EPERM:
            UltraDictError(.permissionDenied, "\(what): permission denied; the segment's mode or owner does not let user \(system_geteuid()) open it", underlying: error)
        case EMFILE, ENFILE:
            UltraDictError(.tooManyOpenFiles, "\(what): too many open files; close some handles or raise the limit (ulimit -n)", underlying: error)
        default:
            UltraDictError(.systemCall, what, underlying: error)
        }
    }
}
