import UltraDictCore

/// Writes values as pickle protocol 4, as CPython's `pickle.dumps` does: the same opcodes, the
/// same memo marks, batches of 1,000 and frames of about 64 KiB, so that a value Python would
/// pickle the same way comes out byte for byte the same (`Docs/SERIALIZERS.md`, "Pickle").
///
/// Arrays are written as lists, except where Python needs a tuple: as a dictionary key, inside
/// one, and as an update record. A nested dictionary's reference is written as Python UltraDict
/// pickles the `UltraDict` object. Values Python shares by identity are written again instead
/// of referenced (Python's `BINGET`), which Python reads the same; only the objects of nested
/// dictionaries' pattern are referred to again, as Python does.
struct PickleWriter {
    /// A frame is closed once it holds this many bytes (Python's `_FRAME_SIZE_TARGET`).
    static let frameTarget = 64 * 1024
    /// Items written per `APPENDS`, `SETITEMS` or `ADDITEMS` (Python's `_BATCHSIZE`).
    static let batchSize = 1000

    private var bytes: [UInt8] = []
    /// Where the current frame's 9-byte header is reserved.
    private var frameStart = 0
    /// How many objects the pickle's memo holds: the index the next `MEMOIZE` gives.
    private var memoCount = 0
    /// Where the memo holds the objects that nested dictionaries' pattern shares.
    private var shared = SharedObjects()

    /// The memo indices of what Python's memo shares within one pickle of nested dictionaries:
    /// the two globals, the keywords' names (interned strings in Python) and each register.
    private struct SharedObjects {
        var partial: Int?
        var ultraDict: Int?
        var keywords: [String: Int] = [:]
        var registers: [String: Int] = [:]
    }

    /// Appends to `buffer` a pickle that `body` writes: the protocol header, an open frame, what
    /// `body` writes, `STOP`, and the last frame's header. The buffer is moved in and out, never copied.
    static func append(to buffer: inout [UInt8], _ body: (inout PickleWriter) throws -> Void) throws {
        var writer = PickleWriter()
        swap(&writer.bytes, &buffer)
        defer { swap(&writer.bytes, &buffer) }
        writer.bytes += [PickleOpcode.proto, 4]
        writer.openFrame()
        try body(&writer)
        writer.bytes.append(PickleOpcode.stop)
        writer.commitFrame()
    }

    // MARK: Values

    /// Writes `value`; `asKey` writes arrays as tuples, as a dictionary key must be.
    mutating func write(_ value: UltraValue, asKey: Bool = false, depth: Int = 0) throws {
        commitFrameIfFull()
        switch value {
        case .null: bytes.append(PickleOpcode.none)
        case .bool(let flag): bytes.append(flag ? PickleOpcode.newTrue : PickleOpcode.newFalse)
        case .int(let integer): writeInteger(integer)
        case .uint(let integer): writeLong(magnitude: integer, negative: false)
        case .double(let number):
            bytes.append(PickleOpcode.binFloat)
            withUnsafeBytes(of: number.bitPattern.bigEndian) { bytes += $0 }
        case .string(let text): writeString(Array(text.utf8))
        case .bytes(let data): writeBytes(data)
        case .array(let items):
            try checkDepth(depth)
            if asKey { try writeTuple(items, depth: depth) } else { try writeList(items, depth: depth) }
        case .dictionary(let map):
            // Only the form that names the register: Python would make one of its own for a
            // reference without it.
            if let reference = NestedDictionaryReference(value), let register = reference.register {
                writeUltraDict(name: reference.name, register: register)
            } else {
                try checkDepth(depth)
                try writeDictionary(map, depth: depth)
            }
        }
    }

    /// Writes `items` as a tuple: `EMPTY_TUPLE`, `TUPLE1` to `TUPLE3`, or `MARK … TUPLE`.
    mutating func writeTuple(_ items: [UltraValue], depth: Int) throws {
        guard !items.isEmpty else { bytes.append(PickleOpcode.emptyTuple); return }
        if items.count > 3 { bytes.append(PickleOpcode.mark) }
        for item in items { try write(item, asKey: true, depth: depth + 1) }
        bytes.append(items.count > 3 ? PickleOpcode.tuple : [PickleOpcode.tuple1, PickleOpcode.tuple2, PickleOpcode.tuple3][items.count - 1])
        memoize()
    }

    /// Writes an update record `(is_set, key, value)`, as Python UltraDict pickles it.
    mutating func writeRecord(_ update: UltraDictUpdate) throws {
        commitFrameIfFull()
        bytes.append(update.isSet ? PickleOpcode.newTrue : PickleOpcode.newFalse)
        try write(update.key, asKey: true, depth: 1)
        try write(update.value, depth: 1)
        bytes.append(PickleOpcode.tuple3)
        memoize()
    }

