import ArgumentParser
import Foundation
import UltraDict
import _UltraDictSerializerRegistry

/// One worker: a random mix of operations until its time is up. Before each write, delete or
/// increment it prints an intent line, and after it returns an acknowledgment line, so that the
/// parent knows which operations completed and which one a kill may have cut short.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run one soak worker (started by the soak itself).",
        shouldDisplay: false
    )

    @Argument(help: "The dictionary's name.") var name: String
    @Option(help: "The slot whose keys this worker writes.") var slot: Int
    @Option(help: "Keys per slot.") var keysPerSlot: Int
    @Option(help: "Slots in all (the keys read come from every slot).") var slots: Int
    @Option(help: "A number unique to this worker process, put in the values it writes.") var incarnation: Int
    @Option(help: "How long to run.") var milliseconds: Int
    @Option(help: "The dictionary's serializer.") var serializer: SerializerChoice = .msgpack

    /// How long a writer waits for the lock before it takes it over from a dead owner.
    static let lockTimeout: Duration = .milliseconds(100)
    /// Reads are reported in batches of this many.
    static let readBatch = 1000

    func run() throws {
        let d = try serializer.open(name, create: false)
        let own = keys(ofSlot: slot, count: keysPerSlot)
        let everyKey = (0..<slots).flatMap { keys(ofSlot: $0, count: keysPerSlot) } + [counterKey]
        let end = ContinuousClock.now + .milliseconds(milliseconds)
        var (sequence, reads, lastCounter) = (0, 0, 0)
        while ContinuousClock.now < end {
            switch Int.random(in: 0..<100) {
            case 0..<40:
                let key = everyKey.randomElement()!
                let value = try retryingTimeouts { try d.value(forKey: key) }
                if key == counterKey, let value {
                    if value < lastCounter { say("violation counter went back from \(lastCounter) to \(value)") }
                    lastCounter = value
                }
                reads += 1
                if reads == Self.readBatch {
                    say("reads \(reads)")
                    reads = 0
                }
            case 40..<65:
                sequence += 1
                let (key, value) = (own.randomElement()!, incarnation * 1_000_000 + sequence)
                try acknowledged("set \(key) \(value)") { d in _ = try d.updateValue(value, forKey: key) }
            case 65..<75:
                let key = own.randomElement()!
                try acknowledged("del \(key)") { d in _ = try d.removeValue(forKey: key) }
            default:
                try acknowledged("inc") { d in d[counterKey] = (d[counterKey] ?? 0) + 1 }
            }
        }
        say("reads \(reads)")
        say("done")

        /// Says `intent OPERATION`, runs `body` under the lock (taking it over from a dead owner),
        /// then says `ack OPERATION`.
        func acknowledged(_ operation: String, _ body: (UltraDict<String, Int>) throws -> Void) throws {
            say("intent \(operation)")
            try retryingTimeouts { try d.withLock(timeout: Self.lockTimeout, stealAfterTimeout: true, body) }
            say("ack \(operation)")
        }
    }

    /// Runs `body` again while it times out waiting for a lock that a live process holds.
    private func retryingTimeouts<Result>(_ body: () throws -> Result) throws -> Result {
        while true {
            do {
                return try body()
            } catch UltraDictError.lockTimeout {
                continue
            }
        }
    }

    /// Prints a line with one `write`, so that a kill never leaves half of it in the pipe.
    private func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
