import Atomics
import CUltraDictShims

/// A failure forced on a system call, for tests of the error paths that a healthy machine never
/// takes (`EACCES`, `EMFILE`, `ENOSPC`, `EINTR`, …), after swift-system's `Mocking.swift`.
///
/// A fault is in force only inside ``inject(_:during:)`` and only for the task that called it, so
/// tests that run in parallel do not see each other's faults. A process that never injected one
/// (any process but a test's) pays one load of a flag per system call, not a task-local read.
package final class SystemCallFault: Sendable {
    /// The C function to fail, such as `"shm_open"`.
    package let call: String
    /// The errno value the call reports.
    package let errno: Int32
    private let spared: Int
    private let times: Int
    private let calls = ManagedAtomic<Int>(0)

    /// A fault that lets the first `spared` calls of `call` through, then makes the next `times`
    /// fail with `errno`.
    package init(_ call: String, errno: Int32, after spared: Int = 0, times: Int = .max) {
        self.call = call
        self.errno = errno
        self.spared = spared
        self.times = times
    }

    /// How many calls of ``call`` this fault has seen so far, failed or let through (with
    /// `times: 0` it only counts them).
    package var callCount: Int { calls.load(ordering: .relaxed) }

    /// How many calls this fault has failed so far.
    package var hitCount: Int { min(max(calls.load(ordering: .relaxed) - spared, 0), times) }

    @TaskLocal private static var active: [SystemCallFault] = []

    /// Runs `body` with `faults` in force for the system calls it makes.
    package static func inject<Result>(_ faults: SystemCallFault..., during body: () throws -> Result) rethrows -> Result {
        try inject(faults, during: body)
    }

    /// Runs `body` with `faults` in force for the system calls it makes.
    package static func inject<Result>(_ faults: [SystemCallFault], during body: () throws -> Result) rethrows -> Result {
        cud_note_system_call_fault_injected()
        return try $active.withValue(active + faults, operation: body)
    }

    /// The errno to report instead of calling `call`, when a fault in force claims this call.
    static func forcedErrno(for call: String) -> Int32? {
        guard cud_system_call_faults_were_injected() != 0 else { return nil }
        for fault in active where fault.call == call {
            let index = fault.calls.loadThenWrappingIncrement(ordering: .relaxed)
            if index >= fault.spared && index - fault.spared < fault.times { return fault.errno }
        }
        return nil
    }
}
