import Foundation
import UltraDictCore
import UltraDictTransport

/// What one ``UltraDictChanges`` sequence reads from: its own ``ChangeFeed`` (its own mapping of
/// the dictionary and its own cursor) and a thread of its own that waits for the next changes in
/// the kernel, so that no cooperative thread ever blocks.
///
/// The source is shared by the sequence's iterator and its thread; the iterator's
/// ``ChangeSubscription`` ends the thread when the iterator is dropped.
///
/// The consumer asks for the next batch (``nextBatch()``); the thread waits until something is
/// published after the feed's cursor, reads it, and hands it over. Nothing is read ahead: changes
/// nobody asked for stay in shared memory, not in this process. The sequence ends (an empty
/// batch) when the dictionary is unlinked (woken by the unlink of a process of this package, else
/// within about a second: `ChangeFeed.waitForChangesUntilUnlinked`),
/// when the handle that made it closes, or when the consuming task is cancelled; the last two
/// wake the thread at once.
final class ChangeSource: @unchecked Sendable {
    /// One batch of changes, in order, as the dictionary stores them; empty when the sequence
    /// has ended. The iterator converts them to its `Key` and `Value`, so that this class (and
    /// its thread) is not generic.
    typealias Batch = [ChangeFeed.Change]

    /// Guards everything below, and signals the thread.
    private let condition = NSCondition()
    /// Read only on the thread, after `init`.
    private var feed: ChangeFeed
    /// Wakes the dictionary's waiters, this source's thread among them (the feed's log).
    private let interruptWaiters: () -> Void
    /// The consumer waiting for the next batch.
    private var request: CheckedContinuation<Batch, any Error>?
    /// Set when the sequence must end: the consumer was cancelled, or its handle closed.
    private var stopped = false
    /// Set when the source is dropped: the thread exits.
    private var finished = false
    /// The entries a sequence that starts with them yields first.
    private var initial: Batch

    /// A source reading `feed`, whose first call of `changes()` was the dictionary's state when
    /// the sequence was made: `initial` holds those entries when the sequence yields them first.
    init(feed: ChangeFeed, initial: Batch) {
        self.feed = feed
        self.interruptWaiters = feed.interruptWaiters
        self.initial = initial
        let thread = Thread { [self] in
            while serveOneRequest() {}
        }
        thread.name = "UltraDict changes"
        thread.start()
    }

    /// Ends the thread once it has answered the request it may be serving; the source is then
    /// freed. What the iterator's ``ChangeSubscription`` calls when it is dropped.
    func finish() {
        condition.lock()
        finished = true
        condition.signal()
        condition.unlock()
        interruptWaiters()
    }

    /// The next batch of changes (empty at the end), waited for on the source's thread; a
    /// cancelled task gets the end within microseconds.
    func nextBatch() async throws -> Batch {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                condition.lock()
                request = continuation
                condition.signal()
                condition.unlock()
            }
        } onCancel: {
            stop()
        }
    }

    /// Ends the sequence: a waiting thread returns within microseconds.
    func stop() {
        condition.lock()
        stopped = true
        condition.unlock()
        interruptWaiters()
    }

    /// Waits for a request and answers it; returns false once the source is dropped.
    private func serveOneRequest() -> Bool {
        condition.lock()
        while request == nil && !finished { condition.wait() }
        guard !finished, let continuation = request else {
            condition.unlock()
            return false
        }
        request = nil
        let first = initial
        initial = []
        condition.unlock()
        continuation.resume(with: Result { first.isEmpty ? try waitForBatch() : first })
        return true
    }

    /// The next changes anyone publishes; empty when the sequence ends first (its stop, or the
    /// dictionary's unlink).
    private func waitForBatch() throws -> Batch {
        while true {
            let changed = feed.waitForChangesUntilUnlinked {
                condition.lock()
                defer { condition.unlock() }
                return stopped || finished
            }
            guard changed else { return [] }
            let batch: Batch
            do {
                batch = try feed.changes()
            } catch LogError.publicationInterrupted {
                // A writer died while publishing a full dump; the next writer repairs it.
                Thread.sleep(forTimeInterval: 0.01)
                continue
            }
            if !batch.isEmpty { return batch }
        }
    }
}

/// The iterator's hold on its ``ChangeSource``: when the iterator is dropped, the source's thread ends.
final class ChangeSubscription: Sendable {
    /// The source the iterator reads.
    let source: ChangeSource

    init(_ source: ChangeSource) {
        self.source = source
    }

    deinit { source.finish() }
}
