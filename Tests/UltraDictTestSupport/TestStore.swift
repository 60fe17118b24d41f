import Testing

/// The stores that every store-dependent test runs with (the multi-process tests, as they run
/// with every serializer, and the transport's).
package enum TestStore: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// POSIX shared memory, `/dev/shm`.
    case sharedMemory
    /// A fresh scratch directory of files.
    case files

    package var testDescription: String { rawValue }
}
