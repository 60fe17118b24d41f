#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CUltraDictShims
import UltraDictCore

/// A failed system call: which call, and the errno it left.
public struct SystemCallError: Error, Sendable, CustomStringConvertible {
    /// The C function that failed, such as `"shm_open"`.
    public let call: String
    /// The errno value it set.
    public let errno: Int32

    /// `call: strerror text (errno N)`, such as `shm_open: No such file or directory (errno 2)`.
    public var description: String { "\(call): \(String(cString: strerror(errno))) (errno \(errno))" }
}

// Thin wrappers: `system_foo` calls `foo`, retries EINTR, and throws `SystemCallError`. Each
// consults `SystemCallFault` first, so that tests can force any errno on any of them.

@inline(__always)
private func retryingInterrupts<T: FixedWidthInteger>(_ call: String, _ body: () -> T) throws(SystemCallError) -> T {
    while true {
        let forced = SystemCallFault.forcedErrno(for: call)
        let result = forced == nil ? body() : -1
        if result != -1 { return result }
        let code = forced ?? errno
        if code != EINTR { throw SystemCallError(call: call, errno: code) }
    }
}

/// Calls `shm_open(name, flags, mode)`.
func system_shm_open(_ name: String, _ flags: Int32, _ mode: mode_t) throws(SystemCallError) -> Int32 {
    try retryingInterrupts("shm_open") { cud_shm_open(name, flags, mode) }
}

/// Calls `shm_unlink(name)`.
func system_shm_unlink(_ name: String) throws(SystemCallError) {
    _ = try retryingInterrupts("shm_unlink") { shm_unlink(name) }
}

/// Calls `open(path, flags, mode)`.
func system_open(_ path: String, _ flags: Int32, _ mode: mode_t = 0) throws(SystemCallError) -> Int32 {
    try retryingInterrupts("open") { open(path, flags, mode) }
}

/// Calls `unlink(path)`.
func system_unlink(_ path: String) throws(SystemCallError) {
    _ = try retryingInterrupts("unlink") { unlink(path) }
}

/// Calls `mkdir(path, mode)`; a directory that exists already is no error.
func system_mkdir_if_missing(_ path: String, _ mode: mode_t) throws(SystemCallError) {
    do {
        _ = try retryingInterrupts("mkdir") { mkdir(path, mode) }
    } catch where error.errno == EEXIST {
        return
    }
}

/// Calls `fsync(fd)`.
func system_fsync(_ fd: Int32) throws(SystemCallError) {
    _ = try retryingInterrupts("fsync") { fsync(fd) }
}

/// Calls `msync(address, count, MS_SYNC)`.
func system_msync(_ address: UnsafeMutableRawPointer, _ count: Int) throws(SystemCallError) {
    _ = try retryingInterrupts("msync") { msync(address, count, MS_SYNC) }
}

/// Calls `posix_fallocate(fd, 0, size)`, which returns its error instead of setting errno.
func system_posix_fallocate(_ fd: Int32, _ size: Int) throws(SystemCallError) {
    _ = try retryingInterrupts("posix_fallocate") {
        let result = posix_fallocate(fd, 0, off_t(size))
        if result != 0 { errno = result }
        return result == 0 ? 0 : -1
    }
}

/// Calls `opendir(path)` and `readdir` until the end: the names of the entries but `.` and `..`.
func system_list_directory(_ path: String) throws(SystemCallError) -> [String] {
    if let forced = SystemCallFault.forcedErrno(for: "opendir") { throw SystemCallError(call: "opendir", errno: forced) }
    guard let directory = opendir(path) else { throw SystemCallError(call: "opendir", errno: errno) }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// Calls `read(fd, buffer, count)` once; returns the bytes read, 0 at the end of the file.
func system_read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemCallError) -> Int {
    try retryingInterrupts("read") { read(fd, buffer.baseAddress, buffer.count) }
}

/// Calls `ftruncate(fd, size)`.
func system_ftruncate(_ fd: Int32, _ size: Int) throws(SystemCallError) {
    _ = try retryingInterrupts("ftruncate") { ftruncate(fd, off_t(size)) }
}

/// Calls `fstat(fd)` and returns the file's size in bytes, its owner's user id, and whether it
/// is a regular file (as every shared-memory segment is).
func system_fstat(_ fd: Int32) throws(SystemCallError) -> (size: Int, owner: uid_t, isRegularFile: Bool) {
    var info = stat()
    _ = try retryingInterrupts("fstat") { fstat(fd, &info) }
    return (Int(info.st_size), info.st_uid, info.st_mode & S_IFMT == S_IFREG)
}

/// Calls `mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)`.
func system_mmap_shared(_ fd: Int32, _ size: Int) throws(SystemCallError) -> UnsafeMutableRawPointer {
    if let forced = SystemCallFault.forcedErrno(for: "mmap") { throw SystemCallError(call: "mmap", errno: forced) }
    let address = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
    guard let address, address != UnsafeMutableRawPointer(bitPattern: -1) else {
        throw SystemCallError(call: "mmap", errno: errno)
    }
    return address
}

/// Calls `munmap(address, size)`; a failure here means a bug, so it is ignored after an assertion.
func system_munmap(_ address: UnsafeMutableRawPointer, _ size: Int) {
    let result = munmap(address, size)
    assert(result == 0, "munmap failed: errno \(errno)")
}

/// Calls `close(fd)`; EINTR is not retried (the descriptor is released either way on Linux).
func system_close(_ fd: Int32) {
    _ = close(fd)
}

/// Calls `getpid()`.
func system_getpid() -> Int32 { getpid() }

/// Calls `geteuid()`.
func system_geteuid() -> uid_t { geteuid() }

/// Calls `kill(pid, 0)`: true when a process with that pid exists (or exists but is not ours).
func system_process_exists(_ pid: Int32) -> Bool {
    kill(pid, 0) == 0 || errno == EPERM
}