    private mutating func writeList(_ items: [UltraValue], depth: Int) throws {
        bytes.append(PickleOpcode.emptyList)
        memoize()
        try writeBatches(items.count, single: PickleOpcode.append, many: PickleOpcode.appends) { writer, index in
            try writer.write(items[index], depth: depth + 1)
        }
    }

    private mutating func writeDictionary(_ map: [UltraValue: UltraValue], depth: Int) throws {
        bytes.append(PickleOpcode.emptyDict)
        memoize()
        let entries = Array(map)
        try writeBatches(entries.count, single: PickleOpcode.setItem, many: PickleOpcode.setItems) { writer, index in
            try writer.write(entries[index].key, asKey: true, depth: depth + 1)
            try writer.write(entries[index].value, depth: depth + 1)
        }
    }

    /// Writes `count` items in batches as Python's `_batch_appends` and `_batch_setitems` do:
    /// `MARK items many` for a batch of several, `item single` for a batch of one.
    private mutating func writeBatches(_ count: Int, single: UInt8, many: UInt8, _ item: (inout PickleWriter, Int) throws -> Void) throws {
        var start = 0
        while start < count {
            let end = min(start + Self.batchSize, count)
            if end - start > 1 { bytes.append(PickleOpcode.mark) }
            for index in start..<end { try item(&self, index) }
            bytes.append(end - start > 1 ? many : single)
            start = end
        }
    }

    private func checkDepth(_ depth: Int) throws {
        guard depth < UltraValue.maximumDepth else {
            throw UltraDictError(.serialization, "pickle: nesting deeper than \(UltraValue.maximumDepth) levels")
        }
    }

    // MARK: Scalars

    /// Python's `save_long`: the smallest of `BININT1`, `BININT2`, `BININT`, else `LONG1`.
    private mutating func writeInteger(_ integer: Int64) {
        switch integer {
        case 0...0xFF:
            bytes += [PickleOpcode.binInt1, UInt8(integer)]
        case 0...0xFFFF:
            bytes.append(PickleOpcode.binInt2)
            withUnsafeBytes(of: UInt16(integer).littleEndian) { bytes += $0 }
        case Int64(Int32.min)...Int64(Int32.max):
            bytes.append(PickleOpcode.binInt)
            withUnsafeBytes(of: Int32(integer).littleEndian) { bytes += $0 }
        default:
            writeLong(magnitude: integer.magnitude, negative: integer < 0)
        }
    }

    /// `LONG1` with Python's `encode_long`: the shortest little-endian two's complement.
    private mutating func writeLong(magnitude: UInt64, negative: Bool) {
        var digits: [UInt8] = []
        // Two's complement of the value over 9 bytes, then the redundant top bytes dropped.
        let low = negative ? (~magnitude &+ 1) : magnitude
        let high: UInt8 = negative ? 0xFF : 0x00
        withUnsafeBytes(of: low.littleEndian) { digits += $0 }
        digits.append(high)
        while digits.count > 1, digits[digits.count - 1] == high, (digits[digits.count - 2] & 0x80 != 0) == negative {
            digits.removeLast()
        }
        bytes += [PickleOpcode.long1, UInt8(digits.count)]
        bytes += digits
    }

    /// Python's `save_str`: `SHORT_BINUNICODE`, `BINUNICODE` or `BINUNICODE8`, then `MEMOIZE`.
    private mutating func writeString(_ utf8: [UInt8]) {
        writeSized(utf8, short: PickleOpcode.shortBinUnicode, long: PickleOpcode.binUnicode, huge: PickleOpcode.binUnicode8)
    }

    /// Python's `save_bytes`: `SHORT_BINBYTES`, `BINBYTES` or `BINBYTES8`, then `MEMOIZE`.
    private mutating func writeBytes(_ data: [UInt8]) {
        writeSized(data, short: PickleOpcode.shortBinBytes, long: PickleOpcode.binBytes, huge: PickleOpcode.binBytes8)
    }

    /// A length-prefixed payload, outside the frames once it is as large as a frame (Python's
    /// `_write_large_bytes`), then `MEMOIZE`.
    private mutating func writeSized(_ payload: [UInt8], short: UInt8, long: UInt8, huge: UInt8) {
        if payload.count <= 0xFF {
            bytes += [short, UInt8(payload.count)]
            bytes += payload
        } else {
            var header: [UInt8] = []
            if payload.count > 0xFFFF_FFFF {
                header.append(huge)
                withUnsafeBytes(of: UInt64(payload.count).littleEndian) { header += $0 }
            } else {
                header.append(long)
                withUnsafeBytes(of: UInt32(payload.count).littleEndian) { header += $0 }
            }
            if payload.count >= Self.frameTarget {
                commitFrame()
                bytes += header
                bytes += payload
                openFrame()
            } else {
                bytes += header
                bytes += payload
            }
        }
        memoize()
    }

    /// `MEMOIZE`; returns the memo index it gives.
    @discardableResult
    private mutating func memoize() -> Int {
        bytes.append(PickleOpcode.memoize)
        memoCount += 1
        return memoCount - 1
    }

