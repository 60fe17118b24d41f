import Foundation
import Testing
import UltraDict

/// Swift and Python UltraDict 0.0.6 processes sharing one dictionary: each test runs real Python
/// processes (`Python/agent.py` in `.venv`) beside this process and the Swift test helper, for
/// MessagePack and for JSON, with either language creating the dictionary.
@Suite("Interoperability with Python UltraDict 0.0.6")
struct InteropTests {
    @Test func pythonSideIsInstalled() throws {
        let check = try PythonSide.start([
            "-c",
            "import importlib.metadata as m, UltraDict, msgpack, atomics, psutil; print('ultradict', m.version('ultradict'))",
        ])
        let line = try check.readLine()
        #expect(check.waitForExit() == 0 && line == "ultradict 0.0.6", "\(line) \(check.errorOutput)")
    }

    @Test(arguments: InteropSerializer.allCases, Side.allCases)
    func everyValueTypeAndDeletesBothWays(serializer: InteropSerializer, creator: Side) throws {
        let s = InteropSession(serializer)
        defer { s.finish() }
        let (d, python): (UltraDict<String, UltraValue>, PythonAgent) = try s.open(creator: creator, bufferSize: 1 << 16)

        try python.run("set py.")
        try Corpus.expect(in: d, prefix: "py.", serializer: serializer)
        try Corpus.set(in: d, prefix: "sw.", serializer: serializer)
        try python.run("expect sw.")

        try python.run("delete sw.int sw.bytes sw.list")
        try d.removeValue(forKey: "py.unicode")
        try d.removeValue(forKey: "py.none")
        try python.run("expect-absent py.unicode py.none")
        try d.applyUpdates()
        #expect(!d.contains("sw.int") && !d.contains("sw.bytes") && !d.contains("sw.list"))
        #expect(d.count == 2 * Corpus.values(for: serializer).count - 5)
        #expect(try s.dumpCounter(d) == 0, "everything should have gone through the stream")
    }

    @Test(arguments: InteropSerializer.allCases, Side.allCases)
    func fullDumpsFromEitherSide(serializer: InteropSerializer, creator: Side) throws {
        try exerciseFullDumps(serializer: serializer, creator: creator, fullDumpSize: nil)
    }

    @Test(arguments: InteropSerializer.allCases, Side.allCases)
    func staticFullDump(serializer: InteropSerializer, creator: Side) throws {
        try exerciseFullDumps(serializer: serializer, creator: creator, fullDumpSize: 8192)
    }

    /// Both sides write the corpus into a 256-byte stream, so that their writes dump; then deletes
    /// on both sides, a dump forced by Python, and one forced by Swift with a value larger than the stream.
    func exerciseFullDumps(serializer: InteropSerializer, creator: Side, fullDumpSize: Int?) throws {
        let s = InteropSession(serializer)
        defer { s.finish() }
        let (d, python): (UltraDict<String, UltraValue>, PythonAgent) = try s.open(creator: creator, bufferSize: 256, fullDumpSize: fullDumpSize)

        try python.run("set py.")
        let afterPython = try s.dumpCounter(python)
        #expect(afterPython > 0, "Python's writes should have dumped")
        try Corpus.expect(in: d, prefix: "py.", serializer: serializer)
        try Corpus.set(in: d, prefix: "sw.", serializer: serializer)
        let afterSwift = try s.dumpCounter(d)
        #expect(afterSwift > afterPython, "Swift's writes should have dumped")
        try python.run("expect sw.")
        try python.run("expect py.")

        let deleted = ["py.int", "sw.list", "py.bytes", "sw.dict"]
        try python.run("delete py.int sw.list")
        try d.removeValue(forKey: "py.bytes")
        try d.removeValue(forKey: "sw.dict")
        try python.run("expect-absent " + deleted.joined(separator: " "))
        try python.run("dump")
        #expect(try s.dumpCounter(d) > afterSwift)
        try d.applyUpdates()
        #expect(deleted.allSatisfy { !d.contains($0) })
        #expect(d.count == 2 * Corpus.values(for: serializer).count - deleted.count)

        let values = Corpus.values(for: serializer)
        for key in deleted { try d.updateValue(values[String(key.dropFirst(3))]!, forKey: key) }
        let beforeBig = try s.dumpCounter(d)
        try d.updateValue(.string(String(repeating: "x", count: 300)), forKey: "big")
        #expect(try s.dumpCounter(d) == beforeBig + 1, "a record larger than the stream must dump")
        try python.run("expect py.")
        try python.run("expect sw.")
        #expect(try python.status().counter == s.dumpCounter(d))
        if fullDumpSize != nil {
            #expect(try d.status().fullDumpName == s.name + "_full")
            #expect(try python.status().dumpName == s.name + "_full")
        }
    }

