#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import UltraDictCore

/// What a segment is to its dictionary.
package enum SegmentRole: String, Sendable {
    /// The control block `NAME`.
    case control
    /// The update stream `NAME_memory`.
    case stream
    /// The static full dump `NAME_full`.
    case staticFullDump
    /// The current dynamic full dump, `psm_xxxxxxxx`.
    case fullDump
    /// The dump of a publication under way or interrupted.
    case pendingFullDump
    /// The dynamic dump that the pending one replaces.
    case replacedFullDump
}

extension UpdateLog {
    /// The segments of the dictionary `name`, whose control block is `control` (`nil` when it
    /// cannot be read), in the order an unlink removes them: control first, so that nobody
    /// attaches any more. They are named, not checked: some may not exist.
    ///
    /// The one place that knows which segments a dictionary owns, and the only names this
    /// package ever unlinks: `NAME`, `NAME_memory`, `NAME_full` when the control block records a
    /// static dump, and the dump names of the control block only when they have a dump's shape
    /// (`psm_` and 8 hex digits), so that a corrupt or hostile name field can never name another
    /// dictionary's control block, stream or static dump (`Docs/SECURITY.md`).
    package static func segmentNames(of name: String, control: ControlBlock?) -> [(role: SegmentRole, name: String)] {
        var names: [(role: SegmentRole, name: String)] = [(.control, name), (.stream, streamName(name))]
        guard let control else { return names }
        if control.staticFullDumpSize > 0 { names.append((.staticFullDump, staticDumpName(name))) }
        let dumps: [(SegmentRole, String?)] = [
            (.fullDump, (try? control.fullDumpName()) ?? nil), (.pendingFullDump, control.pendingDumpName),
            (.replacedFullDump, control.replacedDumpName),
        ]
        for case let (role, dump?) in dumps where SegmentName.isDumpName(dump) && !names.contains(where: { $0.name == dump }) {
            names.append((role, dump))
        }
        return names
    }

    /// Unlinks every segment of this dictionary (``segmentNames(of:control:)``).
    package func unlinkSegments() {
        _ = try? Self.unlink(Self.segmentNames(of: name, control: control), control: control, in: store)
    }

    /// Unlinks `segments`: the dictionary's own names as they are, dumps only when they belong
    /// to the control segment's owner (as it is now, else as it was mapped), then wakes every
    /// waiter on the mapped control block, so that change sequences in any process see the
    /// unlink now. Returns whether the control segment existed.
    private static func unlink(
        _ segments: [(role: SegmentRole, name: String)], control: ControlBlock?, in store: any SegmentStore
    ) throws -> Bool {
        guard let controlName = segments.first(where: { $0.role == .control })?.name else { return false }
        let owner = (try? store.owner(of: controlName)) ?? control?.segment.owner
        var existed = false
        for (role, name) in segments {
            switch role {
            case .control: existed = try store.unlink(name: name)
            case .stream, .staticFullDump: _ = try? store.unlink(name: name)
            case .fullDump, .pendingFullDump, .replacedFullDump:
                if let owner { _ = try? store.unlink(name: name, ifOwnedBy: owner) }
            }
        }
        control?.wake.wakeAll()
        return existed
    }

    /// Unlinks the segments of the dictionary `name` in `store` without attaching it as a dictionary;
    /// returns whether its control segment existed. When the control block cannot be read (a
    /// creator killed before sizing it, or another user's, whose names are not followed), only
    /// `NAME` and `NAME_memory` are unlinked.
    package static func unlinkSegments(name: String, in store: any SegmentStore = SharedMemoryStore()) throws -> Bool {
        try SegmentName.validate(name)
        let control = (try? store.attach(name: name, minimumSize: ControlLayout.size)).map(ControlBlock.init)
        return try unlink(segmentNames(of: name, control: control), control: control, in: store)
    }

    /// Unlinks the segments of the dictionary `name` in `store` only if it is a nested dictionary
    /// of `owner`'s (its control block records recursion, its stream exists, and `owner` owns
    /// its control segment, as the register that names it); returns whether it did. A name read
    /// from a register is unlinked through this: Python's nested dictionaries have the shape of
    /// dump names (`psm_xxxxxxxx`), and a hostile register must not make this process remove a
    /// dump, a dictionary of another kind or another user's by naming it.
    package static func unlinkNestedDictionary(name: String, in store: any SegmentStore, ownedBy owner: uid_t) throws -> Bool {
        try SegmentName.validate(name)
        guard let control = (try? store.attach(name: name, minimumSize: ControlLayout.size, allowingForeignOwner: true)).map(ControlBlock.init),
              control.segment.owner == owner, control.recurseFlag, store.exists(name: streamName(name)) else { return false }
        return try unlinkSegments(of: control)
    }

    /// Unlinks the segments of the dictionary whose control block `control` the caller attached
    /// already (whoever owns it: the command-line tool inspects every user's); returns whether
    /// its control segment still existed.
    package static func unlinkSegments(of control: ControlBlock) throws -> Bool {
        try unlink(segmentNames(of: control.segment.name, control: control), control: control, in: control.segment.store)
    }
}

extension ControlBlock {
    /// Unlinks the dump segment `name` if it belongs to this control segment's owner: a dump
    /// name read from a control block never removes another user's segment (`Docs/SECURITY.md`).
    package func unlinkDump(_ name: String) {
        _ = try? segment.store.unlink(name: name, ifOwnedBy: segment.owner)
    }
}
