import Foundation
import Testing
import UltraDict
import _UltraDictSerializerRegistry
import _UltraDictTestSupport

/// Where one test's dictionaries live, and how each process of the test is told: nothing to say
/// for shared memory; for the file store, a fresh scratch directory, passed as `--directory` to
/// the test helper and to the `ultradict` tool. A test makes one, and ``remove()``s it at its end.
///
/// The file store is `.buffered` unless a test asks: a process crash loses nothing in either
/// durability, and a synchronous write costs about 300 µs on this disk, too slow for the tests
/// that write hundreds of thousands of times. The tool always writes synchronously.
struct StoreFixture {
    /// The scratch directory of the file store; `nil` for shared memory.
    let directory: ScratchDirectory?
    /// The store, as this process opens it.
    let store: UltraDictStore
    /// The test helper's options that name the store.
    let helperArguments: [String]

    init(_ kind: TestStore, durability: UltraDictStore.Durability = .buffered) throws {
        switch kind {
        case .sharedMemory:
            (directory, store, helperArguments) = (nil, .sharedMemory, [])
        case .files:
            let directory = try ScratchDirectory()
            self.directory = directory
            store = .files(in: directory.path, durability: durability)
            helperArguments = ["--directory", directory.path, "--durability", durability == .buffered ? "buffered" : "synchronous"]
        }
    }

    /// The directory that holds the segments: `/dev/shm`, or the scratch directory.
    var path: String { directory?.path ?? "/dev/shm" }

    /// Whether `ultradict clean` removes a dictionary whose creator is gone: in shared memory; a
    /// file store's dictionaries are meant to outlive their creators, and only `unlink` removes them.
    var cleanRemovesDictionaries: Bool { directory == nil }

    /// What `ultradict clean` prints when the dictionaries it found are `removable`: them, or
    /// none in a file store.
    func cleaned(_ removable: String) -> String { cleanRemovesDictionaries ? removable : "[]" }

    /// The `ultradict` tool's options that name the store.
    var toolArguments: [String] { directory.map { ["--directory", $0.path] } ?? [] }

    /// The segments of the store whose name starts with `name`: the leak check.
    func segments(of name: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        _UltraDictTestSupport.segments(of: name, in: path, sourceLocation: sourceLocation)
    }

    /// Expects the scratch directory to be empty (every test unlinks what it made, dumps
    /// included), and removes it.
    func remove(sourceLocation: SourceLocation = #_sourceLocation) {
        guard let directory else { return }
        #expect(directory.files.isEmpty, "left in the file store: \(directory.files)", sourceLocation: sourceLocation)
        directory.remove()
    }

    /// Creates a dictionary in this store with the serializer named `serializer` (as the test
    /// helper names them), sharing nested dictionaries when `recurse` is set, with a static full
    /// dump of `fullDumpSize` bytes if given; it unlinks itself when closed, in every store.
    func createDictionary<Key, Value>(
        _ name: String,
        serializer: String,
        bufferSize: Int = UltraDict<Key, Value>.defaultBufferSize,
        fullDumpSize: Int? = nil,
        recurse: Bool = false
    ) throws -> UltraDict<Key, Value> {
        guard let chosen = SerializerRegistry.serializer(serializer, keyType: Key.self) else {
            throw UltraDictError(.invalidArgument, "unknown serializer \(serializer)")
        }
        let configuration = UltraDictConfiguration(
            serializer: chosen, bufferSize: bufferSize, fullDumpSize: fullDumpSize, autoUnlink: true, recurse: recurse, store: store
        )
        return try UltraDict(name: name, create: true, configuration: configuration)
    }

    // MARK: Other processes

    /// Starts the test helper with `arguments` in this store.
    func helper(_ arguments: [String]) throws -> ChildProcess {
        try ChildProcess("UltraDictTestHelper", arguments + helperArguments)
    }

    /// Runs the test helper with `arguments` in this store, expects success, and returns its last line.
    @discardableResult
    func runHelper(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try runHelper(arguments, sourceLocation: sourceLocation)
    }

    /// Runs the test helper with `arguments` in this store, expects success, and returns its last line.
    @discardableResult
    func runHelper(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try runHelpersConcurrently([arguments], sourceLocation: sourceLocation)[0]
    }

    /// Runs several helpers at once in this store and returns their last lines, in order.
    @discardableResult
    func runHelpersConcurrently(_ argumentLists: [[String]], sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
        let children = try argumentLists.map(helper)
        return children.enumerated().map { index, child in
            let result = child.finish()
            #expect(result.status == 0, "helper \(argumentLists[index]) failed: \(result.errors)", sourceLocation: sourceLocation)
            return result.lastLine
        }
    }

    /// Starts the `ultradict` tool with `arguments` (a subcommand first) in this store.
    func tool(_ arguments: [String]) throws -> ChildProcess {
        // Right after the subcommand, where no `--` can have ended the options.
        try ChildProcess("ultradict", Array(arguments.prefix(1)) + toolArguments + arguments.dropFirst())
    }

    /// Runs the `ultradict` tool in this store; returns its exit status, its last line and its standard error.
    func ultradict(_ arguments: String...) throws -> (status: Int32, lastLine: String, errors: String) {
        try tool(arguments).finish()
    }
}
