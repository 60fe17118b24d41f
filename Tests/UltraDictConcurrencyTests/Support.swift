#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import UltraDictTransport

/// A control block in a fresh segment of its own, unlinked when the object goes away.
final class ScratchControlBlock {
    let name: String
    let control: ControlBlock

    init() throws {
        name = SegmentName.random(prefix: "udlocktest_")
        control = ControlBlock(segment: try SharedMemoryStore().create(name: name, size: ControlLayout.size))
    }

    deinit { _ = try? SharedMemoryStore().unlink(name: name) }

    var words: LockWords { control.lockWords }

    /// Writes the lock words as another process would: byte 8, the pid at 4 and the identity at 320.
    func recordOwner(pid: Int32, identity: UInt64 = 0, byte: UInt8 = 1) {
        words.ownerIdentity.store(identity, ordering: .relaxed)
        words.ownerPID.store(UInt32(bitPattern: pid), ordering: .relaxed)
        words.lockByte.store(byte, ordering: .releasing)
    }

    /// The lock words as (byte, pid, identity).
    var recorded: (byte: UInt8, pid: Int32, identity: UInt64) {
        (words.lockByte.load(ordering: .acquiring), Int32(bitPattern: words.ownerPID.load(ordering: .acquiring)),
         words.ownerIdentity.load(ordering: .acquiring))
    }
}

/// The identity word the shared lock records for (`pid`, `startTime`).
func identity(pid: Int32, startTime: UInt64) -> UInt64 {
    (startTime & 0xFFFF_FFFF) << 32 | UInt64(UInt32(bitPattern: pid))
}

/// The CPU time the calling thread has used.
func threadCPUTime() -> Duration {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
}
