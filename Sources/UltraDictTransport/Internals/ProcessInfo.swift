#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Atomics

/// Facts about processes that the lock and the control block record.
package enum ProcessIdentity {
    /// This process's pid and start time, cached; a forked child refreshes them.
    package static var current: (pid: Int32, startTime: UInt64) {
        let pid = cachedPID.load(ordering: .relaxed)
        if pid != 0 { return (pid, cachedStartTime.load(ordering: .relaxed)) }
        return refresh()
    }

    /// This process's pid.
    package static var currentPID: Int32 { current.pid }

    private static let cachedPID = ManagedAtomic<Int32>(0)
    private static let cachedStartTime = ManagedAtomic<UInt64>(0)
    private static let registerForkHandler: Void = {
        pthread_atfork(nil, nil) { ProcessIdentity.cachedPID.store(0, ordering: .relaxed) }
    }()

    private static func refresh() -> (pid: Int32, startTime: UInt64) {
        registerForkHandler
        let pid = system_getpid()
        let startTime = startTime(of: pid) ?? 0
        cachedStartTime.store(startTime, ordering: .relaxed)
        cachedPID.store(pid, ordering: .relaxed)
        return (pid, startTime)
    }

    /// When the process `pid` started, in clock ticks since boot (field 22 of `/proc/PID/stat`),
    /// or `nil` when it does not exist or cannot be read. Together with the pid it names a process
    /// uniquely: a reused pid has a later start time.
    package static func startTime(of pid: Int32) -> UInt64? {
        processStat(pid)?.startTime
    }

    /// Whether the process that was recorded as (`pid`, `startTime`) is still running; a zombie
    /// is dead. A start time of 0 means unknown (a Python owner): then only the pid is checked.
    /// Only the bits of `startTimeMask` are compared, for a start time recorded truncated (the
    /// shared lock keeps its low 32 bits).
    package static func isAlive(pid: Int32, startTime: UInt64, startTimeMask: UInt64 = .max) -> Bool {
        guard pid > 0, system_process_exists(pid) else { return false }
        guard let stat = processStat(pid) else { return true }
        if stat.state == UInt8(ascii: "Z") || stat.state == UInt8(ascii: "X") { return false }
        return startTime & startTimeMask == 0 || stat.startTime & startTimeMask == startTime & startTimeMask
    }

    /// The state letter (field 3) and start time (field 22) of `/proc/PID/stat`.
    private static func processStat(_ pid: Int32) -> (state: UInt8, startTime: UInt64)? {
        #if os(Linux)
        guard pid > 0, let stat = readSmallFile("/proc/\(pid)/stat") else { return nil }
        // The command name (field 2) is in parentheses and may contain spaces: skip past its end.
        guard let close = stat.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = stat[(close + 1)...].split(separator: UInt8(ascii: " "))
        // fields[0] is field 3 (state), so field 22 is fields[19].
        guard fields.count > 19, let state = fields[0].first,
              let startTime = UInt64(String(decoding: fields[19], as: UTF8.self)) else { return nil }
        return (state, startTime)
        #else
        return nil
        #endif
    }

    /// The first kilobyte of the file at `path` (a `/proc` file, whose content one read
    /// returns whole), or `nil` when it cannot be read.
    private static func readSmallFile(_ path: String) -> [UInt8]? {
        guard let fd = try? system_open(path, O_RDONLY) else { return nil }
        defer { system_close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        guard let count = try? buffer.withUnsafeMutableBytes({ try system_read(fd, into: $0) }), count > 0 else { return nil }
        return Array(buffer[..<count])
    }
}
