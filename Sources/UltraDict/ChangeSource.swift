import Atomics
import CUltraDictShims
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
///
/// The thread also runs jobs (``run(_:)``): as a `TaskExecutor` (``UltraDictChanges/executor``),
/// it runs the nonisolated code of a task that prefers it between waits, so that a change resumes
/// the consumer on the thread that the change woke, with no second wake-up of a cooperative
/// thread. A job that comes while the thread waits interrupts the wait (waking no other process);
/// the request waits again after the jobs ran, but first reads what was published meanwhile, so
/// that jobs never hold changes back. The thread starts with the first request or job, and ends
/// when the source is dropped or after ``idleLife`` with neither (the next one starts it again).
final class ChangeSource: @unchecked Sendable {
    /// One batch of changes, in order, as the dictionary stores them; empty when the sequence
    /// has ended. The iterator converts them to its `Key` and `Value`, so that this class (and
    /// its thread) is not generic.
    typealias Batch = [ChangeFeed.Change]

    /// The name of every source's thread, as `top -H` and a debugger show it (at most 15 bytes).
    static let threadName = "UltraDict feed"
    /// How long the thread lives with no request and no job.
    static let idleLife: TimeInterval = 1

    /// Guards everything below (but ``needsAttention``, an atomic), and signals the thread.
    private let condition = NSCondition()
    /// Read only on the thread, after `init`.
    private var feed: ChangeFeed
    /// Wakes this process's change waiters, this source's thread among them (the feed's log).
    private let interruptWaiters: () -> Void
    /// The consumer waiting for the next batch.
    private var request: CheckedContinuation<Batch, any Error>?
    /// The jobs of tasks that prefer this executor, in the order they came.
    private var jobs: [() -> Void] = []
    /// Set while the thread waits for changes: a job must interrupt the wait.
    private var waiting = false
    /// Set when the sequence must end: the consumer was cancelled, or its handle closed.
    private var stopped = false
    /// Set when the source is dropped: the thread exits once no job is left.
    private var finished = false
    /// Whether the wait must look at `stopped`, `finished` or `jobs`: what it reads after each
    /// slice, with no lock (``updateAttention()`` keeps it, under `condition`).
    private let needsAttention = ManagedAtomic(false)
    /// Set while a thread serves the source.
    private var threadRunning = false
    /// Set when the thread has exited after `finished`: it takes no more jobs, and a request
    /// gets the end at once.
    private var ended = false
    /// The entries a sequence that starts with them yields first.
    private var initial: Batch

    /// A source reading `feed`, whose first call of `changes()` was the dictionary's state when
    /// the sequence was made: `initial` holds those entries when the sequence yields them first.
    init(feed: ChangeFeed, initial: Batch) {
        self.feed = feed
        self.interruptWaiters = feed.interruptChangeWaitersOfThisProcess
        self.initial = initial
    }

    /// Starts the thread unless one runs already; called with `condition` locked.
    private func startThreadIfNeeded() {
        guard !threadRunning else { return }
        threadRunning = true
        let thread = Thread { [self] in
            cud_name_this_thread(Self.threadName)
            while serveOne() {}
        }
        thread.start()
    }

    /// Ends the thread once it has answered the request it may be serving and run the jobs
    /// queued for it; the source is then freed. What the iterator's ``ChangeSubscription`` calls
    /// when it is dropped.
    func finish() {
        condition.lock()
        finished = true
        updateAttention()
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
                guard !ended else {
                    condition.unlock()
                    return continuation.resume(returning: [])
                }
                request = continuation
                startThreadIfNeeded()
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
        updateAttention()
        condition.unlock()
        interruptWaiters()
    }

    /// Runs `job` on the source's thread, after the jobs before it, and returns true; interrupts
    /// a wait for changes, which resumes after the job. Returns false once the thread has ended.
    func run(_ job: @escaping () -> Void) -> Bool {
        condition.lock()
        guard !ended else {
            condition.unlock()
            return false
        }
        jobs.append(job)
        updateAttention()
        startThreadIfNeeded()
        let interrupting = waiting
        condition.signal()
        condition.unlock()
        if interrupting { interruptWaiters() }
        return true
    }

    /// Runs the next job, or answers the request; returns false when the thread ends: the source
    /// was dropped (or its request answered after that) and no job is left, or ``idleLife``
    /// passed with nothing to do.
    private func serveOne() -> Bool {
        condition.lock()
        while jobs.isEmpty && request == nil && !finished {
            if !condition.wait(until: Date(timeIntervalSinceNow: Self.idleLife)) && jobs.isEmpty && request == nil && !finished {
                threadRunning = false
                condition.unlock()
                return false
            }
        }
        if !jobs.isEmpty {
            let job = jobs.removeFirst()
            updateAttention()
            condition.unlock()
            job()
            return true
        }
        guard let continuation = request else {
            (threadRunning, ended) = (false, true)
            condition.unlock()
            return false
        }
        let first = initial
        initial = []
        waiting = first.isEmpty && !finished
        condition.unlock()
        // Once the source is dropped, the wait returns at once: a request left pending (only a
        // second iterator of one sequence can leave one) gets the end.
        let answer = Result { first.isEmpty ? try waitForBatch() : first }
        condition.lock()
        waiting = false
        if case .success(nil) = answer {
            condition.unlock()  // a job interrupted the wait: run it, then wait again
            return true
        }
        request = nil
        condition.unlock()
        continuation.resume(with: answer.map { $0 ?? [] })
        return true
    }

    /// The next changes anyone publishes; empty when the sequence ends first (its stop, its
    /// source dropped, or the dictionary's unlink), also while changes keep coming; nil when a job
    /// came for the thread first.
    private func waitForBatch() throws -> Batch? {
        while true {
            // A change already published comes before a stop (`UpdateLog.waitForChanges`): the
            // stop is looked at again once it did.
            let end = feed.waitForChangesUntilUnlinked { needsAttention.load(ordering: .relaxed) }
            switch end {
            case .unlinked: return []
            case .stopped: return isEnding ? [] : nil
            case .changed: if isEnding { return [] }
            }
            let batch: Batch
            do {
                batch = try feed.changes()
            } catch LogError.publicationInterrupted {
                // A writer died while publishing a full dump; the next writer repairs it.
                Thread.sleep(forTimeInterval: 0.01)
                continue
            }
            if !batch.isEmpty { return batch }
            if hasJobs { return nil }  // publications that changed nothing do not hold jobs back
        }
    }

    /// Whether the sequence must end: stopped, or its source dropped.
    private var isEnding: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopped || finished
    }

    /// Sets ``needsAttention`` from the flags and the jobs; called with `condition` locked after
    /// each change of them, before the interrupt that wakes the wait (which follows the unlock).
    private func updateAttention() {
        needsAttention.store(stopped || finished || !jobs.isEmpty, ordering: .relaxed)
    }

    /// Whether jobs wait for the thread.
    private var hasJobs: Bool {
        condition.lock()
        defer { condition.unlock() }
        return !jobs.isEmpty
    }
}

@available(macOS 15, iOS 18, tvOS 18, watchOS 11, visionOS 2, *)
extension ChangeSource: TaskExecutor {
    /// Runs `job` on the source's thread; once the thread has ended, on the global concurrent
    /// executor.
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if !run({ [unowned self] in job.runSynchronously(on: asUnownedTaskExecutor()) }) {
            globalConcurrentExecutor.enqueue(ExecutorJob(job))
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
