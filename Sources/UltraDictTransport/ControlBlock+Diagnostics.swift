import Atomics

// Reads of control-block fields that only diagnostics need (`UltraDict.status()` and the
// `ultradict status` command); reads and writes of entries never use them.
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
}
