import UltraDictCore

/// The read side: every read first applies what other processes published since this handle's
/// last access (two atomic loads when nothing changed), then reads the local copy in shared
/// access (``read(_:)``), so that threads reading one handle do not wait for each other.
extension UltraDict {
    /// The value for `key`, after applying what other processes wrote; `nil` if absent.
    ///
    /// Setting a value writes it to shared memory and traps if that fails; use
    /// ``updateValue(_:forKey:)`` and ``removeValue(forKey:)`` to handle errors.
    @inlinable
    public subscript(key: Key) -> Value? {
        get {
            let value = read { storage[key] }
            return recurse ? resolvedReportingErrors(value) : value
        }
        set {
            do {
                if let newValue { try updateValue(newValue, forKey: key) } else { try removeValue(forKey: key) }
            } catch {
                preconditionFailure("UltraDict '\(name)': write of key \(key) failed: \(error)")
            }
        }
    }

    /// The value for `key`, or `defaultValue` when absent; setting writes as the plain subscript does,
    /// so `d["counter", default: 0] += 1` works (inside ``withLock(timeout:stealAfterTimeout:_:)`` to be atomic).
    @inlinable
    public subscript(key: Key, default defaultValue: @autoclosure () -> Value) -> Value {
        get { self[key] ?? defaultValue() }
        set { self[key] = newValue }
    }

    /// The value for `key` after applying what other processes wrote; throws if they cannot be read.
    public func value(forKey key: Key) throws -> Value? {
        let value = try readCurrent { storage[key] }
        return recurse ? try value.map(resolved) : value
    }

    /// The number of keys.
    public var count: Int { read { storage.count } }

    /// Whether there are no keys.
    public var isEmpty: Bool { count == 0 }

    /// The keys, in no particular order.
    public var keys: [Key] { read { Array(storage.keys) } }

    /// The values, in the order of ``keys``.
    public var values: [Value] { read { Array(storage.values) } }

    /// Whether `key` is present.
    public func contains(_ key: Key) -> Bool { read { storage[key] != nil } }

    /// A plain Swift copy of the whole dictionary as this handle sees it (Python's `.data`).
    public var snapshot: [Key: Value] { read { storage } }
}

extension UltraDict: Sequence {
    /// Iterates over a snapshot of the entries taken when iteration starts (none after ``close(unlink:)``).
    public func makeIterator() -> Dictionary<Key, Value>.Iterator { snapshot.makeIterator() }
}

extension UltraDict: CustomStringConvertible {
    /// The entries, like a Swift dictionary's description (`[:]` after ``close(unlink:)``).
    public var description: String { snapshot.description }
}