    @Test(arguments: InteropSerializer.allCases, Side.allCases)
    func intKeysThroughFullDumps(serializer: InteropSerializer, creator: Side) throws {
        let s = InteropSession(serializer)
        defer { s.finish() }
        let (d, python): (UltraDict<UltraValue, UltraValue>, PythonAgent) = try s.open(creator: creator, bufferSize: 256)

        try python.run("write-range 0 50")
        for i in 50..<100 { try d.updateValue(.int(Int64(i)), forKey: .int(Int64(i))) }
        #expect(try s.dumpCounter(d) > 0)
        let pythonKeys = try python.run("expect-range 0 100")
        try python.run("dump")
        try d.applyUpdates()
        switch serializer {
        case .msgpack, .pickle:
            // Python reads int keys of a MessagePack full dump only with strict_map_key=False (the
            // wrapper); pickle keeps every key's type.
            #expect(pythonKeys == "key types int")
            #expect(d.snapshot == Dictionary(uniqueKeysWithValues: (0..<100).map { (UltraValue.int($0), UltraValue.int($0)) }))
        case .json:
            // JSON object keys are strings: after a full dump both languages see "7" for 7.
            #expect(pythonKeys.contains("str"))
            #expect(d.snapshot == Dictionary(uniqueKeysWithValues: (0..<100).map { (UltraValue.string(String($0)), UltraValue.int($0)) }))
        }
        // A Swift handle keyed by Int reads them back as ints, with either serializer.
        let typed: UltraDict<Int, Int> = try s.swift(create: false)
        #expect(typed.snapshot == Dictionary(uniqueKeysWithValues: (0..<100).map { ($0, $0) }))
    }

    @Test(arguments: InteropSerializer.allCases, Side.allCases)
    func readerLaggingSeveralDumpsBehind(serializer: InteropSerializer, lagging: Side) throws {
        let s = InteropSession(serializer)
        defer { s.finish() }
        switch lagging {
        case .python:
            let d: UltraDict<String, Int> = try s.swift(create: true, bufferSize: 128)
            try d.updateValue(0, forKey: "value")
            let python = try s.python()
            #expect(try python.run("get-int value") == "0")
            let before = try s.dumpCounter(d)
            var value = 0
            while try s.dumpCounter(d) < before + 5 {
                value += 1
                try d.updateValue(value, forKey: "value")
            }
            for _ in 0..<3 {  // and records after the last dump
                value += 1
                try d.updateValue(value, forKey: "value")
            }
            #expect(try python.run("get-int value") == String(value))
            #expect(try s.dumpCounter(python) == s.dumpCounter(d))
        case .swift:
            let python = try s.python(create: (bufferSize: 128, fullDumpSize: nil))
            try python.run("count-up value 1")
            let d: UltraDict<String, Int> = try s.swift(create: false)
            #expect(try d.value(forKey: "value") == 1)
            try python.run("count-up value 200")
            #expect(try s.dumpCounter(python) >= 5)
            #expect(try d.value(forKey: "value") == 200)
            #expect(try s.dumpCounter(d) == s.dumpCounter(python))
        }
    }

    @Test(arguments: InteropSerializer.allCases)
    func twoPythonAndTwoSwiftProcessesCountExactlyUnderTheSharedLock(serializer: InteropSerializer) throws {
        let s = InteropSession(serializer)
        defer { s.finish() }
        // A small stream, so that the writers of both languages also dump under contention.
        let d: UltraDict<String, Int> = try s.swift(create: true, bufferSize: 4096)
        try d.updateValue(0, forKey: "counter")
        let pythons = try (0..<2).map { _ in try s.python() }
        let command = "increment counter 10000"
        for python in pythons { python.start(command) }
        let helpers = try (0..<2).map { _ in
            try LineProcess(SwiftHelper.executable, ["increment", s.name, "counter", "10000", "--serializer", serializer.rawValue])
        }
        for helper in helpers {
            let line = try helper.readLine()
            #expect(helper.waitForExit() == 0 && line.hasPrefix("value "), "\(line) \(helper.errorOutput)")
        }
        for python in pythons { _ = try python.answer(to: command) }
        #expect(try d.value(forKey: "counter") == 40_000)
        #expect(try pythons[0].run("get-int counter") == "40000")
        #expect(try s.dumpCounter(d) > 0)
    }

