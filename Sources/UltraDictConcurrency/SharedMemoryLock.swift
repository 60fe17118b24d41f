import UltraDictCore
import UltraDictTransport

/// A lock that a dictionary builds over its control block.
///
/// The built-in ``SharedSpinLock`` and ``ProcessLocalLock`` conform; the dictionary creates one
/// per handle with the lock words of its control block and the dictionary's name.
public protocol SharedMemoryLock: UltraDictLock {
    /// Creates the lock for the dictionary `name`, whose control block holds `words`.
    init(name: String, words: LockWords)
}
