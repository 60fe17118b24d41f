#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Time in plain nanoseconds, for a waiter that reads the clock after every slice: on a virtual
// machine an idle slice costs mostly the code it touches, and `ContinuousClock` and `Duration`
// arithmetic (128-bit) touch more of it than one `clock_gettime`.

/// Nanoseconds since an arbitrary point, on the clock that `ContinuousClock` reads, which keeps
/// counting while the machine is suspended (`CLOCK_BOOTTIME` on Linux, `CLOCK_MONOTONIC`, which
/// counts sleep there too, elsewhere).
package func continuousNanoseconds() -> Int64 {
    var now = timespec()
    #if os(Linux)
    clock_gettime(CLOCK_BOOTTIME, &now)
    #else
    clock_gettime(CLOCK_MONOTONIC, &now)
    #endif
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

extension Duration {
    /// The duration in whole nanoseconds (rounded towards zero), `Int64.max` or `Int64.min` for
    /// one too long to count so.
    var saturatingNanoseconds: Int64 {
        // Compared first: `components` traps when the seconds do not fit in an `Int64`.
        if self >= .nanoseconds(Int64.max) { return .max }
        if self <= .nanoseconds(Int64.min) { return .min }
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
