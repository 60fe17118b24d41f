#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import UltraDictCore

/// A directory of files, one per segment, mapped `MAP_SHARED`: the dictionary outlives every
/// process and a reboot (`Docs/FORMAT.md`, "The file store").
package struct FileStore: SegmentStore {
    package let directory: String
    /// Which syncs a handle makes.
    package let durability: UltraDictStore.Durability

    /// The store of the files in `directory`; a relative path is taken from the current
    /// directory now, once.
    package init(directory: String, durability: UltraDictStore.Durability) {
        self.directory = directory.hasPrefix("/") ? directory : FileStore.currentDirectory() + "/" + directory
        self.durability = durability
    }

    /// The current directory (`getcwd`), or `.` when it cannot be read.
    private static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        return getcwd(&buffer, buffer.count).map { String(cString: $0) } ?? "."
    }

    package func describe(_ name: String) -> String { "file '\(path(name))'" }

    package var isDurable: Bool { durability == .synchronous }

    package var isDurableAcrossRestarts: Bool { true }

    /// The file of the segment `name`.
    package func path(_ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// Calls `open(path, flags | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC, 0600)`; on `O_CREAT`
    /// first makes the directory (mode 0700) if it is missing, durably when the store is.
    package func openDescriptor(_ name: String, flags: Int32) throws(SystemCallError) -> Int32 {
        if flags & O_CREAT != 0, try system_mkdir_if_missing(directory, 0o700) {
            try synchronize(directory: parent(of: directory))
        }
        return try system_open(path(name), flags | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC, 0o600)
    }

    /// The directory that holds `path`.
    private func parent(of path: String) -> String {
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }

    /// Calls `ftruncate`, then reserves the first `reserved` bytes' blocks.
    package func allocate(_ fd: Int32, size: Int, reserving reserved: Int) throws(SystemCallError) {
        try system_ftruncate(fd, size)
        try system_posix_fallocate(fd, reserved)
    }

    /// Calls `posix_fallocate` on the segment's file, opened again by its name, so that the disk
    /// blocks are reserved now: a write into a mapped page the disk has no room for would
    /// otherwise kill the process with `SIGBUS`. A full disk fails here instead, with `ENOSPC`.
    /// Does nothing when the name now holds another file (the segment was unlinked).
    package func reserve(_ count: Int, of segment: MappedSegment) throws {
        let fd = try open(segment.name, O_RDWR)
        defer { system_close(fd) }
        do {
            guard try system_fstat(fd).identity == segment.identity else { return }
            try system_posix_fallocate(fd, min(count, segment.size))
        } catch {
            throw UltraDictError(.systemCall, "cannot reserve \(count) bytes of disk for \(describe(segment.name))", underlying: error)
        }
    }

    /// Calls `unlink(path)`, then syncs the directory when durable. A removal that does not
    /// reach the disk only leaves a file that the next removal or `ultradict clean` takes, so a
    /// failing sync there is not reported.
    package func removeName(_ name: String) throws(SystemCallError) {
        try system_unlink(path(name))
        try? synchronizeDirectory()
    }

    /// Calls `fsync` on the directory when the store is durable.
    package func synchronizeDirectory() throws(SystemCallError) {
        try synchronize(directory: directory)
    }

    /// Calls `fsync` on `directory` when the store is durable.
    private func synchronize(directory: String) throws(SystemCallError) {
        guard isDurable else { return }
        let fd = try system_open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
        defer { system_close(fd) }
        try system_fsync(fd)
    }
}
