import Foundation
import Testing

/// A fresh random dictionary name, `udtest_LABEL_NUMBER`, so that runs never collide and a leaked
/// segment names the test that left it (`label` is the calling function's name up to its first
/// character that is not a letter or digit).
package func uniqueName(_ label: String = #function) -> String {
    let prefix = label.prefix { $0.isLetter || $0.isNumber }
    return "udtest_\(prefix)_\(UInt32.random(in: .min ... .max))"
}

/// The segments in `directory` (/dev/shm) whose name starts with `name` (the dictionary's own
/// and derived ones).
///
/// When the directory cannot be listed, records an issue and returns one made-up name that says
/// why, so that a leak check (`segments(of: name).isEmpty`) fails loudly rather than passing unseen.
package func segments(of name: String, in directory: String = "/dev/shm", sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
    do {
        return try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix(name) }
    } catch {
        Issue.record(error, "cannot list \(directory), so the segments of '\(name)' cannot be checked", sourceLocation: sourceLocation)
        return ["<cannot list \(directory): \(error)>"]
    }
}
