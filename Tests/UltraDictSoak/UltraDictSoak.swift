// The soak test (issue 9, item 6): processes of mixed reads, writes, deletes and locked
// increments on one dictionary, SIGKILLed at random and respawned; the invariants are checked at
// the end. `swift run UltraDictSoak --help`; Docs/RELIABILITY.md describes the runs.
import ArgumentParser
import Foundation
import UltraDict
import _UltraDictSerializerRegistry

@main
struct UltraDictSoak: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "UltraDictSoak",
        abstract: "Soak a dictionary with killed and respawned processes, then check that nothing acknowledged was lost.",
        subcommands: [SoakCommand.self, WorkerCommand.self],
        defaultSubcommand: SoakCommand.self
    )
}

extension SerializerChoice {
    /// Opens the soak's dictionary with this serializer: creates it with `bufferSize` and
    /// `fullDumpSize` when `create`, else attaches it.
    func open(_ name: String, create: Bool, bufferSize: Int = UltraDict<String, Int>.defaultBufferSize, fullDumpSize: Int? = nil) throws -> UltraDict<String, Int> {
        let serializer = make(integerKeys: false)
        let dictionary = try UltraDict<String, Int>(name: name, create: create, bufferSize: bufferSize, fullDumpSize: fullDumpSize, serializer: serializer)
        // Falling behind dumps and repairing killed writers' publications is what a soak does.
        dictionary.logger.logLevel = .error
        return dictionary
    }
}

/// The key a soak's locked increments count in.
let counterKey = "counter"

/// The keys that the worker in `slot` writes and deletes (whichever process runs in it).
func keys(ofSlot slot: Int, count: Int) -> [String] {
    (0..<count).map { "s\(slot)k\($0)" }
}
