#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import UltraDictTransport

/// Unlinks, when the process exits normally, the dictionaries of the handles still open with
/// `autoUnlink` set, as Python's UltraDict does at interpreter exit: a handle held in a global, a
/// `static let`, top-level code or an actor that lives until exit is never deinitialized, so its
/// own auto-unlink would never run.
///
/// "Normally" means returning from `main` or calling `exit()`: the hook is an `atexit` handler,
/// installed once, when the first handle is listed. A signal's default action (SIGTERM, SIGINT,
/// SIGKILL), a crash or `_exit()` end the process without it, and the segments stay until
/// `UltraDict.unlink(name:)` or `ultradict clean` removes them.
///
/// Every entry records the pid that listed it, and the hook unlinks only this process's: a
/// forked child, which inherits the list, never unlinks its parent's dictionaries when it exits.
/// The list is guarded by a mutex that `pthread_atfork` holds across `fork`, so that a child
/// never inherits it locked. The hook unlinks names through each dictionary's ``UpdateLog``,
/// which any thread may do; it does not touch the handles, which other threads may still use.
final class ExitCleanup: @unchecked Sendable {
    /// What the hook unlinks for one handle.
    private struct Entry {
        /// The dictionary's segments.
        let log: UpdateLog
        /// Its settings: where the segments live, and the serializer its register is read with.
        let configuration: UltraDictConfiguration
        /// Whether the handle is a recursive root, whose nested dictionaries and register go too.
        let unlinksTree: Bool
        /// The process that listed it.
        let pid: pid_t
    }

    /// The one list, created (and the hook installed) on first use.
    static let shared = ExitCleanup()

    private let mutex = NSLock()
    /// The open handles with auto-unlink set, guarded by `mutex`.
    private var entries: [ObjectIdentifier: Entry] = [:]

    private init() {
        pthread_atfork({ ExitCleanup.shared.lock() }, { ExitCleanup.shared.unlock() }, { ExitCleanup.shared.unlock() })
        atexit { ExitCleanup.shared.unlinkAtExit() }
    }

    private func lock() { mutex.lock() }
    private func unlock() { mutex.unlock() }

    /// Lists `handle`, whose dictionary is `log` opened with `configuration` (and its tree when
    /// `unlinksTree`), for the hook.
    func add(_ handle: ObjectIdentifier, log: UpdateLog, configuration: UltraDictConfiguration, unlinksTree: Bool) {
        lock()
        entries[handle] = Entry(log: log, configuration: configuration, unlinksTree: unlinksTree, pid: getpid())
        unlock()
    }

    /// Takes `handle` off the list (it was closed, or its auto-unlink turned off).
    func remove(_ handle: ObjectIdentifier) {
        lock()
        entries[handle] = nil
        unlock()
    }

    /// The `atexit` handler: unlinks the dictionaries that this process listed.
    private func unlinkAtExit() {
        let pid = getpid()
        lock()
        let mine = entries.values.filter { $0.pid == pid }
        entries.removeAll()
        unlock()
        for entry in mine {
            // The root first, as close(unlink:) does, so that nobody attaches it any more.
            entry.log.unlinkSegments()
            if entry.unlinksTree {
                _ = try? NestedDictionaries.unlinkRegistered(rootName: entry.log.name, in: entry.configuration.store, serializer: entry.configuration.serializer, ifUnreadable: .isRemoved)
            }
        }
    }
}