    /// `BINGET` or `LONG_BINGET` of the memo entry `index`, an object of its own (its frame check first).
    private mutating func writeMemoGet(_ index: Int) {
        commitFrameIfFull()
        if index <= 0xFF {
            bytes += [PickleOpcode.binGet, UInt8(index)]
        } else {
            bytes.append(PickleOpcode.longBinGet)
            withUnsafeBytes(of: UInt32(index).littleEndian) { bytes += $0 }
        }
    }

    // MARK: Nested dictionaries

    /// Writes the `UltraDict` object named `name` as Python UltraDict's `__reduce__` has it
    /// pickled: `functools.partial(UltraDict.UltraDict, name=NAME, auto_unlink=False,
    /// recurse_register=REGISTER)()`, where REGISTER is the register `register` pickled the same
    /// way (with `recurse_register=None`), or `None`. Returns the object's memo index.
    ///
    /// Each object starts with ``commitFrameIfFull()``, as each of Python's `save()` calls does, so
    /// that frames end where Python's do.
    @discardableResult
    private mutating func writeUltraDict(name: String, register: String?) -> Int {
        commitFrameIfFull()
        // functools.partial(UltraDict.UltraDict), then BUILD with (func, (), keywords, None).
        writeGlobal(\.partial, module: "functools", name: "partial")
        commitFrameIfFull()
        writeGlobal(\.ultraDict, module: "UltraDict.UltraDict", name: "UltraDict")
        bytes.append(PickleOpcode.tuple1)
        memoize()
        bytes.append(PickleOpcode.reduce)
        memoize()
        commitFrameIfFull()
        bytes.append(PickleOpcode.mark)
        writeGlobal(\.ultraDict, module: "UltraDict.UltraDict", name: "UltraDict")
        writeObject(PickleOpcode.emptyTuple)
        writeObject(PickleOpcode.emptyDict)
        memoize()
        bytes.append(PickleOpcode.mark)
        writeKeyword("name")
        writeText(name)
        writeKeyword("auto_unlink")
        writeObject(PickleOpcode.newFalse)
        writeKeyword("recurse_register")
        if let register {
            if let index = shared.registers[register] {
                writeMemoGet(index)
            } else {
                shared.registers[register] = writeUltraDict(name: register, register: nil)
            }
        } else {
            writeObject(PickleOpcode.none)
        }
        bytes.append(PickleOpcode.setItems)
        writeObject(PickleOpcode.none)
        bytes.append(PickleOpcode.tuple)
        memoize()
        // BUILD, then the call with no arguments.
        bytes.append(PickleOpcode.build)
        writeObject(PickleOpcode.emptyTuple)
        bytes.append(PickleOpcode.reduce)
        return memoize()
    }

    /// The global `module.name` (`STACK_GLOBAL`) the first time, its memo entry after.
    private mutating func writeGlobal(_ slot: WritableKeyPath<SharedObjects, Int?>, module: String, name: String) {
        if let index = shared[keyPath: slot] { return writeMemoGet(index) }
        commitFrameIfFull()
        writeText(module)
        writeText(name)
        bytes.append(PickleOpcode.stackGlobal)
        shared[keyPath: slot] = memoize()
    }

    /// The keyword's name the first time, its memo entry after.
    private mutating func writeKeyword(_ keyword: String) {
        if let index = shared.keywords[keyword] { return writeMemoGet(index) }
        writeText(keyword)
        shared.keywords[keyword] = memoCount - 1
    }

    /// A string object: its frame check, then the string.
    private mutating func writeText(_ text: String) {
        commitFrameIfFull()
        writeString(Array(text.utf8))
    }

    /// A one-opcode object (`None`, `False`, an empty tuple or dictionary): its frame check, then the opcode.
    private mutating func writeObject(_ opcode: UInt8) {
        commitFrameIfFull()
        bytes.append(opcode)
    }

    // MARK: Frames

    /// Python's `commit_frame()` at the start of each object: closes a frame that reached the target.
    private mutating func commitFrameIfFull() {
        if bytes.count - frameStart - 9 >= Self.frameTarget {
            commitFrame()
            openFrame()
        }
    }

    /// Writes the current frame's header, or drops it for a frame under 4 bytes (Python writes
    /// no `FRAME` for those).
    private mutating func commitFrame() {
        let length = bytes.count - frameStart - 9
        if length >= 4 {
            bytes[frameStart] = PickleOpcode.frame
            withUnsafeBytes(of: UInt64(length).littleEndian) { header in
                for (offset, byte) in header.enumerated() { bytes[frameStart + 1 + offset] = byte }
            }
        } else {
            bytes.removeSubrange(frameStart..<frameStart + 9)
        }
    }

    private mutating func openFrame() {
        frameStart = bytes.count
        bytes += [UInt8](repeating: 0, count: 9)
    }
}
