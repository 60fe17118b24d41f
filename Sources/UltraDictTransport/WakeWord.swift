import Atomics

/// The wake word (u32 at byte 392) and the waiter count (u32 at byte 396) of a control block:
/// how a process sleeps until another one publishes a change or releases the lock, instead of
/// polling (`Docs/FORMAT.md`, "Wake protocol").
///
/// A waiter ``register(_:)``s (which returns the wake word's value), rechecks what it waits for,
/// ``sleep(expecting:for:)`` for one bounded slice unless that changed, and ``unregister(_:)``s.
/// A publisher makes its change visible, then calls ``wakeWaiters(_:)``: a sequentially
/// consistent fence and one load of the count, and a system call only when someone of that kind
/// waits. The fences on both sides (the Dekker pattern) make sure that either the waiter sees the
/// change or the publisher sees the waiter; `Docs/Model/wake.pml` checks it.
///
/// Like swift-atomics' `UnsafeAtomic`, it does not own its memory, so that the write path pays no
/// reference counting for it: use it only while the ``ControlBlock`` (or the ``LockWords``) it
/// came from is alive.
///
/// Both words are untrusted: any value is harmless. The count is changed with wrapping
/// arithmetic, so a garbage count (or one left high by a waiter killed while registered) only
/// costs publishers a wake that finds nobody; a garbage wake word is just a value to compare.
@usableFromInline
package struct WakeWord: @unchecked Sendable {
    /// What a waiter waits for; each kind has its half of the waiter count, so that a publisher
    /// wakes only when a waiter of its kind is registered.
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
    }

    /// The longest a waiter sleeps before it looks again by itself: Python 0.0.6 writers and lock
    /// holders never wake anyone, and a publisher can die between its change and its wake.
    package static let slice = Duration.milliseconds(100)

    /// The wake word's address, for the futex calls.
    @usableFromInline let address: UnsafeMutableRawPointer
    @usableFromInline let word: UnsafeAtomic<UInt32>
    @usableFromInline let waiters: UnsafeAtomic<UInt32>

    /// The words at ``ControlLayout/wakeWord`` and ``ControlLayout/waiterCount`` of `segment`.
    init(in segment: MappedSegment) {
        address = segment.base + ControlLayout.wakeWord
        word = UnsafeAtomic(at: address.assumingMemoryBound(to: UInt32.AtomicRepresentation.self))
        waiters = UnsafeAtomic(at: (segment.base + ControlLayout.waiterCount).assumingMemoryBound(to: UInt32.AtomicRepresentation.self))
    }

    // MARK: The publisher's side

    /// Wakes the waiters of `kind` if any is registered; call it right after the store that
    /// publishes the change (a record's position, a dump's end, the lock byte's release).
    ///
    /// With nobody waiting it costs a sequentially consistent fence and one load (no system
    /// call); otherwise ``wakeAll()``.
    @inlinable
    package func wakeWaiters(_ kind: Waiter) {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if waiters.load(ordering: .relaxed) & kind.mask != 0 { wakeAll() }
    }

    /// Bumps the wake word and wakes every sleeper on it, in every process, whatever it waits
    /// for: each rechecks its condition and, unless it holds, sleeps again. For a publisher that
    /// found waiters, and for a process that wants its own waiters to look at a stop condition
    /// now rather than at the end of their slice (closing a dictionary). Costs one atomic
    /// increment and one `futex` system call.
    @usableFromInline
    package func wakeAll() {
        word.wrappingIncrement(ordering: .sequentiallyConsistent)
        system_futex_wake(address)
    }

    // MARK: The waiter's side

    /// Counts the caller as a waiter of `kind` and returns the wake word's value, to pass to
    /// ``sleep(expecting:for:)``. Loads after this call (of what the caller waits for) are
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

    /// Sleeps while the wake word holds `value`, at most `duration` (clamped to one ``slice``):
    /// returns at once if it changed since ``register(_:)`` returned it, when a publisher wakes
    /// the word, when the time is up, or on a signal. The caller then rechecks its condition.
    package func sleep(expecting value: UInt32, for duration: Duration) {
        _ = system_futex_wait(address, value, min(duration, Self.slice))
    }

    /// The waiter count as it is now, both kinds (diagnostics and tests).
    package var waiterCount: UInt32 { waiters.load(ordering: .relaxed) }
}
