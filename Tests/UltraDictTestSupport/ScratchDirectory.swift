import Foundation

/// A fresh directory under the temporary directory for one test's files (a file store's), which
/// ``remove()`` deletes with everything in it.
package struct ScratchDirectory: Sendable {
    /// The directory's path.
    package let path: String

    /// Creates the directory `udtest_files_NUMBER`; with `creating: false` only names it, for a
    /// test of a store that makes its directory itself.
    package init(creating: Bool = true) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("udtest_files_\(UInt32.random(in: .min ... .max))").path
        if creating { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false) }
    }

    /// The names of the files in the directory (none when it does not exist).
    package var files: [String] { (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] }

    /// Deletes the directory and what it holds.
    package func remove() { try? FileManager.default.removeItem(atPath: path) }
}
