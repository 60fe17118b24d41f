// A small program that multi-process tests launch: each command opens a dictionary by name,
// does one thing, and prints its result on the last line of stdout.
import Foundation
import UltraDict
import _UltraDictSerializerRegistry

/// Prints a line at once (unbuffered), so that a test reading the pipe sees it.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func integer(_ text: String) -> Int {
    guard let value = Int(text) else { fail("not an integer: \(text)") }
    return value
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(2)
}

/// A handle handed to one thread, which alone uses it from then on.
final class OneThreadHandle<Key: Hashable & Codable, Value: Codable>: @unchecked Sendable {
    let dictionary: UltraDict<Key, Value>
    init(_ dictionary: UltraDict<Key, Value>) { self.dictionary = dictionary }
}

/// Errors that threads ran into; the first one is reported.
final class ThreadFailures: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [any Error] = []
    func record(_ error: any Error) { lock.withLock { errors.append(error) } }
    var first: (any Error)? { lock.withLock { errors.first } }
}

/// Handles kept until the process ends, as a global keeps them: never deinitialized.
final class KeptUntilExit: @unchecked Sendable {
    private let lock = NSLock()
    private var handles: [AnyObject] = []
    func keep(_ handle: AnyObject) { lock.withLock { handles.append(handle) } }
}
let keptUntilExit = KeptUntilExit()

/// The value monotonic-writer stores under "derived" beside `counter`, so that a torn read shows.
func derived(from counter: Int) -> Int { 3 * counter + 1 }

/// Whether `error` is the lock's report that this process was forked while holding it.
func isForkDiagnostic(_ error: UltraDictError) -> Bool {
    error.code == .lockStolen && error.message.contains("was forked from")
}

/// Options come after the positional arguments: `--serializer NAME`.
let (arguments, serializerName): ([String], String) = {
    var arguments = Array(CommandLine.arguments.dropFirst())
    guard let index = arguments.firstIndex(of: "--serializer"), index + 1 < arguments.count else { return (arguments, "msgpack") }
    let serializerName = arguments[index + 1]
    arguments.removeSubrange(index...(index + 1))
    return (arguments, serializerName)
}()
guard arguments.count >= 2 else { fail("usage: UltraDictTestHelper COMMAND NAME [ARGS...] [--serializer NAME]") }
let (command, name, rest) = (arguments[0], arguments[1], Array(arguments.dropFirst(2)))

/// Attaches the dictionary under test (or with `create`, creates it) with the serializer named on
/// the command line; `recurse` as the dictionary was created.
@MainActor
func attach<Key, Value>(
    _: Key.Type = Key.self, _: Value.Type = Value.self, create: Bool = false, recurse: Bool = false
) throws -> UltraDict<Key, Value> {
    guard let serializer = SerializerRegistry.serializer(serializerName, keyType: Key.self) else { fail("unknown serializer \(serializerName)") }
    return try UltraDict(name: name, create: create, serializer: serializer, recurse: recurse)
}

