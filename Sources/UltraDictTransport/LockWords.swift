import Atomics

/// The lock words of a dictionary's control block: what a `SharedMemoryLock` of kind
/// `shared` builds on.
///
/// They are Python UltraDict 0.0.6's lock words, so a lock that keeps their protocol excludes
/// Python processes too (`Docs/FORMAT.md`, "The shared lock"):
/// - ``lockByte`` (u8 at byte 8) is 1 while the lock is held; a process takes it with an atomic
///   ``LockWord/exchange(_:ordering:)`` of 1 that returns 0, and frees it with a releasing store of 0.
/// - ``ownerPID`` (u32 at byte 4) names the holder once it took the byte, 0 when free; a waiter
///   that takes the lock over from a dead owner does so with a compare-exchange of it.
/// - ``ownerIdentity`` (u64 at byte 320, this package's) adds the holder's start time, so that
///   a reused pid is never taken for the owner; see ``LockOwner``. Python never writes it.
///
/// The words hold the control block's mapping alive as long as any of them is kept.
public struct LockWords: Sendable {
    /// u32 at byte 4: the owner's pid, 0 when free.
    public let ownerPID: LockWord<UInt32>
    /// u8 at byte 8: 1 while held, 0 when free.
    public let lockByte: LockWord<UInt8>
    /// u64 at byte 320: the owner's ``LockOwner/identity``, 0 when free or unknown.
    public let ownerIdentity: LockWord<UInt64>

    /// Which dictionary the words are in, as the control segment's file (device and inode):
    /// the key under which the locks of one dictionary in this process share one mutex, so
    /// that a dictionary of the same name in another store has a lock of its own.
    package var dictionaryIdentity: String { ownerPID.control.segment.identity }

    /// The control block's wake word, on which lock waiters sleep (``WakeWord/Waiter/lock``) and
    /// which a release wakes; valid while these words are kept.
    package var wake: WakeWord { ownerPID.control.wake }

    package init(ownerPID: LockWord<UInt32>, lockByte: LockWord<UInt8>, ownerIdentity: LockWord<UInt64>) {
        self.ownerPID = ownerPID
        self.lockByte = lockByte
        self.ownerIdentity = ownerIdentity
    }

    /// The owner the words record now: the pid at 4, with the start time from the identity word
    /// when that word names the same pid (it is written after the pid and cleared before it,
    /// and a Python owner never writes it, so it can be stale). Two acquiring loads.
    public func recordedOwner() -> LockOwner {
        let pid = ownerPID.load(ordering: .acquiring)
        let identity = ownerIdentity.load(ordering: .acquiring)
        let vouched = pid != 0 && UInt32(truncatingIfNeeded: identity) == pid
        return LockOwner(pid: pid, startTime: vouched ? UInt32(truncatingIfNeeded: identity >> 32) : 0)
    }
}

/// One atomic word of the ``LockWords``, in the shared control block; every operation takes an
/// explicit memory ordering, as swift-atomics' do, and costs one atomic instruction.
public struct LockWord<Value: AtomicValue & Sendable>: @unchecked Sendable where Value.AtomicRepresentation.Value == Value {
    @usableFromInline let atomic: UnsafeAtomic<Value>
    /// Keeps the mapping that holds the word alive.
    @usableFromInline let control: ControlBlock

    init(_ atomic: UnsafeAtomic<Value>, in control: ControlBlock) {
        self.atomic = atomic
        self.control = control
    }

    /// Atomically loads the word.
    @inlinable
    public func load(ordering: AtomicLoadOrdering) -> Value {
        // swift-atomics takes only constant orderings: one branch per ordering, which the
        // optimizer folds away for a constant argument.
        if ordering == .relaxed { return atomic.load(ordering: .relaxed) }
        if ordering == .acquiring { return atomic.load(ordering: .acquiring) }
        return atomic.load(ordering: .sequentiallyConsistent)
    }

    /// Atomically stores `desired` into the word.
    @inlinable
    public func store(_ desired: Value, ordering: AtomicStoreOrdering) {
        if ordering == .relaxed { return atomic.store(desired, ordering: .relaxed) }
        if ordering == .releasing { return atomic.store(desired, ordering: .releasing) }
        atomic.store(desired, ordering: .sequentiallyConsistent)
    }

    /// Atomically stores `desired` and returns the value it replaced.
    @inlinable
    public func exchange(_ desired: Value, ordering: AtomicUpdateOrdering) -> Value {
        if ordering == .relaxed { return atomic.exchange(desired, ordering: .relaxed) }
        if ordering == .acquiring { return atomic.exchange(desired, ordering: .acquiring) }
        if ordering == .releasing { return atomic.exchange(desired, ordering: .releasing) }
        if ordering == .acquiringAndReleasing { return atomic.exchange(desired, ordering: .acquiringAndReleasing) }
        return atomic.exchange(desired, ordering: .sequentiallyConsistent)
    }

    /// Atomically replaces the word with `desired` if it equals `expected`; returns whether it
    /// did and the value it found.
    @inlinable
    public func compareExchange(expected: Value, desired: Value, ordering: AtomicUpdateOrdering) -> (exchanged: Bool, original: Value) {
        if ordering == .relaxed { return atomic.compareExchange(expected: expected, desired: desired, ordering: .relaxed) }
        if ordering == .acquiring { return atomic.compareExchange(expected: expected, desired: desired, ordering: .acquiring) }
        if ordering == .releasing { return atomic.compareExchange(expected: expected, desired: desired, ordering: .releasing) }
        if ordering == .acquiringAndReleasing {
            return atomic.compareExchange(expected: expected, desired: desired, ordering: .acquiringAndReleasing)
        }
        return atomic.compareExchange(expected: expected, desired: desired, ordering: .sequentiallyConsistent)
    }
}

/// A lock owner as the ``LockWords`` record it: a pid, and the low 32 bits of its start time
/// when known (this package's owners record it, Python's do not).
public struct LockOwner: Sendable, Hashable {
    /// The pid, 0 for none.
    public let pid: UInt32
    /// The low 32 bits of the start time in clock ticks since boot, 0 when unknown.
    public let startTime: UInt32

    /// This process, as it records itself when it takes a lock; cached, a forked child refreshes it.
    public static var current: LockOwner { LockOwner(process: ProcessIdentity.current) }

    /// The value of ``LockWords/ownerIdentity`` for this owner: the pid in the low 32 bits, the
    /// start time in the high 32.
    public var identity: UInt64 { UInt64(startTime) << 32 | UInt64(pid) }

    /// Whether the owner still runs: a process has its pid, is not a zombie, and started at the
    /// recorded time when that is known. Costs `kill(pid, 0)` and a read of `/proc/PID/stat`.
    public var isAlive: Bool {
        ProcessIdentity.isAlive(pid: Int32(bitPattern: pid), startTime: UInt64(startTime), startTimeMask: UInt64(UInt32.max))
    }

    /// The process (`pid`, `startTime`), its start time truncated to the low 32 bits.
    package init(process: (pid: Int32, startTime: UInt64)) {
        self.init(pid: UInt32(bitPattern: process.pid), startTime: UInt32(truncatingIfNeeded: process.startTime))
    }

    init(pid: UInt32, startTime: UInt32) {
        self.pid = pid
        self.startTime = startTime
    }
}
