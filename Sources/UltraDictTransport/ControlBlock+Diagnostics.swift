import Atomics

// Reads of control-block fields that only diagnostics need (the `ultradict status` command);
// the dictionary itself never reads them.
extension ControlBlock {
    /// The lock words as they are now: whether the lock byte is set, the owner pid at byte 4 and
    /// the owner identity at byte 320 (see ``ControlLayout/lockOwnerIdentity``). Three separate
    /// acquire loads: not a consistent snapshot while the lock changes hands.
    package var lockState: (isHeld: Bool, ownerPID: Int32, ownerIdentity: UInt64) {
        let words = lockWords
        return (
            words.lockByte.load(ordering: .acquiring) != 0,
            Int32(bitPattern: words.ownerPID.load(ordering: .acquiring)),
            words.ownerIdentity.load(ordering: .acquiring)
        )
    }

    /// The layout version of this package's fields (``ControlLayout/layoutVersion``), or `nil`
    /// for a control block without them (a Python creator).
    package var layoutVersion: UInt16? {
        hasOwnFields ? UInt16(littleEndian: (segment.base + ControlLayout.layoutVersion).loadUnaligned(as: UInt16.self)) : nil
    }

    /// The aligned 64-bit copy of the full-dump counter (``ControlLayout/fullDumpCounter64``), or
    /// `nil` for a control block without this package's fields.
    package var fullDumpCounterCopy: UInt64? {
        hasOwnFields ? UInt64(littleEndian: (segment.base + ControlLayout.fullDumpCounter64).loadUnaligned(as: UInt64.self)) : nil
    }
}
