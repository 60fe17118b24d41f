import Foundation
import UltraDictTransport

/// The segments of a store: for POSIX shared memory on Linux, the files of `/dev/shm`; for a
/// file store, the files of its directory.
struct SegmentDirectory {
    /// The directory, as `/proc` shows the paths of its files (symbolic links resolved).
    let path: String

    /// One segment, as `stat` saw it when the directory was read.
    struct Segment: Hashable {
        /// The POSIX name without the leading `/`.
        var name: String
        /// The size in bytes.
        var size: Int
        /// The inode, which tells this segment from a deleted one of the same name that a
        /// process still maps.
        var inode: UInt64
        /// The user id that owns it.
        var owner: UInt32
    }

    /// Every segment, by name.
    let segments: [String: Segment]

    /// Reads the directory of `store` now; throws when it cannot be read (not Linux, missing,
    /// or no permission).
    init(of store: any SegmentStore) throws {
        let manager = FileManager.default
        path = URL(fileURLWithPath: store.directory).resolvingSymlinksInPath().path
        let names: [String]
        do {
            names = try store.names()
        } catch {
            throw ToolError.failure(describe(error))
        }
        var segments: [String: Segment] = [:]
        for name in names {
            // A segment unlinked since the listing has no attributes: it is not there any more.
            guard let attributes = try? manager.attributesOfItem(atPath: path + "/" + name),
                  attributes[.type] as? FileAttributeType == .typeRegular,
                  let size = (attributes[.size] as? NSNumber)?.intValue,
                  let inode = (attributes[.systemFileNumber] as? NSNumber)?.uint64Value,
                  let owner = (attributes[.ownerAccountID] as? NSNumber)?.uint32Value else { continue }
            segments[name] = Segment(name: name, size: size, inode: inode, owner: owner)
        }
        self.segments = segments
    }

    /// The names of every dictionary, sorted: a dictionary's control segment is a 1000-byte
    /// segment `NAME` beside its update stream `NAME_memory`, whether Swift or Python made it.
    var dictionaryNames: [String] {
        segments.values
            .filter { $0.size == ControlLayout.size && segments[UpdateLog.streamName($0.name)] != nil }
            .map(\.name)
            .sorted()
    }

    /// The full-dump segments (`psm_` and 8 lowercase hex digits), sorted by name.
    var dumpSegmentNames: [String] {
        segments.keys.filter(SegmentName.isDumpName).sorted()
    }
}
