import UltraDictCore

/// Reads the data subset of pickle protocols 0 to 5, as untrusted input: every length, index and
/// count is checked before use, and a bad one throws `UltraDictError.Code.serialization`.
///
/// It runs the pickle machine without running anything: opcodes that build values are followed,
/// the globals of ``PickleGlobal`` stand for what they build, and every other global, `REDUCE`
/// or `BUILD`, and the opcodes of ``PickleOpcode/refused`` (objects, extensions, persistent ids,
/// out-of-band buffers) throw an error that names them. It never recurses while reading, so
/// hostile nesting costs only the stack it builds.
struct PickleReader {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0
    private var stack: [PickleItem] = []
    /// Where each open `MARK` starts on the stack.
    private var marks: [Int] = []
    /// The memo, by index, as Python fills it: in order (`MEMOIZE`, and `PUT`s counting up).
    private var memo: [PickleItem] = []
    /// Memo entries stored out of order, so that a hostile index costs one entry.
    private var sparseMemo: [Int: PickleItem] = [:]
    /// Every list, dictionary and set the reader made, which ``dismantle()`` empties: a container
    /// may hold itself, and one that left the stack and memo is still here.
    private var containers: [PickleItem] = []
    /// How many values the pickle may still become (``PickleItem/value(depth:budget:)``): 32 per
    /// byte, and at least a million, far more than any pickle without shared containers needs.
    private var valueBudget: Int

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        valueBudget = max(1 << 20, 32 * bytes.count)
    }

    /// Reads the pickle up to `STOP` and returns the value of the item it leaves on top.
    mutating func read() throws -> UltraValue {
        defer { dismantle() }
        while true {
            let opcode = try byte()
            if opcode == PickleOpcode.stop {
                guard offset == bytes.count else { throw failure("\(bytes.count - offset) bytes after the STOP") }
                return try top().value(budget: &valueBudget)
            }
            try execute(opcode)
        }
    }

    /// Empties every container the reader made, so that none is kept alive by a cycle (a list
    /// appended to itself through the memo) and freeing them never recurses: with the memo, a
    /// hostile pickle can chain lists far deeper than the stack. While one is emptied, the others
    /// are still held here, so emptying it frees no container.
    private mutating func dismantle() {
        (stack, memo, sparseMemo) = ([], [], [:])
        for container in containers {
            switch container {
            case .list(let box), .set(let box): box.items = []
            case .dictionary(let box): box.entries = []
            case .value, .tuple, .global, .nestedDictionary: break
            }
        }
        containers = []
    }

    private mutating func execute(_ opcode: UInt8) throws {
        switch opcode {
        case PickleOpcode.proto:
            let version = try byte()
            guard version <= 5 else { throw failure("protocol \(version) is not one of 0 to 5") }
        case PickleOpcode.frame: _ = try length64()  // Frames only group opcodes: checked, then read through.
        case PickleOpcode.mark: marks.append(stack.count)
        case PickleOpcode.pop: _ = try pop()
        case PickleOpcode.popMark: _ = try popMark()
        case PickleOpcode.dup: stack.append(try top())
        case PickleOpcode.none: push(.null)
        case PickleOpcode.newTrue: push(.bool(true))
        case PickleOpcode.newFalse: push(.bool(false))
        case PickleOpcode.binInt: push(.int(Int64(try integer(Int32.self))))
        case PickleOpcode.binInt1: push(.int(Int64(try byte())))
        case PickleOpcode.binInt2: push(.int(Int64(try integer(UInt16.self))))
        case PickleOpcode.long1: push(try PickleScalars.long(try take(Int(try byte()))))
        case PickleOpcode.long4: push(try PickleScalars.long(try take(Int(try integer(Int32.self)))))
        case PickleOpcode.binFloat: push(.double(Double(bitPattern: UInt64(bigEndian: try integer(UInt64.self)))))
        case PickleOpcode.int: push(try PickleScalars.textInteger(try line()))
        case PickleOpcode.long: push(try PickleScalars.textLong(try line()))
        case PickleOpcode.float: push(try PickleScalars.textFloat(try line()))
        case PickleOpcode.shortBinUnicode: push(.string(try PickleScalars.utf8(try take(Int(try byte())))))
        case PickleOpcode.binUnicode: push(.string(try PickleScalars.utf8(try take(Int(try integer(UInt32.self))))))
        case PickleOpcode.binUnicode8: push(.string(try PickleScalars.utf8(try take(try length64()))))
        case PickleOpcode.unicode: push(.string(try PickleScalars.rawUnicodeEscape(try line())))
        case PickleOpcode.shortBinBytes: push(.bytes(Array(try take(Int(try byte())))))
        case PickleOpcode.binBytes: push(.bytes(Array(try take(Int(try integer(UInt32.self))))))
        case PickleOpcode.binBytes8, PickleOpcode.byteArray8: push(.bytes(Array(try take(try length64()))))
        case PickleOpcode.emptyTuple: stack.append(try .tuple([]))
        case PickleOpcode.tuple1, PickleOpcode.tuple2, PickleOpcode.tuple3:
            let count = Int(opcode - PickleOpcode.tuple1) + 1
            guard stack.count >= count + (marks.last ?? 0) else { throw failure("TUPLE\(count) needs \(count) items on the stack") }
            let items = Array(stack.suffix(count))
            stack.removeLast(count)
            stack.append(try .tuple(items))
        case PickleOpcode.tuple: stack.append(try .tuple(try popMark()))
        case PickleOpcode.emptyList: push(.list(PickleItem.Box()))
        case PickleOpcode.list: push(.list(PickleItem.Box(try popMark())))
        case PickleOpcode.append: try append([try pop()])
        case PickleOpcode.appends: try append(try popMark())
        case PickleOpcode.emptyDict: push(.dictionary(PickleItem.DictionaryBox()))
        case PickleOpcode.dict:
            let box = PickleItem.DictionaryBox()
            try setItems(try popMark(), in: box)
            push(.dictionary(box))
        case PickleOpcode.setItem:
            let value = try pop(), key = try pop()
            try setItems([key, value], in: try dictionaryOnTop())
        case PickleOpcode.setItems:
            let items = try popMark()
            try setItems(items, in: try dictionaryOnTop())
        case PickleOpcode.emptySet: push(.set(PickleItem.Box()))
        case PickleOpcode.addItems:
            let items = try popMark()
            guard case .set(let box) = try top() else { throw failure("ADDITEMS onto something that is not a set") }
            box.items += items
        case PickleOpcode.frozenSet: push(.set(PickleItem.Box(try popMark())))
        case PickleOpcode.memoize: memo.append(try top())
        case PickleOpcode.put: try memoize(at: try PickleScalars.decimal(try line(), "PUT"))
        case PickleOpcode.binPut: try memoize(at: Int(try byte()))
        case PickleOpcode.longBinPut: try memoize(at: Int(try integer(UInt32.self)))
        case PickleOpcode.get: stack.append(try memoized(try PickleScalars.decimal(try line(), "GET")))
        case PickleOpcode.binGet: stack.append(try memoized(Int(try byte())))
        case PickleOpcode.longBinGet: stack.append(try memoized(Int(try integer(UInt32.self))))
        case PickleOpcode.global:
            let module = try PickleScalars.ascii(try line()), name = try PickleScalars.ascii(try line())
            stack.append(.global(try PickleCalls.global(module: module, name: name)))
        case PickleOpcode.stackGlobal:
            let name = try pop(), module = try pop()
            guard case .value(.string(let nameText)) = name, case .value(.string(let moduleText)) = module else {
                throw failure("STACK_GLOBAL needs a module and a name as strings")
            }
            stack.append(.global(try PickleCalls.global(module: moduleText, name: nameText)))
        case PickleOpcode.reduce:
            let arguments = try pop(), callable = try pop()
            push(try PickleCalls.reduce(callable, arguments))
        case PickleOpcode.build:
            let state = try pop()
            try PickleCalls.build(try top(), state: state)
        default:
            if let name = PickleOpcode.refused[opcode] {
                throw failure("the opcode \(name) is refused: it builds objects or reaches outside the pickle, and this reader only reads data")
            }
            throw failure("unknown or unsupported opcode 0x\(String(opcode, radix: 16)) at byte \(offset - 1)")
        }
    }

    // MARK: The stack

    private mutating func push(_ value: UltraValue) { stack.append(.value(value)) }

    /// Pushes `item`, noting a container for ``dismantle()``.
    private mutating func push(_ item: PickleItem) {
        if item.isContainer { containers.append(item) }
        stack.append(item)
    }

    private mutating func pop() throws -> PickleItem {
        guard stack.count > (marks.last ?? 0), let item = stack.popLast() else { throw failure("an opcode needs an item, and the stack is empty") }
        return item
    }

    private func top() throws -> PickleItem {
        guard stack.count > (marks.last ?? 0), let item = stack.last else { throw failure("an opcode needs an item, and the stack is empty") }
        return item
    }

    /// The items since the last `MARK`, which is closed.
    private mutating func popMark() throws -> [PickleItem] {
        guard let mark = marks.popLast() else { throw failure("an opcode needs a MARK, and there is none") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private mutating func memoize(at index: Int) throws {
        let item = try top()
        if index == memo.count {
            memo.append(item)
        } else if index < memo.count {
            memo[index] = item
        } else {
            sparseMemo[index] = item
        }
    }

    private func memoized(_ index: Int) throws -> PickleItem {
        guard let item = index < memo.count ? memo[index] : sparseMemo[index] else { throw failure("memo entry \(index) was never stored") }
        return item
    }

    private mutating func append(_ items: [PickleItem]) throws {
        guard case .list(let box) = try top() else { throw failure("APPEND onto something that is not a list") }
        box.items += items
    }

    private func dictionaryOnTop() throws -> PickleItem.DictionaryBox {
        guard case .dictionary(let box) = try top() else { throw failure("SETITEM onto something that is not a dictionary") }
        return box
    }

    /// Adds the alternating keys and values of `items`; a key becomes a value at once, as a
    /// Python key is immutable.
    private mutating func setItems(_ items: [PickleItem], in box: PickleItem.DictionaryBox) throws {
        guard items.count % 2 == 0 else { throw failure("SETITEMS with a key and no value") }
        for index in stride(from: 0, to: items.count, by: 2) {
            box.entries.append((try items[index].value(budget: &valueBudget), items[index + 1]))
        }
    }

    // MARK: Bytes

    private mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw failure("the pickle ends before its STOP") }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// The next `count` bytes, checked against what is left.
    private mutating func take(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= bytes.count - offset else {
            throw failure("a length of \(count) bytes at byte \(offset) runs past the pickle's end (\(bytes.count - offset) left)")
        }
        let taken = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
        offset += count
        return taken
    }

    private mutating func integer<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let raw = try take(MemoryLayout<T>.size)
        return T(littleEndian: raw.loadUnaligned(as: T.self))
    }

    private mutating func length64() throws -> Int {
        let length = try integer(UInt64.self)
        guard length <= UInt64(bytes.count - offset) else { throw failure("a length of \(length) bytes runs past the pickle's end") }
        return Int(length)
    }

    /// A text argument of the protocol 0 opcodes, up to its newline.
    private mutating func line() throws -> UnsafeRawBufferPointer {
        guard let end = bytes[offset...].firstIndex(of: 0x0A) else { throw failure("a text argument without its newline") }
        defer { offset = end + 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<end])
    }

    private func failure(_ message: String) -> UltraDictError {
        UltraDictError(.serialization, "pickle: \(message)")
    }
}
