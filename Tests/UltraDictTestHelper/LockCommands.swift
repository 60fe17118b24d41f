import Foundation
import UltraDict

// Commands about the shared lock: holding it, waiting for it, taking it over, and forking under it.

/// Errors that threads ran into; the first one is reported.
final class ThreadFailures: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [any Error] = []
    func record(_ error: any Error) { lock.withLock { errors.append(error) } }
    var first: (any Error)? { lock.withLock { errors.first } }
}

/// Whether `error` is the lock's report that this process was forked while holding it.
func isForkDiagnostic(_ error: UltraDictError) -> Bool {
    error.code == .lockStolen && error.message.contains("was forked from")
}

/// hold-lock NAME SECONDS: holds the lock (says "holding PID"), sleeps, releases
func holdLock() throws {
    let d = try attach(String.self, Int.self)
    try d.withLock { _ in
        say("holding \(getpid())")
        Thread.sleep(forTimeInterval: Double(integer(rest[0])))
    }
    say("released")
}

/// hold-lock-and-wait NAME: holds the lock (says "holding PID") until a line on stdin
func holdLockAndWait() throws {
    let d = try attach(String.self, Int.self)
    try d.withLock { _ in
        say("holding \(getpid())")
        _ = readLine()
    }
    say("released")
}

/// hold-lock-then-write NAME KEY: holds the lock (says "holding PID") until a line on stdin,
/// then, still inside it, increments KEY and says "written", or says the error's code
func holdLockThenWrite() throws {
    let d = try attach(String.self, Int.self)
    do {
        try d.withLock { d in
            say("holding \(getpid())")
            _ = readLine()
            try d.updateValue((d[rest[0]] ?? 0) + 1, forKey: rest[0])
            say("written")
        }
    } catch let error as UltraDictError {
        say("\(error.code)")
    }
}

/// try-lock NAME MILLISECONDS steal|wait: one locked acquisition with that timeout
func tryLock() throws {
    let d = try attach(String.self, Int.self)
    do {
        try d.withLock(timeout: .milliseconds(integer(rest[0])), stealAfterTimeout: rest[1] == "steal") { _ in }
        say("acquired")
    } catch let error as UltraDictError where error.code == .lockTimeout {
        say("lockTimeout: \(error.message)")
    }
}

/// increment-threads NAME KEY THREADS TIMES: locked increments on THREADS threads
///
/// Each thread gets a handle of its own (opened here, used only by that thread), so that the
/// handles of one process meet only in the dictionary's thread mutex; one handle shared by
/// threads is `SharedHandleTests`' case.
func incrementThreads() throws {
    let (key, threadCount, times) = (rest[0], integer(rest[1]), integer(rest[2]))
    let handles = try (0..<threadCount).map { _ in try attach(String.self, Int.self) }
    let finished = DispatchGroup()
    let failures = ThreadFailures()
    for handle in handles {
        finished.enter()
        Thread {
            do {
                for _ in 0..<times { try handle.withLock { d in d[key, default: 0] += 1 } }
            } catch {
                failures.record(error)
            }
            finished.leave()
        }.start()
    }
    finished.wait()
    if let error = failures.first { throw error }
    say("value \(try handles[0].value(forKey: key) ?? 0)")
}

/// steal-increment NAME KEY TIMES: increments, taking a dead owner's lock over after 100 ms
func stealIncrement() throws {
    let d = try attach(String.self, Int.self)
    var done = 0
    while done < integer(rest[1]) {
        do {
            try d.withLock(timeout: .milliseconds(100), stealAfterTimeout: true) { d in d[rest[0], default: 0] += 1 }
            done += 1
        } catch UltraDictError.lockTimeout {
            // A live process held the lock for 100 ms: wait again.
        }
    }
    say("value \(try d.value(forKey: rest[0]) ?? 0)")
}

/// fork-while-holding NAME: forks inside withLock; the child must not hold the lock
func forkWhileHolding() throws {
    let d = try attach(String.self, Int.self)
    var child: pid_t = -1
    var refusals = 0  // in the child: the write and the release that report the fork
    do {
        try d.withLock { d in
            child = fork()
            guard child == 0 else { return }
            do {
                try d.updateValue(1, forKey: "child")
            } catch let error as UltraDictError where isForkDiagnostic(error) {
                refusals += 1
            }
        }
    } catch let error as UltraDictError where child == 0 && isForkDiagnostic(error) {
        refusals += 1
    }
    if child == 0 { exit(refusals == 2 ? 0 : 1) }  // the child answers through its exit status
    var status: Int32 = 0
    waitpid(child, &status, 0)
    say("child exit \((status >> 8) & 0xFF), key \(try d.value(forKey: "child") == nil ? "absent" : "present")")
}

/// nested-increment NAME A.B.KEY TIMES: under the root's lock, d[A][B][KEY] += 1 through live nested handles
func nestedIncrement() throws {
    let d = try attach(UltraValue.self, UltraValue.self, recurse: true)
    var path = rest[0].split(separator: ".").map { UltraValue.string(String($0)) }
    let key = path.removeLast()
    for _ in 0..<integer(rest[1]) {
        try d.withLock { root in
            let inner = try path.reduce(root) { dictionary, step in
                guard let next = try dictionary.nested(step) else { fail("no nested dictionary at \(step)") }
                return next
            }
            inner[key] = .int((inner[key]?.intValue ?? 0) + 1)
        }
    }
    say("tree \(UltraValue.dictionary(try d.deepCopy()))")
}
