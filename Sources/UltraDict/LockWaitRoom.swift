import Foundation
import UltraDictTransport

/// The tasks of this process that wait for one dictionary's lock from async code
/// (``UltraDict/withLockAsync(timeout:stealAfterTimeout:_:)``), and the one thread that sleeps for
/// all of them, so that no cooperative thread blocks and a hundred waiting tasks cost one
/// sleeping thread, not a hundred.
///
/// The thread sleeps until the lock may be free, then resumes every waiting task at once; each
/// tries the lock on its own thread, and those that lose wait again. What ends a sleep:
/// - for the shared lock, a release by a process of this package (the wake word), or the end of
///   a slice of at most 100 ms (a Python holder's release wakes nobody);
/// - for a process-local lock, whose release wakes nobody, the end of a short backoff (50 µs
///   doubling to 10 ms);
/// - for both, ``lockMayBeFree()``, which a task calls when its `withLockAsync` body ends.
///
/// Rooms are per dictionary (its control segment's file), whatever handle a task uses; a room
/// leaves the registry when its last waiter does, and its thread ends.
final class LockWaitRoom: @unchecked Sendable {
    /// The rooms with waiters, by dictionary identity.
    private static let registry = NSLock()
    nonisolated(unsafe) private static var rooms: [String: LockWaitRoom] = [:]

    private let identity: String
    /// The lock words of a mapping of the dictionary, kept (with the mapping) while the room lives.
    private let words: LockWords
    private let shared: Bool
    private let condition = NSCondition()
    /// The waiting tasks, by ticket.
    private var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    /// Tasks that found the room in the registry and have not yet listed themselves: the room
    /// stays until they have.
    private var arriving = 0
    private var nextTicket = 0
    /// Set by ``lockMayBeFree()``: the thread resumes the waiters without sleeping.
    private var released = false

    private init(identity: String, words: LockWords, shared: Bool) {
        (self.identity, self.words, self.shared) = (identity, words, shared)
    }

    /// Suspends the calling task until the lock of the dictionary whose lock words are `words`
    /// may be free (see the type's documentation), or the task is cancelled.
    static func waitForRelease(of words: LockWords, shared: Bool) async {
        let room = registry.withLock {
            let room = rooms[words.dictionaryIdentity] ?? {
                let room = LockWaitRoom(identity: words.dictionaryIdentity, words: words, shared: shared)
                rooms[room.identity] = room
                let thread = Thread { room.serve() }
                thread.name = "UltraDict lock waiter"
                thread.start()
                return room
            }()
            room.condition.withLock { room.arriving += 1 }
            return room
        }
        await room.wait()
    }

    /// Tells the waiters of the dictionary with `words`, if any, that the lock may be free now:
    /// what a task calls after its `withLockAsync` body, so that the next waiter need not wait
    /// for a slice (a release by a thread that does not call it is seen at the slice's end).
    static func lockMayBeFree(_ words: LockWords) {
        guard let room = registry.withLock({ rooms[words.dictionaryIdentity] }) else { return }
        room.condition.withLock { room.released = true }
        room.words.wake.wakeAll()
    }

    private func wait() async {
        let ticket = condition.withLock {
            nextTicket += 1
            return nextTicket
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                condition.withLock {
                    arriving -= 1
                    waiters[ticket] = continuation
                }
                // A cancellation before the listing found nothing to resume.
                if Task.isCancelled { condition.withLock { waiters.removeValue(forKey: ticket) }?.resume() }
            }
        } onCancel: {
            condition.withLock { waiters.removeValue(forKey: ticket) }?.resume()
        }
    }

    /// The room's thread: sleeps while there are waiters, resuming them all after each sleep;
    /// leaves the registry and ends once there are none.
    private func serve() {
        var attempt = 0
        // Whether the last sleep may have been the one a release woke (see `SharedSpinLock`): it
        // slept, woken or until its timeout; the room ends without the lock.
        var slept = false
        defer { if slept { words.wake.lockWaiterGaveUp() } }
        while true {
            let leaving: Bool = Self.registry.withLock {
                condition.withLock {
                    guard waiters.isEmpty && arriving == 0 else { return false }
                    Self.rooms[identity] = nil
                    return true
                }
            }
            if leaving { return }
            if slept { words.wake.lockWaiterSettled() }
            slept = sleepUntilReleased(attempt: attempt)
            attempt += 1
            let resumed = condition.withLock {
                if released { attempt = 0 }
                released = false
                defer { waiters = [:] }
                return Array(waiters.values)
            }
            for continuation in resumed { continuation.resume() }
        }
    }

    /// One sleep on the wake word: until a release wakes it (a shared lock's, or
    /// ``lockMayBeFree()``), or for one slice, or for the backoff of a process-local lock.
    /// Returns whether it slept.
    private func sleepUntilReleased(attempt: Int) -> Bool {
        let wake = words.wake
        let value = wake.register(.lock)
        defer { wake.unregister(.lock) }
        let slice = shared ? WakeWord.slice : min(.microseconds(50 << min(attempt, 8)), .milliseconds(10))
        let mayBeFree = condition.withLock { released } || (shared && words.lockByte.load(ordering: .relaxed) == 0)
        return !mayBeFree && wake.sleep(.lock, expecting: value, for: slice) != .wordChanged
    }
}
