#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps `SIGPIPE` from killing the process when hiredis writes to a socket that the server
/// closed: hiredis calls `write`, which raises `SIGPIPE` there, and a library must not change the
/// process's signal dispositions. The write then fails with `EPIPE` and the command throws.
enum BrokenPipeSignal {
    /// Runs `body` (which calls hiredis) with `SIGPIPE` blocked in the calling thread, and
    /// discards a `SIGPIPE` that `body` raised before unblocking it: `pthread_sigmask`,
    /// `sigpending` and, only when one was raised, `sigtimedwait`. Costs about a microsecond. On
    /// Darwin, where the socket has `SO_NOSIGPIPE` (``ignore(onSocket:)``), it only runs `body`.
    static func suppressed<T>(_ body: () throws -> T) rethrows -> T {
        #if canImport(Glibc)
        var pipeOnly = sigset_t()
        sigemptyset(&pipeOnly)
        sigaddset(&pipeOnly, SIGPIPE)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &pipeOnly, &previous)
        // A SIGPIPE pending from before is not ours to discard.
        let pendingBefore = isPending()
        defer {
            if !pendingBefore && isPending() {
                var noWait = timespec()
                while sigtimedwait(&pipeOnly, nil, &noWait) == -1 && errno == EINTR {}
            }
            pthread_sigmask(SIG_SETMASK, &previous, nil)
        }
        #endif
        return try body()
    }

    /// Sets `SO_NOSIGPIPE` on `socket` where the platform has it (Darwin); does nothing elsewhere.
    static func ignore(onSocket socket: Int32) {
        #if canImport(Darwin)
        var on: Int32 = 1
        setsockopt(socket, SOL_SOCKET, SO_NOSIGPIPE, &on, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }

    #if canImport(Glibc)
    /// Whether a `SIGPIPE` waits for this thread or the process.
    private static func isPending() -> Bool {
        var pending = sigset_t()
        sigpending(&pending)
        return sigismember(&pending, SIGPIPE) == 1
    }
    #endif
}
