import Atomics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The wake word (u32 at byte 392), the waiter count (u32 at byte 396) and the woken-lock-waiter
/// flag (u32 at byte 400) of a control block: how a process sleeps until another one publishes
/// a change or releases the lock, instead of polling (`Docs/FORMAT.md`, "Wake protocol").
///
/// A waiter ``register(_:)``s (which returns the wake word's value), rechecks what it waits for,
/// ``sleep(_:expecting:for:)`` for one bounded slice unless that changed, and ``unregister(_:)``s.
/// A publisher makes its change visible, then calls ``wakeChangeWaiters()``, and a lock's release
/// ``wakeLockWaiter()``: a sequentially consistent fence and one load of the count, and a system
/// call only when someone of that kind waits. The fences on both sides (the Dekker pattern) make
/// sure that either the waiter sees the change or the publisher sees the waiter;
/// `Docs/Model/wake.pml` checks it.
///
/// Sleepers of each kind sleep with a futex bitset of their own, so that a publication wakes
/// every change waiter and no lock waiter, and a release wakes one lock waiter and no change
/// waiter. While the lock waiter a release woke is awake (until it takes the lock or sleeps
/// again: ``lockWaiterSettled()``), further releases wake nobody: a holder that takes the lock
/// again at once pays no system call per release, and the sleepers are not all woken to lose.
///
/// Like swift-atomics' `UnsafeAtomic`, it does not own its memory, so that the write path pays no
/// reference counting for it: use it only while the ``ControlBlock`` (or the ``LockWords``) it
/// came from is alive.
///
/// The three words are untrusted: any value is harmless. The count is changed with wrapping
/// arithmetic, so a garbage count (or one left high by a waiter killed while registered) only
/// costs publishers a wake that finds nobody; a garbage wake word is just a value to compare; a
/// flag left set (garbage, a woken waiter killed, a process of an older build that took a
/// release's wake) lets releases skip their wake only until a lock waiter's sleep ends at its
/// timeout (one slice at most), since such a waiter clears it.
@usableFromInline
package struct WakeWord: @unchecked Sendable {
    /// What a waiter waits for; each kind has its half of the waiter count, so that a publisher
    /// wakes only when a waiter of its kind is registered, and its futex bitset.
    @usableFromInline
    package enum Waiter: Sendable {
        /// A change of the stream position or the full-dump counter: the low 16 bits.
        case changes
        /// The release of the shared lock: the high 16 bits.
        case lock

        /// The waiter count's unit for this kind.
        @usableFromInline var unit: UInt32 { self == .changes ? 1 : 1 << 16 }
        /// The bits of the waiter count that count this kind.
        @usableFromInline var mask: UInt32 { self == .changes ? 0xFFFF : 0xFFFF_0000 }
        /// The futex bitset its wakes wake.
        @usableFromInline var bitset: UInt32 { self == .changes ? 1 : 2 }
        /// The futex bitset its sleepers sleep with: a change waiter adds its process's own bit
        /// (``processBit``), so that ``interruptChangeWaitersOfThisProcess()`` wakes no other
        /// process's waiters.
        @usableFromInline var sleepBitset: UInt32 { self == .changes ? 1 | WakeWord.processBit : 2 }
    }

    /// This process's own bit of the futex bitset: one of bits 2 to 31, chosen by its pid (two
    /// processes that share one only wake each other's waiters for nothing, now and then). Fixed
    /// at first use, so that a forked child's sleepers and interrupts agree too.
    @usableFromInline static let processBit: UInt32 = 1 << (2 + UInt32(getpid()) % 30)

    /// The longest a waiter sleeps before it looks again by itself: Python 0.0.6 writers and lock
    /// holders never wake anyone, and a publisher can die between its change and its wake.
    package static let slice = Duration.nanoseconds(sliceNanoseconds)

    /// The wake word's address, for the futex calls.
    @usableFromInline let address: UnsafeMutableRawPointer
    @usableFromInline let word: UnsafeAtomic<UInt32>
    @usableFromInline let waiters: UnsafeAtomic<UInt32>
    @usableFromInline let wokenLockWaiter: UnsafeAtomic<UInt32>

    /// The words at ``ControlLayout/wakeWord``, ``ControlLayout/waiterCount`` and
    /// ``ControlLayout/wokenLockWaiter`` of `segment`.
    init(in segment: MappedSegment) {
        address = segment.base + ControlLayout.wakeWord
        word = Self.atomic(at: address)
        waiters = Self.atomic(at: segment.base + ControlLayout.waiterCount)
        wokenLockWaiter = Self.atomic(at: segment.base + ControlLayout.wokenLockWaiter)
    }

    private static func atomic(at address: UnsafeMutableRawPointer) -> UnsafeAtomic<UInt32> {
        UnsafeAtomic(at: address.assumingMemoryBound(to: UInt32.AtomicRepresentation.self))
    }

    // MARK: The publisher's side

    /// Wakes every change waiter if any is registered; call it right after the store that
    /// publishes a change (a record's position, a dump's end).
    ///
    /// With nobody waiting it costs a sequentially consistent fence and one load (no system
    /// call); otherwise it bumps the wake word and wakes the change waiters' bitset.
    @inlinable
    package func wakeChangeWaiters() {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if waiters.load(ordering: .relaxed) & Waiter.changes.mask != 0 { wake(bitset: Waiter.changes.bitset, count: .max) }
    }

    /// Wakes one lock waiter if any is registered and none that a release woke is still awake;
    /// call it right after the store that frees the lock byte.
    ///
    /// With nobody waiting, or the woken waiter still trying, it costs a sequentially consistent
    /// fence and one or two loads (no system call); otherwise ``wakeOneLockWaiter()``.
    @inlinable
    package func wakeLockWaiter() {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if waiters.load(ordering: .relaxed) & Waiter.lock.mask != 0 { wakeOneLockWaiter() }
    }

    /// The flag's values (``ControlLayout/wokenLockWaiter``).
    @usableFromInline enum WokenLockWaiter {
        /// No lock waiter that a release woke is awake.
        @usableFromInline static let none: UInt32 = 0
        /// One is awake, trying for the lock.
        @usableFromInline static let awake: UInt32 = 1
        /// One is awake, and a release since skipped its wake for it.
        @usableFromInline static let awakeAndSkipped: UInt32 = 2
    }

    /// A release's wake once lock waiters are counted: if a woken lock waiter is awake, marks
    /// that this release skipped its wake; otherwise sets the flag, bumps the wake word and wakes
    /// one sleeper of the lock waiters' bitset. If that found nobody asleep (the counted waiters
    /// were between their check and their sleep: they find the word changed, or sleep), it clears
    /// the flag, and starts again if a release skipped its wake meanwhile, since the waiter it
    /// skipped for may be one that went to sleep.
    @usableFromInline
    func wakeOneLockWaiter() {
        while true {
            let flag = wokenLockWaiter.load(ordering: .relaxed)
            guard flag != WokenLockWaiter.awakeAndSkipped else { return }
            let next = flag == WokenLockWaiter.none ? WokenLockWaiter.awake : WokenLockWaiter.awakeAndSkipped
            guard wokenLockWaiter.compareExchange(expected: flag, desired: next, ordering: .sequentiallyConsistent).exchanged else {
                continue
            }
            guard next == WokenLockWaiter.awake, wake(bitset: Waiter.lock.bitset, count: 1) == 0 else { return }
            guard wokenLockWaiter.exchange(WokenLockWaiter.none, ordering: .sequentiallyConsistent) == WokenLockWaiter.awakeAndSkipped,
                  waiters.load(ordering: .sequentiallyConsistent) & Waiter.lock.mask != 0 else { return }
        }
    }

    /// Bumps the wake word and wakes at most `count` sleepers whose bitset shares a bit with
    /// `bitset` (``Waiter/bitset``, or several or-ed); returns how many it woke.
    @usableFromInline
    @discardableResult
    func wake(bitset: UInt32, count: Int32) -> Int32 {
        word.wrappingIncrement(ordering: .sequentiallyConsistent)
        return system_futex_wake(address, count: count, bitset: bitset)
    }

    /// Bumps the wake word and wakes every sleeper on it, in every process, whatever it waits
    /// for: each rechecks its condition and, unless it holds, sleeps again. For a process that
    /// wants its own waiters to look at a stop condition now rather than at the end of their
    /// slice (closing a dictionary, an async lock's body ending). Costs one atomic increment and
    /// one `futex` system call.
    package func wakeAll() {
        wake(bitset: Waiter.changes.bitset | Waiter.lock.bitset, count: .max)
    }

    /// Bumps the wake word and wakes the change waiters of this process alone (``processBit``):
    /// for a waiter whose stop condition now holds, or that has other work, without waking any
    /// other process. A waiter of another process between its registration and its sleep finds
    /// the word changed and looks once more.
    package func interruptChangeWaitersOfThisProcess() {
        word.wrappingIncrement(ordering: .sequentiallyConsistent)
        system_futex_wake(address, count: .max, bitset: Self.processBit)
    }

    // MARK: The waiter's side

    /// Counts the caller as a waiter of `kind` and returns the wake word's value, to pass to
    /// ``sleep(_:expecting:for:)``. Loads after this call (of what the caller waits for) are
    /// ordered after the registration by a sequentially consistent fence. Every call needs its
    /// ``unregister(_:)``, also when the caller does not sleep.
    package func register(_ kind: Waiter) -> UInt32 {
        waiters.wrappingIncrement(by: kind.unit, ordering: .sequentiallyConsistent)
        let value = word.load(ordering: .sequentiallyConsistent)
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        return value
    }

    /// Undoes one ``register(_:)``.
    package func unregister(_ kind: Waiter) {
        waiters.wrappingDecrement(by: kind.unit, ordering: .sequentiallyConsistent)
    }

    /// How a ``sleep(_:expecting:for:)`` ended.
    package enum SleepEnd: Sendable {
        /// The word no longer held the value: it did not sleep.
        case wordChanged
        /// A wake ended it (or, rarely, nothing did: the kernel allows spurious wake-ups).
        case woken
        /// Its time was up, or a signal came.
        case timedOut
    }

    /// Sleeps as a waiter of `kind` while the wake word holds `value`, at most `duration`
    /// (clamped to one ``slice``): returns at once if it changed since ``register(_:)`` returned
    /// it, when a publisher or a release wakes it, when the time is up, or on a signal; the caller
    /// then rechecks its condition.
    ///
    /// A lock waiter that was woken may be the one a release woke: it calls
    /// ``lockWaiterSettled()`` once it stops trying for the lock (before it registers again, when
    /// it takes the lock); any waiter that gives up calls ``lockWaiterGaveUp()``. So does one that
    /// slept a whole slice settle, in case the waiter a release woke died awake.
    @discardableResult
    package func sleep(_ kind: Waiter, expecting value: UInt32, for duration: Duration) -> SleepEnd {
        sleep(kind, expecting: value, nanoseconds: duration.saturatingNanoseconds)
    }

    /// ``sleep(_:expecting:for:)`` with the time in nanoseconds, for a waiter that sleeps slice
    /// after slice: no `Duration` arithmetic on its path.
    @discardableResult
    package func sleep(_ kind: Waiter, expecting value: UInt32, nanoseconds: Int64) -> SleepEnd {
        system_futex_wait(address, value, nanoseconds: min(nanoseconds, Self.sliceNanoseconds), bitset: kind.sleepBitset)
    }

    /// ``slice`` in nanoseconds.
    package static let sliceNanoseconds: Int64 = 100_000_000

    /// Says that the lock waiter a release may have woken is no longer awake and trying: the
    /// next release wakes another. One store.
    @usableFromInline
    package func lockWaiterSettled() {
        wokenLockWaiter.store(WokenLockWaiter.none, ordering: .sequentiallyConsistent)
    }

    /// ``lockWaiterSettled()`` for a woken lock waiter that stops trying without the lock (its
    /// timeout passed, its task was cancelled): when a release skipped its wake for it meanwhile,
    /// that wake is passed on (``wakeLockWaiter()``), since the lock may be free with sleepers
    /// that nobody else will wake before their slice ends.
    package func lockWaiterGaveUp() {
        if wokenLockWaiter.exchange(WokenLockWaiter.none, ordering: .sequentiallyConsistent) == WokenLockWaiter.awakeAndSkipped {
            wakeLockWaiter()
        }
    }

    /// The wake word as it is now: a waiter that finds it changed between two looks, with
    /// nothing new published, was woken by something else than a publication.
    package var value: UInt32 { word.load(ordering: .relaxed) }

    /// The waiter count as it is now, both kinds (diagnostics and tests).
    package var waiterCount: UInt32 { waiters.load(ordering: .relaxed) }
}
