#if canImport(Glibc)
import Glibc
#endif

/// Pinning this process to one CPU (`sched_setaffinity`, Linux only), so that a reader and a
/// writer in two processes each keep a CPU of their own.
enum CPUAffinity {
    /// Restricts the calling process to CPU `cpu` (0-based); throws if the CPU does not exist,
    /// the call is refused, or the platform has no `sched_setaffinity`.
    static func pin(toCPU cpu: Int) throws {
        #if canImport(Glibc)
        var set = cpu_set_t()
        guard cpu >= 0, cpu < MemoryLayout<cpu_set_t>.size * 8 else {
            throw BenchmarkFailure("CPU \(cpu) is outside the affinity mask")
        }
        // `CPU_SET` is a macro: set bit `cpu` of the mask's array of words by hand.
        withUnsafeMutableBytes(of: &set) { bytes in
            bytes.bindMemory(to: UInt.self)[cpu / UInt.bitWidth] |= 1 << (cpu % UInt.bitWidth)
        }
        guard let setAffinity else { throw BenchmarkFailure("this C library has no sched_setaffinity") }
        guard setAffinity(0, MemoryLayout<cpu_set_t>.size, &set) == 0 else {
            throw BenchmarkFailure("sched_setaffinity to CPU \(cpu) failed: \(String(cString: strerror(errno)))")
        }
        #else
        throw BenchmarkFailure("pinning to a CPU needs Linux's sched_setaffinity")
        #endif
    }

    #if canImport(Glibc)
    /// glibc's `sched_setaffinity`, which Swift's Glibc module leaves out (`<sched.h>` declares
    /// it only under `_GNU_SOURCE`): looked up by name in the loaded libraries.
    private static let setAffinity = dlsym(nil, "sched_setaffinity").map {
        unsafeBitCast($0, to: (@convention(c) (pid_t, Int, UnsafeRawPointer) -> Int32).self)
    }
    #endif
}