    @Test(arguments: InteropSerializer.allCases)
    func swiftTakesTheLockOverFromAKilledPythonHolder(serializer: InteropSerializer) throws {
        let s = InteropSession(serializer)
        defer { s.finish() }
        let d: UltraDict<String, Int> = try s.swift(create: true)
        let holder = try s.python()
        let holding = try holder.run("hold-lock")
        let pid = holder.process.process.processIdentifier
        #expect(holding == "holding \(pid)")

        // A live Python owner is never robbed, with or without stealAfterTimeout.
        for steal in [false, true] {
            let error = #expect(throws: UltraDictError.self) {
                try d.withLock(timeout: .milliseconds(200), stealAfterTimeout: steal) { _ in }
            }
            #expect(error?.code == .lockTimeout)
            #expect(error?.message.contains("pid \(pid)") == true, "\(String(describing: error))")
        }

        holder.process.kill(SIGKILL)
        #expect(holder.process.waitForExit() == SIGKILL)
        let started = ContinuousClock.now
        try d.withLock(timeout: .seconds(1), stealAfterTimeout: true) { d in _ = try d.updateValue(1, forKey: "after") }
        #expect(ContinuousClock.now - started < .seconds(5))

        // The lock works for Python again, and Python sees what Swift wrote.
        let next = try s.python()
        try next.run("lock")
        #expect(try next.run("get-int after") == "1")
    }

    @Test(arguments: InteropSerializer.allCases)
    func pythonTakesTheLockOverFromAKilledSwiftHolder(serializer: InteropSerializer) throws {
        let s = InteropSession(serializer)
        defer { s.finish() }
        let d: UltraDict<String, Int> = try s.swift(create: true)
        let python = try s.python()
        let holder = try LineProcess(SwiftHelper.executable, ["hold-lock-and-wait", s.name, "--serializer", serializer.rawValue])
        #expect(try holder.readLine() == "holding \(holder.process.processIdentifier)")

        // Python refuses to take the lock from a live owner.
        let error = #expect(throws: InteropFailure.self) { try python.run("lock steal") }
        #expect(error?.description.contains("still alive") == true, "\(String(describing: error))")

        holder.kill(SIGKILL)
        #expect(holder.waitForExit() == SIGKILL)
        try python.run("lock steal")
        try python.run("count-up after 1")
        // Python released the lock it took over: Swift takes it without a take-over.
        try d.withLock(timeout: .seconds(1)) { d in #expect(d["after"] == 1) }
    }

    @Test(arguments: InteropSerializer.allCases)
    func pythonDefaultLockNeedsProcessLocalLockInSwift(serializer: InteropSerializer) throws {
        let s = InteropSession(serializer)
        defer { s.finish() }
        let python = try s.python(create: (bufferSize: 1 << 16, fullDumpSize: nil), sharedLock: false)
        try python.run("write-range 0 10")

        let error = #expect(throws: UltraDictError.self) {
            let _: UltraDict<Int, Int> = try s.swift(create: false)
        }
        #expect(error?.code == .parameterMismatch)
        let d: UltraDict<Int, Int> = try s.swift(create: false, lock: ProcessLocalLock.self)
        #expect(d.snapshot == Dictionary(uniqueKeysWithValues: (0..<10).map { ($0, $0) }))
    }

    @Test(arguments: InteropSerializer.allCases)
    func swiftProcessLocalLockRefusesPythonSharedLock(serializer: InteropSerializer) throws {
        let s = InteropSession(serializer)
        defer { s.finish() }
        let d: UltraDict<Int, Int> = try s.swift(create: true, lock: ProcessLocalLock.self)
        try d.updateValue(0, forKey: 0)

        let error = #expect(throws: InteropFailure.self) { try s.python(sharedLock: true) }
        #expect(error?.description.contains("ParameterMismatch") == true, "\(String(describing: error))")
        let python = try s.python(sharedLock: false)
        #expect(try python.run("expect-range 0 1") == "key types int")
    }
}

/// The Swift test helper, built beside the test bundle.
enum SwiftHelper {
    /// `UltraDictTestHelper` in the directory of this test process's executable.
    static let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("UltraDictTestHelper")
}
