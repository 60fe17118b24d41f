import Atomics
import CUltraDictShims
import UltraDictTransport

/// The lock that makes one ``UltraDict`` handle safe to use from any thread: a "big-reader"
/// lock, whose readers write only a cache line of their own thread's.
///
/// - **Shared access** (``enterShared()``): the thread marks its arrival in its reader slot
///   (``readerSlot``: one of ``slotCount`` words, each on a cache line of its own; a thread with
///   one of the first 15 numbers from `cud_thread_slot()` owns one and stores 1 in it, the
///   others share slot 0 and add 1 to it), then loads the exclusive flag. If the flag is down it
///   has shared access until it leaves (a store of 0, or a subtraction); if it is up it leaves at
///   once, waits for the flag to come down and tries again (unless it holds exclusive access
///   itself, which covers shared access). Two threads reading at once thus write different
///   lines, and neither waits for the other.
/// - **Exclusive access** (``lockExclusive()``): the thread takes the owner word (a
///   compare-exchange from 0 to its number), raises the flag, then waits until every slot is 0:
///   slot 0 and the slots of the thread numbers given so far (`cud_thread_numbers_given`), the
///   others having never been used. In a process with few threads it thus loads a few lines,
///   not all 16.
///   Re-entrant: the holder's nested calls only count. A thread waiting for another holder spins
///   briefly, then yields, then sleeps in steps (`Backoff`): holders hold it for the time of a
///   write or of applying what was published.
///
/// The arrival and the flag's load (a reader), and the flag's store and the slots' loads (the
/// exclusive holder), are sequentially consistent: as in Dekker's algorithm, either the holder
/// sees the reader's slot, and waits for it, or the reader sees the flag, and backs off. The count
/// of thread numbers is stored (when a thread gets a new number, before it first arrives) and
/// loaded (by the holder, after raising the flag) sequentially consistently too: a holder that
/// does not count a reader's number raised the flag before the reader arrived, so the reader
/// sees it. A reader leaves with a release store or decrement, so its reads happen before the
/// holder's writes; the holder lowers the flag with a release store, so its writes happen before
/// the reads of a reader that then sees the flag down.
///
/// Cost: shared access, a sequentially consistent store (an exchange on x86) and a release
/// store (a plain store on x86) on a line that only this thread writes, and one load of a line
/// that only exclusive holders write; two read-modify-writes instead for a thread of slot 0;
/// exclusive access, a compare-exchange, a store and a load of every slot in use, and no system
/// call when uncontended. A handle's lock takes ``slotCount`` + 1 blocks of
/// ``lineSize`` bytes (2 KiB).
///
/// After `fork`, the child must not use a handle that another thread of the parent was using at
/// that instant: its slot or the owner word may stay taken in the child, where that thread does not exist.
@usableFromInline
final class HandleLock: @unchecked Sendable {
    /// How many reader slots a handle has: one of its own for each thread numbered below
    /// `slotCount - 1`, and slot 0, which every other thread shares (correct, but their
    /// read-modify-writes then contend for one line). Numbers go back when threads exit, lowest
    /// first, so the threads that live long and read often usually own a slot.
    @inlinable static var slotCount: Int { 16 }
    /// The bytes between two slots: two 64-byte lines, since some processors fetch lines in pairs
    /// and Apple's are 128 bytes long.
    @inlinable static var lineSize: Int { 128 }

    /// The flag's line, then the slots' lines: one allocation of ``slotCount`` + 1 lines.
    @usableFromInline let lines: UnsafeMutableRawPointer
    /// The holder of exclusive access (its `cud_thread_slot()` plus one), 0 when none: taken by
    /// a compare-exchange from 0, given back by a store of 0.
    private let owner = UnsafeAtomic<UInt32>.create(0)
    /// How many times the holder holds exclusive access; only the holder reads or writes it.
    private var depth = 0

    init() {
        lines = .allocate(byteCount: (Self.slotCount + 1) * Self.lineSize, alignment: Self.lineSize)
        lines.initializeMemory(as: UInt8.self, repeating: 0, count: (Self.slotCount + 1) * Self.lineSize)
    }

    deinit {
        owner.destroy()
        lines.deallocate()
    }

    /// Up while a thread holds exclusive access or waits for the readers to leave.
    @inlinable var exclusiveFlag: UnsafeAtomic<Bool> {
        UnsafeAtomic(at: lines.assumingMemoryBound(to: Bool.AtomicRepresentation.self))
    }

