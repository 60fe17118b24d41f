/// What the workers acknowledged, and what the dictionary may therefore hold at the end.
///
/// A worker says `intent OP`, does it, then says `ack OP`, one operation at a time. A kill can
/// fall between the two: the operation may then have happened or not, so it joins the possible
/// outcomes of its key (or the increments that may have counted) until a later acknowledged
/// operation on the same key supersedes it. Only the last operation of a worker process can be
/// left so, and the processes of one slot (the only writers of its keys) run one after another.
struct Ledger {
    /// The last acknowledged value of each key; `nil` when it was deleted last.
    private var acknowledged: [String: Int?] = [:]
    /// Values a key may hold instead: operations after its last acknowledgment that were cut short.
    private var unconfirmed: [String: [Int?]] = [:]
    /// Increments acknowledged, and increments begun but cut short.
    private(set) var increments = 0, unconfirmedIncrements = 0
    /// Acknowledged operations and reads.
    private(set) var operations = 0
    /// Broken invariants, one sentence each.
    private(set) var violations: [String] = []

    /// Records the output of one worker process (named `worker` in messages), in the order the
    /// processes of its slot ran; one that was not `killed` must have said `done`.
    mutating func record(_ lines: [String], worker: String, killed: Bool) {
        var open: String?
        var done = false
        for line in lines {
            let words = line.split(separator: " ").map(String.init)
            switch words.first {
            case "intent":
                open = words.dropFirst().joined(separator: " ")
            case "ack":
                let operation = words.dropFirst().joined(separator: " ")
                guard operation == open else {
                    violations.append("\(worker): acknowledged '\(operation)' without its intent")
                    continue
                }
                settle(operation, confirmed: true)
                open = nil
                operations += 1
            case "reads":
                operations += Int(words.last ?? "") ?? 0
            case "done":
                done = true
            default:
                violations.append("\(worker): \(line)")
            }
        }
        if let open { settle(open, confirmed: false) }
        if !killed && !done { violations.append("\(worker) ended before its time was up") }
    }

    /// Applies an operation (`set KEY VALUE`, `del KEY`, `inc`) that completed or may have.
    private mutating func settle(_ operation: String, confirmed: Bool) {
        let words = operation.split(separator: " ").map(String.init)
        let outcome: (key: String, value: Int?)
        switch (words.first, words.count) {
        case ("inc", 1):
            if confirmed { increments += 1 } else { unconfirmedIncrements += 1 }
            return
        case ("set", 3): outcome = (words[1], Int(words[2]))
        case ("del", 2): outcome = (words[1], nil)
        default:
            violations.append("unknown operation '\(operation)'")
            return
        }
        if confirmed {
            acknowledged[outcome.key] = .some(outcome.value)
            unconfirmed[outcome.key] = nil
        } else {
            unconfirmed[outcome.key, default: []].append(outcome.value)
        }
    }

    /// The broken invariants of the dictionary's final contents `entries`.
    func check(_ entries: [String: Int]) -> [String] {
        var broken: [String] = []
        let counter = entries[counterKey] ?? 0
        if !(increments...(increments + unconfirmedIncrements)).contains(counter) {
            broken.append("counter is \(counter), acknowledged increments \(increments), cut short \(unconfirmedIncrements)")
        }
        let keys = Set(acknowledged.keys).union(unconfirmed.keys).union(entries.keys).subtracting([counterKey])
        for key in keys.sorted() {
            let possible = [acknowledged[key] ?? nil] + (unconfirmed[key] ?? [])
            if !possible.contains(entries[key]) {
                broken.append("\(key) is \(entries[key].map(String.init) ?? "absent"); possible: \(possible.map { $0.map(String.init) ?? "absent" })")
            }
        }
        return broken
    }
}
