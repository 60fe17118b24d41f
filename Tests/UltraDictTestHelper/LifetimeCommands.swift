import Foundation
import UltraDict

// Commands about how long a dictionary lives: created, held, closed, and left at the process's end.

/// Handles kept until the process ends, as a global keeps them: never deinitialized.
final class KeptUntilExit: @unchecked Sendable {
    private let lock = NSLock()
    private var handles: [AnyObject] = []
    func keep(_ handle: AnyObject) { lock.withLock { handles.append(handle) } }
}
let keptUntilExit = KeptUntilExit()

/// nested-churn NAME COUNT: creates NAME, stores COUNT nested dictionaries, closes it; counts
/// open descriptors around it
func nestedChurn() throws {
    let openDescriptors = { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1 }
    let before = openDescriptors()
    do {
        let d = try attach(UltraValue.self, UltraValue.self, create: true, recurse: true)
        for index in 0..<integer(rest[0]) { try d.updateValue(["index": .int(Int64(index))], forKey: .int(Int64(index))) }
        d.close()
    }
    say("descriptors \(before) -> \(openDescriptors())")
}

/// hold NAME [KEY VALUE]...: creates NAME with these entries, says "ready", keeps it until a line on stdin
///
/// Keys and values are integers when they read as one, else strings.
func hold() throws {
    let d = try attach(UltraValue.self, UltraValue.self, create: true)
    let item = { (text: String) -> UltraValue in Int64(text).map(UltraValue.int) ?? .string(text) }
    for pair in stride(from: 0, to: rest.count - 1, by: 2) { try d.updateValue(item(rest[pair + 1]), forKey: item(rest[pair])) }
    say("ready")
    _ = readLine()
    say("count \(d.count)")
}

/// write-after-close NAME: creates NAME, closes it, then writes through the subscript, which traps
func writeAfterClose() throws {
    let d = try attach(String.self, Int.self, create: true)
    d.close()
    say("closed")
    d["k"] = 1
    say("the write after close did not trap")
}

/// exit-hook NAME HOW: creates NAME (recursive, one nested dictionary), keeps it in a global,
/// says "created", ends as HOW says
func exitHook() throws {
    let name = options.name
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
        DispatchQueue.concurrentPerform(iterations: 4) { index in
            do {
                keptUntilExit.keep(try attach(String.self, Int.self, named: "\(name)_t\(index)", create: true))
            } catch {
                fail("thread \(index): \(error)")
            }
        }
    case "fork":  // a forked child creates NAME_child and exits first, through the exit hook; then the parent looks and returns
        let child = fork()
        if child == 0 {
            keptUntilExit.keep(try attach(String.self, Int.self, named: name + "_child", create: true))
            exit(0)
        }
        var status: Int32 = 0
        waitpid(child, &status, 0)
        let again = try attach(UltraValue.self, UltraValue.self, recurse: true)
        say("after the child's exit: \(try again.value(forKey: "tree") == ["leaf": 1] ? "present" : "changed")")
    case "fork-close":  // a forked child closes its copy of the creator's handle and exits; then the parent looks and returns
        let child = fork()
        if child == 0 {
            d.close()
            _exit(0)
        }
        var status: Int32 = 0
        waitpid(child, &status, 0)
        let again = try attach(UltraValue.self, UltraValue.self, recurse: true)
        say("after the child's close: \(try again.value(forKey: "tree") == ["leaf": 1] ? "present" : "changed")")
    default: fail("unknown ending \(rest[0])")
    }
}
