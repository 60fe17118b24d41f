// The umbrella: `import UltraDict` brings the dictionary, the value model, the locks and the
// default serializer.
@_exported import UltraDictConcurrency
@_exported import UltraDictCore
@_exported import UltraDictMessagePack
@_exported import struct UltraDictTransport.LockWords
@_exported import struct UltraDictTransport.LogCursor
@_exported import struct UltraDictTransport.SystemCallError
@_exported import enum UltraDictTransport.UltraDictStore
@_exported import struct UltraDictTransport.LockWord
@_exported import struct UltraDictTransport.LockOwner
// The memory orderings that the operations of `LockWord` take, for authors of a lock.
@_exported import struct Atomics.AtomicLoadOrdering
@_exported import struct Atomics.AtomicStoreOrdering
@_exported import struct Atomics.AtomicUpdateOrdering
