import ArgumentParser
import Foundation
import UltraDict
import _UltraDictSerializerRegistry
import UltraDictTransport

/// The soak: creates a dictionary, keeps `--processes` workers running on it, SIGKILLs one at
/// random every `--kill-interval-ms` or so and starts another in its slot, and at the end checks
/// the dictionary against what the workers acknowledged, that none of its segments and none of
/// this process's descriptors are left, and that killed writers orphaned no dump segment.
struct SoakCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the soak (the default subcommand); the last line is 'soak: N operations, K kills, V violations'."
    )

    @Option(help: "How long the workers run, in seconds.") var seconds: Double = 20
    @Option(help: "Worker processes running at a time.") var processes = 8
    @Option(help: "Mean milliseconds between two kills.") var killIntervalMs = 200
    @Option(help: "The dictionary's serializer.") var serializer: SerializerChoice = .msgpack
    @Option(help: "Bytes of a static full dump rewritten in place; by default each dump is a new segment.") var staticDumpSize: Int?
    @Option(help: "Bytes of the update stream: small, so that writers publish full dumps often.") var bufferSize = 4096
    @Option(help: "Keys each slot writes and deletes.") var keysPerProcess = 16
    @Option(help: "Seconds a worker may run past its time before it counts as hung.") var graceSeconds = 30

    func run() throws {
        let descriptorsBefore = openDescriptors()
        let segmentsBefore = Set(sharedMemorySegments())
        let name = SegmentName.random(prefix: "udsoak_")
        var ledger = Ledger()
        var violations: [String] = []
        var (kills, dumps) = (0, 0)
        do {
            let d = try serializer.open(name, create: true, bufferSize: bufferSize, fullDumpSize: staticDumpSize)
            defer { d.unlink() }
            let end = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
            var incarnations = 0
            func spawn(_ slot: Int) throws -> WorkerProcess {
                incarnations += 1
                let remaining = max(0, Int((end - .now) / .milliseconds(1)))
                return try WorkerProcess(slot: slot, incarnation: incarnations, arguments: [
                    name, "--slot", "\(slot)", "--keys-per-slot", "\(keysPerProcess)", "--slots", "\(processes)",
                    "--incarnation", "\(incarnations)", "--milliseconds", "\(remaining)", "--serializer", serializer.description,
                ])
            }
            func collect(_ worker: WorkerProcess) {
                let (lines, signal) = worker.finish()
                let killed = worker.killed && signal == SIGKILL
                if signal != nil && !killed { violations.append("\(worker.label) died of signal \(signal!)") }
                ledger.record(lines, worker: worker.label, killed: killed)
            }

            var running = try (0..<processes).map(spawn)
            let interval = Double(killIntervalMs) / 1000
            while ContinuousClock.now + .milliseconds(killIntervalMs) < end {
                Thread.sleep(forTimeInterval: interval * Double.random(in: 0.5...1.5))
                let slot = Int.random(in: 0..<processes)
                if running[slot].kill() { kills += 1 }
                collect(running[slot])
                running[slot] = try spawn(slot)
            }
            let patience = end + .seconds(graceSeconds)
            for worker in running {
                while worker.isRunning && ContinuousClock.now < patience { Thread.sleep(forTimeInterval: 0.05) }
                if worker.isRunning {
                    violations.append("\(worker.label) still ran \(graceSeconds) s after its time")
                    _ = worker.kill()
                }
                collect(worker)
            }

            do {
                try d.applyUpdates()
                violations += ledger.check(d.snapshot)
                dumps = try d.status().fullDumpCounter
            } catch {
                violations.append("the final read failed: \(error)")
            }
        }
        violations += ledger.violations

        let leftovers = sharedMemorySegments().filter { $0.hasPrefix(name) }
        if !leftovers.isEmpty { violations.append("segments left after unlinking: \(leftovers)") }
        let orphans = Set(sharedMemorySegments()).subtracting(segmentsBefore).filter(SegmentName.isDumpName).sorted()
        let removed = orphans.filter(removeIfOrphaned)
        if !removed.isEmpty { violations.append("dump segments orphaned by killed writers (now removed): \(removed)") }
        let descriptorsAfter = openDescriptors()
        if descriptorsAfter.count != descriptorsBefore.count {
            violations.append("open descriptors went from \(descriptorsBefore.count) to \(descriptorsAfter.count): \(descriptorsAfter.subtracting(descriptorsBefore).sorted())")
        }

        for violation in violations { print("violation: \(violation)") }
        print("""
            soak details: \(serializer.description), \(dumps) \(staticDumpSize.map { "full dumps in place (\($0) bytes)" } ?? "dynamic full dumps"), \
            \(ledger.increments) increments acknowledged (+\(ledger.unconfirmedIncrements) cut short), \
            \(orphans.count - removed.count) new dump segments in use or not ours
            """)
        print("soak: \(ledger.operations) operations, \(kills) kills, \(violations.count) violations")
        if !violations.isEmpty { throw ExitCode.failure }
    }

    /// The names in /dev/shm.
    private func sharedMemorySegments() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? []
    }

    /// This process's open descriptors of files and pipes, each as its number and what it refers
    /// to. The runtime's own event machinery is left out: Dispatch's epoll, eventfd and timerfd
    /// descriptors and Foundation's process-monitor sockets are created on first use and kept.
    private func openDescriptors() -> Set<String> {
        let directory = "/proc/self/fd"
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return Set(descriptors.compactMap { fd in
            // The descriptor that listed the directory is gone by now, and has no target.
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/\(fd)"),
                  !target.hasPrefix("anon_inode:"), !target.hasPrefix("socket:") else { return nil }
            return "\(fd) -> \(target)"
        })
    }

    /// Removes the dump segment `name` through `ultradict clean`, which removes it only if no
    /// control block names it and no process uses it; returns whether it did. Without the
    /// `ultradict` executable beside this one, removes nothing.
    private func removeIfOrphaned(_ name: String) -> Bool {
        let tool = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("ultradict")
        let process = Process()
        let output = Pipe()
        process.executableURL = tool
        process.arguments = ["clean", "--prefix", name]
        process.standardOutput = output
        guard (try? process.run()) != nil else { return false }
        let text = output.fileHandleForReading.readDataToEndOfFile()
        try? output.fileHandleForReading.close()
        process.waitUntilExit()
        let entries = (try? JSONSerialization.jsonObject(with: text)) as? [[String: Any]] ?? []
        return entries.contains { $0["kind"] as? String == "dump" && $0["name"] as? String == name }
    }
}
