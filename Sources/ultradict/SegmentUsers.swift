#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Which live processes use which segments of a store's directory, read from `/proc` (Linux).
///
/// A process uses a segment when it maps it (a line of `/proc/PID/maps`) or holds it open (a
/// descriptor in `/proc/PID/fd`, as between `shm_open` and `mmap`). Segments are matched by
/// inode, so a process that still maps a deleted segment does not count as using a new one of
/// the same name. Processes whose `/proc` entries this user may not read are not seen: run as
/// the segments' owner or as root.
struct SegmentUsers {
    private let pidsByInode: [UInt64: [Int32]]

    /// Scans every process but this one for files of `directory`.
    init(of directory: SegmentDirectory) {
        let prefix = directory.path.hasSuffix("/") ? directory.path : directory.path + "/"
        let me = getpid()
        var pidsByInode: [UInt64: Set<Int32>] = [:]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = Int32(entry), pid != me else { continue }
            for inode in Self.mappedInodes(of: pid, under: prefix).union(Self.openInodes(of: pid, under: prefix)) {
                pidsByInode[inode, default: []].insert(pid)
            }
        }
        self.pidsByInode = pidsByInode.mapValues { $0.sorted() }
    }

    /// The processes that use `segment`, sorted.
    func pids(using segment: SegmentDirectory.Segment) -> [Int32] {
        pidsByInode[segment.inode] ?? []
    }

    /// The inodes of the files under `prefix` that `pid` maps: `/proc/PID/maps` lines are
    /// `address perms offset dev inode path`.
    private static func mappedInodes(of pid: Int32, under prefix: String) -> Set<UInt64> {
        guard let maps = FileHandle(forReadingAtPath: "/proc/\(pid)/maps")?.readDataToEndOfFile() else { return [] }
        var inodes: Set<UInt64> = []
        for line in String(decoding: maps, as: UTF8.self).split(separator: "\n") {
            // The path is padded on the left with spaces, which the split leaves on it.
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6, fields[5].drop(while: { $0 == " " }).hasPrefix(prefix),
                  let inode = UInt64(fields[4]) else { continue }
            inodes.insert(inode)
        }
        return inodes
    }

    /// The inodes of the files under `prefix` that `pid` holds open.
    private static func openInodes(of pid: Int32, under prefix: String) -> Set<UInt64> {
        let directory = "/proc/\(pid)/fd"
        var inodes: Set<UInt64> = []
        for descriptor in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            let link = directory + "/" + descriptor
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: link),
                  target.hasPrefix(prefix) else { continue }
            var info = stat()
            if stat(link, &info) == 0 { inodes.insert(UInt64(info.st_ino)) }
        }
        return inodes
    }
}
