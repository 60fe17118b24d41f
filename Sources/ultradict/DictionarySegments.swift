import UltraDictTransport

/// Which segments make up a dictionary: the one place that knows it, for `list`, `status`,
/// `unlink` and `clean`.
///
/// A dictionary is its control segment `NAME`, its update stream `NAME_memory`, and its full
/// dump: the static `NAME_full`, or the `psm_xxxxxxxx` segment its control block names.
///
/// Nested dictionaries are the extension point: a dictionary created with recursion (its
/// control block's recursion flag) also owns the register, itself a dictionary named
/// `NAME_register`, and the nested dictionaries that the register lists. When this package
/// shares nested dictionaries, ``names(of:control:)`` is where their segments join their
/// parent's; until then `unlink` removes the parent's own segments, and `list` shows the
/// register and each nested dictionary as dictionaries of their own.
enum DictionarySegments {
    /// What a segment is to its dictionary.
    enum Role: String {
        case control, stream, staticFullDump, fullDump, pendingFullDump, replacedFullDump
    }

    /// The size of a control segment, Python's and this package's.
    static let controlSize = ControlLayout.size

    /// The update stream's name for the dictionary `name`.
    static func streamName(of name: String) -> String { UpdateLog.streamName(name) }

    /// The segments of the dictionary `name`, whose control block is `control`, in the order
    /// `unlink` removes them (control first, so that nobody attaches any more). They are named,
    /// not checked: some may not exist.
    static func names(of name: String, control: ControlBlock) -> [(role: Role, name: String)] {
        var names: [(role: Role, name: String)] = [(.control, name), (.stream, UpdateLog.streamName(name))]
        let staticDump = UpdateLog.staticDumpName(name)
        if control.staticFullDumpSize > 0 { names.append((.staticFullDump, staticDump)) }
        // Only a name of a dump's shape counts, so that a corrupt or hostile name field cannot
        // make `unlink` remove another segment; the dump it meant is left to `clean`.
        if let dump = (try? control.fullDumpName()) ?? nil, SegmentName.isDumpName(dump) {
            names.append((.fullDump, dump))
        }
        // The dumps of an unfinished publication are the dictionary's too: a repair or the next
        // publication removes the one that is not needed.
        for (role, dump) in [(Role.pendingFullDump, control.pendingDumpName), (.replacedFullDump, control.replacedDumpName)] {
            if let dump, !names.contains(where: { $0.name == dump }) { names.append((role, dump)) }
        }
        return names
    }
}
