// An object whose properties live in a shared dictionary: `player.score = 10` in one process is
// `player.score` in every other.
//
//     swift run DynamicMember
//
// The parent creates the shared object under a random name and starts this same program again
// as the child, passing the name. The child sets properties of its own, and both processes
// increment one under the dictionary's lock; the parent prints what it sees at the end.
import Foundation
import UltraDict

/// An object whose properties are the entries of a shared dictionary, through
/// `@dynamicMemberLookup`: `object.name` reads and writes the entry `"name"`.
///
/// A property's type comes from the context (`let score: Int? = player.score`,
/// `player.score ?? 0`); any `Codable` type can be stored. Reading gives `nil` when the entry is
/// absent or holds another type; assigning `nil` removes it.
@dynamicMemberLookup
final class SharedObject {
    private let dictionary: UltraDict<String, UltraValue>

    /// Creates a shared object with a new random name, or attaches the one called `name`.
    init(name: String? = nil) throws {
        dictionary = try UltraDict(name: name, create: name == nil)
    }

    /// The name other processes attach it by.
    var name: String { dictionary.name }

    /// The property `property`: the dictionary's entry of that name, converted to `Value`.
    subscript<Value: Codable>(dynamicMember property: String) -> Value? {
        get {
            guard let value = dictionary[property] else { return nil }
            return try? UltraValueBridge.decode(Value.self, from: value)
        }
        set {
            do {
                dictionary[property] = try newValue.map { try UltraValueBridge.encode($0) }
            } catch {
                preconditionFailure("property '\(property)' cannot be stored: \(error)")
            }
        }
    }

    /// Runs `body` holding the dictionary's lock, so that a read-modify-write of properties is
    /// atomic between processes: `try player.withLock { $0.visits = ($0.visits ?? 0) + 1 }`.
    func withLock<Result>(_ body: (SharedObject) throws -> Result) throws -> Result {
        try dictionary.withLock { _ in try body(self) }
    }
}

/// A property type of its own: any `Codable` type can be stored.
struct Position: Codable {
    var x: Int
    var y: Int
}

/// Adds one to the `visits` property, atomically between processes.
func visit(_ player: SharedObject) throws {
    try player.withLock { player in
        let visits: Int = player.visits ?? 0
        player.visits = visits + 1
    }
}

if CommandLine.arguments.count == 3, CommandLine.arguments[1] == "--child" {
    // The child attaches to the parent's object by name and sets properties of its own.
    let player = try SharedObject(name: CommandLine.arguments[2])
    let owner: String = player.owner ?? "nobody"
    player.greeting = "hello, \(owner)"
    player.position = Position(x: 3, y: 4)
    try visit(player)
} else {
    // No name: a new object with a random one, unlinked when `player` goes away.
    let player = try SharedObject()
    player.owner = "parent"
    try visit(player)

    let child = Process()
    child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
    child.arguments = ["--child", player.name]
    try child.run()
    child.waitUntilExit()
    guard child.terminationStatus == 0 else {
        FileHandle.standardError.write(Data("error: the child process failed with status \(child.terminationStatus)\n".utf8))
        exit(1)
    }

    // Each read applies what the child wrote.
    let greeting: String = player.greeting ?? "none"
    let visits: Int = player.visits ?? 0
    let position: Position? = player.position
    print("greeting: \(greeting), visits: \(visits), position: \(position.map { "(\($0.x), \($0.y))" } ?? "none")")
}
