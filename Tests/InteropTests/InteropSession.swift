import Foundation
import Testing
import UltraDict
import UltraDictJSON
import UltraDictPickle

/// The serializers both languages share, by the names `Python/agent.py` and the test helper take.
enum InteropSerializer: String, CaseIterable, Sendable {
    /// MessagePack: `MessagePackSerializer` here, the `MessagePack` wrapper in Python.
    case msgpack
    /// JSON: `JSONSerializer` here, the `JSON` wrapper (bytes tagged as `$bytes`) in Python.
    case json
    /// Pickle: `PickleSerializer` here, Python UltraDict's default (the `pickle` module) there.
    case pickle

    /// Opens the dictionary `name` with this serializer: creates it when `create`, else attaches.
    func open<Key, Value, Lock: SharedMemoryLock>(
        _ name: String,
        create: Bool,
        bufferSize: Int,
        fullDumpSize: Int?,
        lock: Lock.Type
    ) throws -> UltraDict<Key, Value> {
        switch self {
        case .msgpack:
            try UltraDict(name: name, create: create, bufferSize: bufferSize, fullDumpSize: fullDumpSize, serializer: MessagePackSerializer(), lock: lock)
        case .json:
            try UltraDict(name: name, create: create, bufferSize: bufferSize, fullDumpSize: fullDumpSize, serializer: JSONSerializer(keyType: Key.self), lock: lock)
        case .pickle:
            try UltraDict(name: name, create: create, bufferSize: bufferSize, fullDumpSize: fullDumpSize, serializer: PickleSerializer(), lock: lock)
        }
    }
}

/// A language's side of a test: which one creates the dictionary, or lags behind.
enum Side: String, CaseIterable, Sendable {
    /// A Python UltraDict 0.0.6 process.
    case python
    /// This test process.
    case swift
}

/// A Python UltraDict 0.0.6 process (`Python/agent.py`) driven one command at a time.
final class PythonAgent {
    /// The Python process.
    let process: LineProcess

    /// Starts an agent on the dictionary `name`: creating it with `create`'s sizes, else attaching.
    /// `sharedLock` passes `shared_lock=True`; otherwise a creator takes Python's process-local
    /// lock and an attacher the creator's. Throws Python's error if it cannot open the dictionary.
    /// A creator with `recurse` nests dictionaries, and with `keep` does not unlink when it closes.
    init(
        _ name: String, serializer: InteropSerializer, create: (bufferSize: Int, fullDumpSize: Int?)?, sharedLock: Bool,
        recurse: Bool = false, keep: Bool = false
    ) throws {
        var arguments = [PythonSide.scripts.appendingPathComponent("agent.py").path, name, "--serializer", serializer.rawValue]
        if let create {
            arguments += ["--create", "--buffer-size", String(create.bufferSize)]
            if let size = create.fullDumpSize { arguments += ["--full-dump-size", String(size)] }
            if recurse { arguments.append("--recurse") }
            if keep { arguments.append("--keep") }
        }
        if sharedLock { arguments.append("--shared-lock") }
        process = try PythonSide.start(arguments)
        let first = try process.readLine()
        guard first.hasPrefix("ready ") else {
            process.kill()
            throw InteropFailure("Python could not open '\(name)': \(first) \(process.errorOutput)")
        }
    }

    /// Runs `command` (see `agent.py`) and returns the text after "ok"; throws Python's error.
    @discardableResult
    func run(_ command: String) throws -> String {
        start(command)
        return try answer(to: command)
    }

    /// Sends `command` without waiting for its answer; collect it with ``answer(to:timeout:)``.
    func start(_ command: String) {
        process.send(command)
    }

    /// The answer to the `command` sent last: the text after "ok"; throws Python's error.
    func answer(to command: String, timeout: Duration = .seconds(120)) throws -> String {
        let answer = try process.readLine(timeout: timeout)
        guard answer == "ok" || answer.hasPrefix("ok ") else { throw InteropFailure("Python `\(command)`: \(answer)") }
        return String(answer.dropFirst(3))
    }

    /// Python's view of the control block: the full-dump counter and the current dump's name.
    func status() throws -> (counter: Int, dumpName: String?) {
        let words = try run("status").split(separator: " ")  // counter C position P dump NAME
        guard words.count == 6, let counter = Int(words[1]) else { throw InteropFailure("Python status: \(words)") }
        return (counter, words[5] == "-" ? nil : String(words[5]))
    }

    /// Closes the dictionary unlinking it (Python's `close(unlink=True)`: with recursion, the
    /// nested dictionaries and the register too) and checks that the process exits cleanly.
    func unlink() throws {
        try run("unlink")
        try expectCleanExit()
    }

