import Foundation
import Testing
import _UltraDictTestSupport
@testable import UltraDictTransport

/// A store for one test: POSIX shared memory, or a synchronous file store in a fresh
/// ``ScratchDirectory``, which ``remove()`` deletes with whatever is left in it.
struct ScratchStore {
    let kind: TestStore
    let store: any SegmentStore
    private let directory: ScratchDirectory?

    init(_ kind: TestStore) throws {
        self.kind = kind
        directory = kind == .files ? try ScratchDirectory() : nil
        store = directory.map { FileStore(directory: $0.path, durability: .synchronous) } ?? SharedMemoryStore()
    }

    /// The call that opens a segment of this store.
    var openCall: String { kind == .sharedMemory ? "shm_open" : "open" }

    /// The segments of this store whose names start with `prefix` (the shared leak check).
    func segments(of prefix: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        _UltraDictTestSupport.segments(of: prefix, in: store.directory, sourceLocation: sourceLocation)
    }

    /// Deletes a file store's directory (shared memory is left to the test's own unlinks).
    func remove() { directory?.remove() }
}
