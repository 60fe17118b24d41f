#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Readings of `CLOCK_MONOTONIC` in nanoseconds. Every process of the machine reads the same
/// clock, so a reader and a writer in two processes can agree on when to start.
enum MonotonicClock {
    /// Nanoseconds since an arbitrary point: `clock_gettime(CLOCK_MONOTONIC)`, a vDSO call of
    /// about 20–30 ns on Linux (``pairCost()`` measures it).
    @inline(__always)
    static func now() -> UInt64 { nanoseconds(of: CLOCK_MONOTONIC) }

    /// Spins (never sleeps) until `deadline`; returns the first reading at or after it.
    @discardableResult
    static func spin(until deadline: UInt64) -> UInt64 {
        var now = now()
        while now < deadline { now = self.now() }
        return now
    }

    /// The median difference of two back-to-back readings over a million pairs: what a figure
    /// timed between two readings includes besides the work timed.
    static func pairCost() -> UInt64 {
        var differences = [UInt64](repeating: 0, count: 1_000_000)
        for index in differences.indices {
            let start = now()
            differences[index] = now() - start
        }
        differences.sort()
        return differences[differences.count / 2]
    }
}

/// Readings of `CLOCK_THREAD_CPUTIME_ID` in nanoseconds: the CPU time the calling thread has
/// had. Against the wall time, it says how much of a run a process spent waiting for a CPU
/// (the machine busy with other work), which the figures would otherwise hide.
enum ThreadCPUClock {
    /// The calling thread's CPU time so far (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)`).
    static func now() -> UInt64 { nanoseconds(of: CLOCK_THREAD_CPUTIME_ID) }
}

/// Readings of `CLOCK_PROCESS_CPUTIME_ID`: the CPU time that all of this process's threads have had.
enum ProcessCPUClock {
    /// The process's CPU time so far, in seconds.
    static func seconds() -> Double { Double(nanoseconds(of: CLOCK_PROCESS_CPUTIME_ID)) / 1e9 }
}

/// The reading of `clock` (`clock_gettime`), in nanoseconds.
@inline(__always)
private func nanoseconds(of clock: clockid_t) -> UInt64 {
    var time = timespec()
    clock_gettime(clock, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}