    /// Closes the dictionary (a creator unlinks its segments) and checks that the process exits
    /// cleanly, without a word on standard error (no traceback, no resource_tracker warning).
    func close() throws {
        guard process.process.isRunning else { return }
        try run("close")
        try expectCleanExit()
    }

    /// Waits for the process to exit, and throws unless it exited with 0 and said nothing on
    /// standard error (no traceback, no resource_tracker warning).
    private func expectCleanExit() throws {
        let status = process.waitForExit()
        let errors = process.errorOutput
        guard status == 0, errors.isEmpty else { throw InteropFailure("Python agent exited with \(status): \(errors)") }
    }
}

/// One test's dictionary and the processes around it. ``finish(sourceLocation:)`` closes them
/// all and checks that no segment is left, the full dumps seen on the way included.
final class InteropSession {
    /// The serializer of both sides.
    let serializer: InteropSerializer
    /// A fresh random name, so that runs never collide.
    let name = "udinterop_\(UInt32.random(in: .min ... .max))"
    private var agents: [PythonAgent] = []
    private var closeHandles: [() -> Void] = []
    private var dumpNames: Set<String> = []

    /// A session whose processes all use `serializer`.
    init(_ serializer: InteropSerializer) {
        self.serializer = serializer
    }

    /// Starts a Python agent on this session's dictionary (see ``PythonAgent/init(_:serializer:create:sharedLock:)``).
    func python(create: (bufferSize: Int, fullDumpSize: Int?)? = nil, sharedLock: Bool = true) throws -> PythonAgent {
        let agent = try PythonAgent(name, serializer: serializer, create: create, sharedLock: sharedLock)
        agents.append(agent)
        return agent
    }

    /// Opens this session's dictionary in this process: creates it when `create`, else attaches.
    func swift<Key, Value, Lock: SharedMemoryLock>(
        _: Key.Type = Key.self,
        _: Value.Type = Value.self,
        create: Bool,
        bufferSize: Int = 1 << 16,
        fullDumpSize: Int? = nil,
        lock: Lock.Type = SharedSpinLock.self
    ) throws -> UltraDict<Key, Value> {
        let d: UltraDict<Key, Value> = try serializer.open(name, create: create, bufferSize: bufferSize, fullDumpSize: fullDumpSize, lock: lock)
        closeHandles.append { d.close() }
        return d
    }

    /// Opens the dictionary on both sides, `creator` first (with the shared lock), and returns
    /// the Swift handle and the Python agent.
    func open<Key, Value>(
        _: Key.Type = Key.self,
        _: Value.Type = Value.self,
        creator: Side,
        bufferSize: Int,
        fullDumpSize: Int? = nil
    ) throws -> (UltraDict<Key, Value>, PythonAgent) {
        switch creator {
        case .python:
            let python = try python(create: (bufferSize, fullDumpSize))
            return (try swift(create: false), python)
        case .swift:
            let d: UltraDict<Key, Value> = try swift(create: true, bufferSize: bufferSize, fullDumpSize: fullDumpSize)
            return (d, try python())
        }
    }

    /// The full-dump counter as the Swift handle sees it; remembers the dump's name.
    func dumpCounter<Key, Value>(_ d: UltraDict<Key, Value>) throws -> Int {
        let status = try d.status()
        if let dump = status.fullDumpName { dumpNames.insert(dump) }
        return status.fullDumpCounter
    }

    /// The full-dump counter as the Python agent sees it; remembers the dump's name.
    func dumpCounter(_ python: PythonAgent) throws -> Int {
        let status = try python.status()
        if let dump = status.dumpName { dumpNames.insert(dump) }
        return status.counter
    }

    /// Closes every agent and handle (the creator unlinks), then expects that neither the
    /// dictionary's segments nor any full dump seen remain, and removes whatever does.
    func finish(sourceLocation: SourceLocation = #_sourceLocation) {
        for agent in agents {
            do {
                try agent.close()
            } catch {
                Issue.record(error, sourceLocation: sourceLocation)
                agent.process.kill()
            }
        }
        for close in closeHandles { close() }
        let shm = URL(fileURLWithPath: "/dev/shm")
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: shm.path)) ?? []
        let leftovers = entries.filter { $0.hasPrefix(name) || dumpNames.contains($0) }
        #expect(leftovers.isEmpty, "segments left in /dev/shm", sourceLocation: sourceLocation)
        for leftover in leftovers { try? FileManager.default.removeItem(at: shm.appendingPathComponent(leftover)) }
    }
}