do {
    switch command {
    case "write-range":  // write-range NAME START END: d[i] = i for i in START..<END
        let d = try attach(Int.self, Int.self)
        for key in integer(rest[0])..<integer(rest[1]) { try d.updateValue(key, forKey: key) }
        say("count \(d.count)")

    case "ack-writer":  // ack-writer NAME START KEYS: d[START + i % KEYS] = i for i = 1, 2, ..., saying "ack KEY VALUE" after each write returned, until killed
        let d = try attach(Int.self, Int.self)
        let (start, keys) = (integer(rest[0]), integer(rest[1]))
        for value in 1... {
            let key = start + value % keys
            try d.updateValue(value, forKey: key)
            say("ack \(key) \(value)")
        }

    case "delete-range":  // delete-range NAME START END
        let d = try attach(Int.self, Int.self)
        for key in integer(rest[0])..<integer(rest[1]) { try d.removeValue(forKey: key) }
        say("count \(d.count)")

    case "count":  // count NAME
        let d = try attach(Int.self, Int.self)
        say("count \(d.count)")

    case "increment":  // increment NAME KEY TIMES: locked read-modify-write
        let d = try attach(String.self, Int.self)
        for _ in 0..<integer(rest[1]) {
            try d.withLock { d in d[rest[0], default: 0] += 1 }
        }
        say("value \(try d.value(forKey: rest[0]) ?? 0)")

    case "string-length":  // string-length NAME KEY: length of a string value
        let d = try attach(String.self, String.self)
        say("length \(try d.value(forKey: rest[0])?.utf8.count ?? -1)")

    case "lagging-reader":  // lagging-reader NAME: reads, waits for a line on stdin, reads again
        let d = try attach(String.self, Int.self)
        say("before \(d["value"] ?? -1)")
        _ = readLine()
        let status = try d.status()
        say("after \(try d.value(forKey: "value") ?? -1) dumps \(status.fullDumpCounter)")

    case "monotonic-writer":  // monotonic-writer NAME MILLISECONDS: counter += 1, then derived, for that long; then done = 1
        let d = try attach(String.self, Int.self)
        let dumpsBefore = try d.status().fullDumpCounter
        let end = ContinuousClock.now + .milliseconds(integer(rest[0]))
        var counter = try d.value(forKey: "counter") ?? 0
        while ContinuousClock.now < end {
            counter += 1
            try d.updateValue(counter, forKey: "counter")
            try d.updateValue(derived(from: counter), forKey: "derived")
        }
        try d.updateValue(1, forKey: "done")
        say("writes \(counter) dumps \(try d.status().fullDumpCounter - dumpsBefore)")

    case "monotonic-reader":  // monotonic-reader NAME: says "ready", then reads until done is set, checking every read
        // A read sees counter c with derived(c), or derived(c - 1) between the writer's two
        // records; anything else is a torn read, and a counter below the last one a backward read.
        // An absent key reads as its value before the first write: counter 0, derived(0).
        // Random pauses, now and then of tens of milliseconds, make it lag across many dumps.
        let d = try attach(String.self, Int.self)
        d.logger.logLevel = .error  // falling behind is the point; its warnings would fill the stderr pipe
        say("ready")
        var (reads, violations, errors, lastCounter, maxLag) = (0, 0, 0, Int.min, 0)
        let firstDump = try d.status().appliedCursor.counter
        var lastDump = firstDump
        while true {
            do {
                try d.applyUpdates()
            } catch {
                errors += 1
                if errors == 1 { FileHandle.standardError.write(Data("read failed: \(error)\n".utf8)) }
                continue
            }
            let entries = d.snapshot
            let dump = try d.status().appliedCursor.counter
            reads += 1
            maxLag = max(maxLag, Int(dump &- lastDump))
            lastDump = dump
            let counter = entries["counter"] ?? 0
            if counter < lastCounter || ![derived(from: counter), derived(from: counter - 1)].contains(entries["derived"] ?? derived(from: 0)) {
                violations += 1
                FileHandle.standardError.write(Data("violation after counter \(lastCounter): \(entries)\n".utf8))
            }
            lastCounter = max(lastCounter, counter)
            if entries["done"] != nil { break }
            switch UInt32.random(in: 0..<100) {
            case 0..<60: break
            case 60..<97: usleep(UInt32.random(in: 0..<500))
            default: usleep(UInt32.random(in: 0..<30_000))
            }
        }
        say("reads \(reads) dumps \(lastDump &- firstDump) maxlag \(maxLag) violations \(violations) errors \(errors)")

    case "hold-lock":  // hold-lock NAME SECONDS: holds the lock (says "holding PID"), sleeps, releases
        let d = try attach(String.self, Int.self)
        try d.withLock { _ in
            say("holding \(getpid())")
            Thread.sleep(forTimeInterval: Double(integer(rest[0])))
        }
        say("released")

    case "hold-lock-and-wait":  // hold-lock-and-wait NAME: holds the lock (says "holding PID") until a line on stdin
        let d = try attach(String.self, Int.self)
        try d.withLock { _ in
            say("holding \(getpid())")
            _ = readLine()
        }
        say("released")

    case "try-lock":  // try-lock NAME MILLISECONDS steal|wait: one locked acquisition with that timeout
        let d = try attach(String.self, Int.self)
        do {
            try d.withLock(timeout: .milliseconds(integer(rest[0])), stealAfterTimeout: rest[1] == "steal") { _ in }
            say("acquired")
        } catch let error as UltraDictError where error.code == .lockTimeout {
            say("lockTimeout: \(error.message)")
        }

    case "increment-threads":  // increment-threads NAME KEY THREADS TIMES: locked increments on THREADS threads
        // Handles are not thread-safe: each thread gets a handle of its own (opened here, used
        // only by that thread); the handles of one process share the dictionary's thread mutex.
        let (key, threadCount, times) = (rest[0], integer(rest[1]), integer(rest[2]))
        let handles = try (0..<threadCount).map { _ in OneThreadHandle(try attach(String.self, Int.self)) }
        let finished = DispatchGroup()
        let failures = ThreadFailures()
        for handle in handles {
            finished.enter()
            Thread {
                do {
                    for _ in 0..<times { try handle.dictionary.withLock { d in d[key, default: 0] += 1 } }
                } catch {
                    failures.record(error)
                }
                finished.leave()
            }.start()
        }
        finished.wait()
        if let error = failures.first { throw error }
        say("value \(try handles[0].dictionary.value(forKey: key) ?? 0)")

    case "steal-increment":  // steal-increment NAME KEY TIMES: increments, taking a dead owner's lock over after 100 ms
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

    case "fork-while-holding":  // fork-while-holding NAME: forks inside withLock; the child must not hold the lock
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

    case "nested-increment":  // nested-increment NAME A.B.KEY TIMES: under the root's lock, d[A][B][KEY] += 1 through live nested handles
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

    case "nested-churn":  // nested-churn NAME COUNT: creates NAME, stores COUNT nested dictionaries, closes it; counts open descriptors around it
        let openDescriptors = { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1 }
        let before = openDescriptors()
        do {
            let d = try attach(UltraValue.self, UltraValue.self, create: true, recurse: true)
            for index in 0..<integer(rest[0]) { try d.updateValue(["index": .int(Int64(index))], forKey: .int(Int64(index))) }
            d.close()
        }
        say("descriptors \(before) -> \(openDescriptors())")

    case "hold":  // hold NAME [KEY VALUE]...: creates NAME with these entries, says "ready", keeps it until a line on stdin
        // Keys and values are integers when they read as one, else strings.
        let d = try attach(UltraValue.self, UltraValue.self, create: true)
        let item = { (text: String) -> UltraValue in Int64(text).map(UltraValue.int) ?? .string(text) }
        for pair in stride(from: 0, to: rest.count - 1, by: 2) { try d.updateValue(item(rest[pair + 1]), forKey: item(rest[pair])) }
        say("ready")
        _ = readLine()
        say("count \(d.count)")

    case "write-after-close":  // write-after-close NAME: creates NAME, closes it, then writes through the subscript, which traps
        let d = try attach(String.self, Int.self, create: true)
        d.close()
        say("closed")
        d["k"] = 1
        say("the write after close did not trap")

    case "exit-hook":  // exit-hook NAME HOW: creates NAME (recursive, one nested dictionary), keeps it in a global, says "created", ends as HOW says
        let d = try attach(UltraValue.self, UltraValue.self, create: true, recurse: true)
        d["tree"] = ["leaf": 1]
        keptUntilExit.keep(d)
        say("created")
        switch rest[0] {
        case "return": break  // returns from top-level code
        case "exit": exit(0)
        case "keep": d.autoUnlink = false  // and returns
        case "crash": fatalError("crashing on purpose")
        case "wait":  // until a line on stdin, or a signal: with none blocked, as a program started from a shell
            // The test runner's threads block signals, and a process it starts inherits the mask.
            var none = sigset_t()
            sigemptyset(&none)
            sigprocmask(SIG_SETMASK, &none, nil)
            _ = readLine()
        case "threads":  // and NAME_t0 ... NAME_t3, each created and kept by its own thread; then returns
            let base = name
            DispatchQueue.concurrentPerform(iterations: 4) { index in
                do {
                    keptUntilExit.keep(try UltraDict<String, Int>(name: "\(base)_t\(index)", create: true))
                } catch {
                    fail("thread \(index): \(error)")
                }
            }
        case "fork":  // a forked child creates NAME_child and exits first, through the exit hook; then the parent looks and returns
            let child = fork()
            if child == 0 {
                keptUntilExit.keep(try UltraDict<String, Int>(name: name + "_child", create: true))
                exit(0)
            }
            var status: Int32 = 0
            waitpid(child, &status, 0)
            let again = try UltraDict<UltraValue, UltraValue>(name: name, create: false, recurse: true)
            say("after the child's exit: \(try again.value(forKey: "tree") == ["leaf": 1] ? "present" : "changed")")
        case "fork-close":  // a forked child closes its copy of the creator's handle and exits; then the parent looks and returns
            let child = fork()
            if child == 0 {
                d.close()
                _exit(0)
            }
            var status: Int32 = 0
            waitpid(child, &status, 0)
            let again = try UltraDict<UltraValue, UltraValue>(name: name, create: false, recurse: true)
            say("after the child's close: \(try again.value(forKey: "tree") == ["leaf": 1] ? "present" : "changed")")
        default: fail("unknown ending \(rest[0])")
        }

    default:
        fail("unknown command \(command)")
    }
} catch {
    fail("\(error)")
}
