/// The pickle opcodes this package reads or writes (CPython's `Lib/pickle.py` names them), and
/// the ones it refuses by name.
enum PickleOpcode {
    // Protocol 0 and 1.
    static var mark: UInt8 { 0x28 }            // (
    static var stop: UInt8 { 0x2E }            // .
    static var pop: UInt8 { 0x30 }             // 0
    static var popMark: UInt8 { 0x31 }         // 1
    static var dup: UInt8 { 0x32 }             // 2
    static var float: UInt8 { 0x46 }           // F
    static var int: UInt8 { 0x49 }             // I
    static var binInt: UInt8 { 0x4A }          // J
    static var binInt1: UInt8 { 0x4B }         // K
    static var long: UInt8 { 0x4C }            // L
    static var binInt2: UInt8 { 0x4D }         // M
    static var none: UInt8 { 0x4E }            // N
    static var persistentID: UInt8 { 0x50 }    // P
    static var binPersistentID: UInt8 { 0x51 } // Q
    static var reduce: UInt8 { 0x52 }          // R
    static var string: UInt8 { 0x53 }          // S
    static var binString: UInt8 { 0x54 }       // T
    static var shortBinString: UInt8 { 0x55 }  // U
    static var unicode: UInt8 { 0x56 }         // V
    static var binUnicode: UInt8 { 0x58 }      // X
    static var append: UInt8 { 0x61 }          // a
    static var build: UInt8 { 0x62 }           // b
    static var global: UInt8 { 0x63 }          // c
    static var dict: UInt8 { 0x64 }            // d
    static var emptyDict: UInt8 { 0x7D }       // }
    static var appends: UInt8 { 0x65 }         // e
    static var get: UInt8 { 0x67 }             // g
    static var binGet: UInt8 { 0x68 }          // h
    static var inst: UInt8 { 0x69 }            // i
    static var longBinGet: UInt8 { 0x6A }      // j
    static var list: UInt8 { 0x6C }            // l
    static var emptyList: UInt8 { 0x5D }       // ]
    static var obj: UInt8 { 0x6F }             // o
    static var put: UInt8 { 0x70 }             // p
    static var binPut: UInt8 { 0x71 }          // q
    static var longBinPut: UInt8 { 0x72 }      // r
    static var setItem: UInt8 { 0x73 }         // s
    static var tuple: UInt8 { 0x74 }           // t
    static var emptyTuple: UInt8 { 0x29 }      // )
    static var setItems: UInt8 { 0x75 }        // u
    static var binFloat: UInt8 { 0x47 }        // G
    // Protocol 2.
    static var proto: UInt8 { 0x80 }
    static var newObj: UInt8 { 0x81 }
    static var ext1: UInt8 { 0x82 }
    static var ext2: UInt8 { 0x83 }
    static var ext4: UInt8 { 0x84 }
    static var tuple1: UInt8 { 0x85 }
    static var tuple2: UInt8 { 0x86 }
    static var tuple3: UInt8 { 0x87 }
    static var newTrue: UInt8 { 0x88 }
    static var newFalse: UInt8 { 0x89 }
    static var long1: UInt8 { 0x8A }
    static var long4: UInt8 { 0x8B }
    // Protocol 3.
    static var binBytes: UInt8 { 0x42 }        // B
    static var shortBinBytes: UInt8 { 0x43 }   // C
    // Protocol 4.
    static var shortBinUnicode: UInt8 { 0x8C }
    static var binUnicode8: UInt8 { 0x8D }
    static var binBytes8: UInt8 { 0x8E }
    static var emptySet: UInt8 { 0x8F }
    static var addItems: UInt8 { 0x90 }
    static var frozenSet: UInt8 { 0x91 }
    static var newObjEx: UInt8 { 0x92 }
    static var stackGlobal: UInt8 { 0x93 }
    static var memoize: UInt8 { 0x94 }
    static var frame: UInt8 { 0x95 }
    // Protocol 5.
    static var byteArray8: UInt8 { 0x96 }
    static var nextBuffer: UInt8 { 0x97 }
    static var readOnlyBuffer: UInt8 { 0x98 }

    /// The opcodes that could make an unpickler run code or reach outside the pickle, by name,
    /// for the error that refuses them.
    static let refused: [UInt8: String] = [
        persistentID: "PERSID", binPersistentID: "BINPERSID", inst: "INST", obj: "OBJ", newObj: "NEWOBJ",
        newObjEx: "NEWOBJ_EX", ext1: "EXT1", ext2: "EXT2", ext4: "EXT4", nextBuffer: "NEXT_BUFFER",
        readOnlyBuffer: "READONLY_BUFFER",
    ]
}
