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

/// Calls `memfd_create(name, MFD_CLOEXEC)` (Linux; elsewhere it throws `ENOSYS`).
func system_memfd_create(_ name: String) throws(SystemCallError) -> Int32 {
    try retryingInterrupts("memfd_create") { cud_memfd_create(name) }
}

/// Calls `dup(fd)`.
func system_dup(_ fd: Int32) throws(SystemCallError) -> Int32 {
    try retryingInterrupts("dup") { dup(fd) }
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

/// Calls `mkdir(path, mode)`; returns false when the directory existed already.
func system_mkdir_if_missing(_ path: String, _ mode: mode_t) throws(SystemCallError) -> Bool {
    do {
        _ = try retryingInterrupts("mkdir") { mkdir(path, mode) }
        return true
    } catch where error.errno == EEXIST {
        return false
    }
}

/// Calls `fsync(fd)`; on Darwin `fcntl(fd, F_FULLFSYNC)`, which also flushes the drive's cache.
func system_fsync(_ fd: Int32) throws(SystemCallError) {
    #if canImport(Darwin)
    _ = try retryingInterrupts("fsync") { fcntl(fd, F_FULLFSYNC) }
    #else
    _ = try retryingInterrupts("fsync") { fsync(fd) }
    #endif
}

/// Calls `msync(address, count, MS_SYNC)`.
func system_msync(_ address: UnsafeMutableRawPointer, _ count: Int) throws(SystemCallError) {
    _ = try retryingInterrupts("msync") { msync(address, count, MS_SYNC) }
}

/// Calls `posix_fallocate(fd, 0, size)`, which returns its error instead of setting errno.
/// Darwin has none: there the blocks are not reserved, and a full disk can still fail a write
/// into the mapping later.
func system_posix_fallocate(_ fd: Int32, _ size: Int) throws(SystemCallError) {
    #if canImport(Glibc)
    _ = try retryingInterrupts("posix_fallocate") {
        let result = posix_fallocate(fd, 0, off_t(size))
        if result != 0 { errno = result }
        return result == 0 ? 0 : -1
    }
    #endif
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

/// Calls `fstat(fd)` and returns the file's size in bytes, its owner's user id, whether it is
/// a regular file (as every segment is), and its identity: the device and inode, as text.
func system_fstat(_ fd: Int32) throws(SystemCallError) -> (size: Int, owner: uid_t, isRegularFile: Bool, identity: String) {
    var info = stat()
    _ = try retryingInterrupts("fstat") { fstat(fd, &info) }
    return (Int(info.st_size), info.st_uid, info.st_mode & S_IFMT == S_IFREG, "\(info.st_dev):\(info.st_ino)")
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

/// Calls `futex(word, FUTEX_WAIT_BITSET, expected, timeout, bitset)` (shared) through the C
/// shim: sleeps while `word` holds `expected`, at most `nanoseconds` (a negative time is none),
/// as a sleeper of the kinds in `bitset`, and says how the sleep ended. Every end is normal (a
/// signal counts as the timeout), so nothing is thrown or retried. Without futexes (Darwin) it
/// sleeps at most 1 ms.
func system_futex_wait(_ word: UnsafeMutableRawPointer, _ expected: UInt32, nanoseconds: Int64, bitset: UInt32) -> WakeWord.SleepEnd {
    let result = SystemCallFault.forcedErrno(for: "futex")
        ?? cud_futex_wait(word.assumingMemoryBound(to: UInt32.self), expected, nanoseconds, bitset)
    switch result {
    case 0: return .woken
    case EAGAIN: return .wordChanged
    default: return .timedOut
    }
}

/// Calls `futex(word, FUTEX_WAKE_BITSET, count, bitset)` (shared) through the C shim: wakes at
/// most `count` sleepers on `word` whose bitset shares a bit with `bitset`, and returns how many
/// it woke. A failure (only `EFAULT`/`EINVAL`, which mean a bug) counts as none woken, after an
/// assertion: waiters wake within their slice anyway.
@discardableResult
func system_futex_wake(_ word: UnsafeMutableRawPointer, count: Int32, bitset: UInt32) -> Int32 {
    if SystemCallFault.forcedErrno(for: "futex") != nil { return 0 }
    let result = cud_futex_wake(word.assumingMemoryBound(to: UInt32.self), count, bitset)
    assert(result >= 0, "futex wake failed: errno \(-result)")
    return max(result, 0)
}
