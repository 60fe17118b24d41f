#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import UltraDictCore

/// A named POSIX shared-memory segment, mapped read-write into this process.
///
/// The mapping lives as long as the object: `deinit` unmaps it. Unlinking removes the name (other
/// processes that mapped it keep their mapping). Segments are created with mode 0600.
package final class SharedMemorySegment: @unchecked Sendable {
    /// The segment's name without the leading `/`, as Python's `SharedMemory.name` shows it.
    package let name: String
    /// The mapped size in bytes (the segment's size when it was mapped).
    package let size: Int
    /// The first mapped byte.
    package let base: UnsafeMutableRawPointer
    /// The user id that owns the segment (its creator's effective user).
    package let owner: uid_t

    private init(name: String, size: Int, base: UnsafeMutableRawPointer, owner: uid_t) {
        self.name = name
        self.size = size
        self.base = base
        self.owner = owner
    }

    deinit { system_munmap(base, size) }

    /// Creates a new segment of `size` bytes (zero-filled); throws `alreadyExists` if the name is
    /// taken, `permissionDenied` or `tooManyOpenFiles` when it cannot be opened for those reasons.
    package static func create(name: String, size: Int) throws -> SharedMemorySegment {
        guard size > 0 else { throw UltraDictError(.invalidArgument, "segment '\(name)': size must be positive, got \(size)") }
        let fd: Int32
        do {
            fd = try system_shm_open(posixName(name), O_CREAT | O_EXCL | O_RDWR, 0o600)
        } catch where error.errno == EEXIST {
            throw UltraDictError(.alreadyExists, "shared memory '\(name)' already exists", underlying: error)
        } catch {
            throw openFailure(error, "cannot create shared memory '\(name)'")
        }
        defer { system_close(fd) }
        do {
            try system_ftruncate(fd, size)
            return SharedMemorySegment(name: name, size: size, base: try system_mmap_shared(fd, size), owner: system_geteuid())
        } catch {
            try? system_shm_unlink(posixName(name))
            throw UltraDictError(.systemCall, "cannot size or map shared memory '\(name)' (\(size) bytes)", underlying: error)
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
    package static func attach(
        name: String, minimumSize: Int = 1, allowingForeignOwner: Bool = false, requiredOwner: uid_t? = nil
    ) throws -> SharedMemorySegment {
        let fd = try open(name, O_RDWR)
        defer { system_close(fd) }
        do {
            let (size, owner, isRegularFile) = try system_fstat(fd)
            guard isRegularFile else {
                throw UltraDictError(.corruptSharedMemory, "'\(name)' in the shared-memory directory is not a shared-memory segment (a FIFO, a device or a directory)")
            }
            let user = system_geteuid()
            if let requiredOwner, owner != requiredOwner {
                throw UltraDictError(
                    .foreignOwner,
                    "shared memory '\(name)' is owned by uid \(owner), not by uid \(requiredOwner), the owner of its dictionary's control segment; a dictionary's segments all belong to one user"
                )
            }
            guard owner == user || allowingForeignOwner || requiredOwner != nil else {
                throw UltraDictError(
                    .foreignOwner,
                    "shared memory '\(name)' is owned by uid \(owner), not by this process's uid \(user); a process of that user can change what this one reads. Pass allowingForeignOwner: true (ultradict: --allow-foreign-owner) to attach it anyway"
                )
            }
            guard size >= max(minimumSize, 1) else {
                throw UltraDictError(.corruptSharedMemory, "shared memory '\(name)' has \(size) bytes, expected at least \(minimumSize)")
            }
            return SharedMemorySegment(name: name, size: size, base: try system_mmap_shared(fd, size), owner: owner)
        } catch let error as SystemCallError {
            throw UltraDictError(.systemCall, "cannot map shared memory '\(name)'", underlying: error)
        }
    }

    /// Opens the existing segment `name` with `flags` (`O_RDWR` or `O_RDONLY`), never waiting:
    /// `/dev/shm` is writable by every user, and a FIFO planted under a segment's name would
    /// otherwise block the open forever.
    private static func open(_ name: String, _ flags: Int32) throws -> Int32 {
        do {
            return try system_shm_open(posixName(name), flags | O_NONBLOCK, 0o600)
        } catch where error.errno == ENOENT {
            throw UltraDictError(.cannotAttach, "shared memory '\(name)' does not exist", underlying: error)
        } catch {
            throw openFailure(error, "cannot open shared memory '\(name)'")
        }
    }

    /// The user that owns the existing segment `name`; throws `cannotAttach` if there is none.
    package static func owner(of name: String) throws -> uid_t {
        let fd = try open(name, O_RDONLY)
        defer { system_close(fd) }
        do {
            return try system_fstat(fd).owner
        } catch {
            throw UltraDictError(.systemCall, "cannot read the owner of shared memory '\(name)'", underlying: error)
        }
    }

    /// Removes the name `name` if the segment belongs to the user `owner`; returns false if it
    /// did not exist or belongs to another user (left in place).
    @discardableResult
    package static func unlink(name: String, ifOwnedBy owner: uid_t) throws -> Bool {
        do {
            return try self.owner(of: name) == owner ? try unlink(name: name) : false
        } catch UltraDictError.cannotAttach {
            return false
        }
    }

    /// Removes the name `name`; returns false if it did not exist.
    @discardableResult
    package static func unlink(name: String) throws -> Bool {
        do {
            try system_shm_unlink(posixName(name))
            return true
        } catch where error.errno == ENOENT {
            return false
        } catch {
            throw UltraDictError(.systemCall, "cannot unlink shared memory '\(name)'", underlying: error)
        }
    }

    /// Whether a segment named `name` exists.
    package static func exists(name: String) -> Bool {
        guard let fd = try? system_shm_open(posixName(name), O_RDONLY | O_NONBLOCK, 0o600) else { return false }
        system_close(fd)
        return true
    }

    private static func posixName(_ name: String) -> String { "/" + name }

    /// The error for an `shm_open` that failed with `error`: its own code for a permission or a
    /// descriptor limit, which waiting does not cure, `systemCall` for the rest.
    private static func openFailure(_ error: SystemCallError, _ what: String) -> UltraDictError {
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

/// The rules for a dictionary's name, checked before any segment is touched.
package enum SegmentName {
    /// The longest dictionary name in UTF-8 bytes: the longest suffix (`_register`) must still
    /// fit the 255-byte name limits of `/dev/shm` and of the control block's dump-name field.
    package static let maximumLength = 240

    /// Throws `invalidArgument` unless `name` is 1 to ``maximumLength`` bytes with no `/` or NUL.
    package static func validate(_ name: String) throws {
        let bytes = name.utf8
        guard !bytes.isEmpty, bytes.count <= maximumLength else {
            throw UltraDictError(.invalidArgument, "a dictionary name must be 1 to \(maximumLength) UTF-8 bytes, got \(bytes.count)")
        }
        guard !bytes.contains(UInt8(ascii: "/")), !bytes.contains(0), name != ".", name != ".." else {
            throw UltraDictError(.invalidArgument, "a dictionary name must not contain '/' or NUL, or be '.' or '..': \(name.debugDescription)")
        }
    }

    /// Whether `name` has the shape of a dynamic full dump's segment, `psm_` and 8 lowercase hex
    /// digits, as Python's `SharedMemory` and this package name them.
    package static func isDumpName(_ name: String) -> Bool {
        isRandomName(name, prefix: "psm_", digits: 8)
    }

    /// Whether `name` is `prefix` followed by exactly `digits` lowercase hex digits, the shape of
    /// ``random(prefix:digits:)``'s names.
    package static func isRandomName(_ name: String, prefix: String, digits: Int) -> Bool {
        guard name.hasPrefix(prefix) else { return false }
        let suffix = name.utf8.dropFirst(prefix.utf8.count)
        return suffix.count == digits && suffix.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }

    /// A fresh random name: `prefix` and `digits` (at most 16) lowercase hex digits, such as
    /// `psm_1a2b3c4d` (as Python's `SharedMemory` makes).
    package static func random(prefix: String = "psm_", digits: Int = 8) -> String {
        var generator = SystemRandomNumberGenerator()
        let value = UInt64.random(in: .min ... .max, using: &generator) >> (64 - 4 * digits)
        let hex = String(value, radix: 16)
        return prefix + String(repeating: "0", count: digits - hex.count) + hex
    }
}
