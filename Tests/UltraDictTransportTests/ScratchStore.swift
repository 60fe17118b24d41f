import Foundation
import Testing
import _UltraDictTestSupport
@testable import UltraDictTransport

/// The stores every store-dependent test runs with.
enum StoreKind: String, CaseIterable, Sendable {
    case sharedMemory
    case files
}

/// A store for one test: POSIX shared memory, or a synchronous file store in a fresh
/// ``ScratchDirectory``, which ``remove()`` deletes with whatever is left in it.
struct ScratchStore {
    let kind: StoreKind
    let store: any SegmentStore
    private let directory: ScratchDirectory?

    init(_ kind: StoreKind) throws {
        self.kind = kind
        directory = kind == .files ? try ScratchDirectory() : nil
        store = directory.map { FileStore(directory: $0.path, durability: .synchronous) } ?? SharedMemoryStore()
    }

    /// The call that opens a segment of this store.
    var openCall: String { kind == .sharedMemory ? "shm_open" : "open" }

    /// The segments of this store whose names start with `prefix`; a leak check fails loudly
    /// when the directory cannot be listed.
    func segments(of prefix: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        do {
            return try store.names().filter { $0.hasPrefix(prefix) }
        } catch {
            Issue.record("cannot list \(store.directory): \(error)", sourceLocation: sourceLocation)
            return ["<unlistable \(store.directory)>"]
        }
    }

    /// Deletes a file store's directory (shared memory is left to the test's own unlinks).
    func remove() { directory?.remove() }
}