    /// The reader slot `index` (0-based).
    @inlinable func slot(_ index: Int) -> UnsafeAtomic<Int> {
        UnsafeAtomic(at: (lines + (index + 1) * Self.lineSize).assumingMemoryBound(to: Int.AtomicRepresentation.self))
    }

    /// The slot through which the calling thread reads: its own, `1 + n` for the thread numbered
    /// n < ``slotCount`` - 1, which only it writes; slot 0, which every later thread shares, for
    /// the others.
    @inlinable @inline(__always)
    static var readerSlot: Int {
        let thread = Int(cud_thread_slot())
        return thread < slotCount - 1 ? thread + 1 : 0
    }

    /// Marks the calling thread's arrival in slot `index` (``readerSlot``): a sequentially
    /// consistent store of 1 in a slot of its own, an increment of the shared one.
    @inlinable @inline(__always)
    func arrive(_ index: Int) {
        if index == 0 {
            slot(0).wrappingIncrement(ordering: .sequentiallyConsistent)
        } else {
            slot(index).store(1, ordering: .sequentiallyConsistent)
        }
    }

    /// Enters shared access and returns the slot to leave it with (``leaveShared(_:)``), or
    /// returns `nil`, holding nothing, when the calling thread holds exclusive access (which
    /// covers shared access). While another thread holds or waits for exclusive access, waits
    /// until it is done. Not re-entrant: a thread in shared access must not enter it again.
    @inlinable @inline(__always)
    func enterShared() -> Int? {
        let index = Self.readerSlot
        arrive(index)
        guard !exclusiveFlag.load(ordering: .sequentiallyConsistent) else {
            leaveShared(index)
            return enterSharedAfterExclusive(index)
        }
        return index
    }

    /// ``enterShared()`` once the exclusive flag was seen up: `nil` for the holder; for another
    /// thread, waits for the flag to come down and enters slot `index` then. Readers do not take
    /// exclusive access themselves, so that they never queue behind each other.
    @usableFromInline
    func enterSharedAfterExclusive(_ index: Int) -> Int? {
        if owner.load(ordering: .relaxed) == cud_thread_slot() &+ 1 { return nil }
        var attempt = 0
        while true {
            while exclusiveFlag.load(ordering: .relaxed) {
                Backoff.pause(attempt)
                attempt += 1
            }
            arrive(index)
            if !exclusiveFlag.load(ordering: .sequentiallyConsistent) { return index }
            leaveShared(index)
        }
    }

    /// Leaves the shared access that ``enterShared()`` returned slot `index` for: a release store
    /// of 0 in a slot of the thread's own, a decrement of the shared one.
    @inlinable @inline(__always)
    func leaveShared(_ index: Int) {
        if index == 0 {
            slot(0).wrappingDecrement(ordering: .releasing)
        } else {
            slot(index).store(0, ordering: .releasing)
        }
    }

    /// Takes exclusive access, waiting for the holder and then for the readers to leave; a
    /// holder's nested call only counts. Every call needs its ``unlockExclusive()``.
    @usableFromInline
    func lockExclusive() {
        let me = cud_thread_slot() &+ 1
        if owner.load(ordering: .relaxed) == me {
            depth += 1
            return
        }
        var attempt = 0
        while !owner.compareExchange(expected: 0, desired: me, ordering: .acquiring).exchanged {
            repeat {
                Backoff.pause(attempt)
                attempt += 1
            } while owner.load(ordering: .relaxed) != 0
        }
        depth = 1
        exclusiveFlag.store(true, ordering: .sequentiallyConsistent)
        // Slot 0, and the own slots of the thread numbers given so far (the holder's among them).
        let lastSlot = min(Int(cud_thread_numbers_given_now()), Self.slotCount - 1)
        for index in 0...lastSlot where slot(index).load(ordering: .sequentiallyConsistent) != 0 {
            waitUntilEmpty(slot(index))
        }
    }

    /// Waits until `slot`'s readers have left; out of line, so that the loop over the slots that
    /// are already empty (nearly always all of them) stays a load and a branch each.
    @inline(never)
    private func waitUntilEmpty(_ slot: UnsafeAtomic<Int>) {
        var attempt = 0
        while slot.load(ordering: .sequentiallyConsistent) != 0 {
            Backoff.pause(attempt)
            attempt += 1
        }
    }

    /// Releases one level of exclusive access.
    @usableFromInline
    func unlockExclusive() {
        depth -= 1
        guard depth == 0 else { return }
        exclusiveFlag.store(false, ordering: .releasing)
        owner.store(0, ordering: .releasing)
    }
}
