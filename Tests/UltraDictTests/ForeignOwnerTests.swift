import Foundation
import Testing
import UltraDict
import _UltraDictTestSupport

/// A user id that owns nothing here: `nobody`.
let foreignUID: uid_t = 65534

/// Gives the segments `names` (in /dev/shm) to ``foreignUID``, as if another user had created them.
/// The tests run as root, which may still open them.
func giveToForeignUser(_ names: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    for name in names {
        #expect(chown("/dev/shm/" + name, foreignUID, foreignUID) == 0, "chown \(name): errno \(errno)", sourceLocation: sourceLocation)
    }
}

/// Expects `body` to throw `foreignOwner` naming the owner and how to opt in.
func expectForeignOwner<T>(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> T) {
    #expect(sourceLocation: sourceLocation) { _ = try body() } throws: { error in
        guard let error = error as? UltraDictError, error.code == .foreignOwner else { return false }
        return error.message.contains("uid \(foreignUID)") && error.message.contains("allowingForeignOwner: true")
    }
}

/// Segments that another user owns are refused on attach unless the caller opts in
/// (`Docs/SECURITY.md`). These tests need root, to `chown` the segments they create.
@Suite("Foreign owner", .enabled(if: geteuid() == 0, "chown needs root"))
struct ForeignOwnerTests {
    @Test func anotherUsersDictionaryIsRefusedUnlessAllowed() throws {
        let d = try UltraDict<String, Int>(name: uniqueName())
        defer { d.unlink(); #expect(segments(of: d.name).isEmpty) }
        d["a"] = 1
        giveToForeignUser(segments(of: d.name))

        expectForeignOwner { try UltraDict<String, Int>(name: d.name, create: false) }
        expectForeignOwner { try UltraDict<String, Int>(name: d.name) }
        let allowed = try UltraDict<String, Int>(name: d.name, create: false, allowingForeignOwner: true)
        #expect(allowed["a"] == 1)
        allowed["b"] = 2
        #expect(d["b"] == 2)
    }

    @Test func aForeignStreamIsRefused() throws {
        let d = try UltraDict<String, Int>(name: uniqueName())
        defer { d.unlink() }
        giveToForeignUser([d.name + "_memory"])

        expectForeignOwner { try UltraDict<String, Int>(name: d.name, create: false) }
    }

    @Test func aForeignDynamicDumpIsRefusedAtOnce() throws {
        let d = try UltraDict<String, Int>(name: uniqueName())
        defer { d.unlink() }
        d["a"] = 1
        try d.dump()
        giveToForeignUser([try #require(try d.status().fullDumpName)])

        // The reader does not mistake the refusal for a dump replaced under it, and does not retry.
        let start = ContinuousClock.now
        expectForeignOwner { try UltraDict<String, Int>(name: d.name, create: false) }
        #expect(ContinuousClock.now - start < .milliseconds(500))
        try expectOneOwnerPerDictionary(d)
        #expect(try UltraDict<String, Int>(name: d.name, create: false, allowingForeignOwner: true)["a"] == 1)
    }

    @Test func aForeignStaticDumpIsRefused() throws {
        let d = try UltraDict<String, Int>(name: uniqueName(), fullDumpSize: 4096)
        defer { d.unlink() }
        giveToForeignUser([d.name + "_full"])

        expectForeignOwner { try UltraDict<String, Int>(name: d.name, create: false) }
        try expectOneOwnerPerDictionary(d)
        #expect(try UltraDict<String, Int>(name: d.name, create: false, allowingForeignOwner: true).isEmpty)
    }

    /// Expects `d`, whose control segment is this user's and some other segment another user's,
    /// to be refused even with the opt-in (a dictionary's segments all belong to one user), and
    /// then gives the rest of it to that user, so that the opt-in attaches it.
    func expectOneOwnerPerDictionary(_ d: UltraDict<String, Int>, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(sourceLocation: sourceLocation) {
            try UltraDict<String, Int>(name: d.name, create: false, allowingForeignOwner: true)
        } throws: { error in
            (error as? UltraDictError)?.code == .foreignOwner && (error as? UltraDictError)?.message.contains("all belong to one user") == true
        }
        giveToForeignUser(segments(of: d.name), sourceLocation: sourceLocation)
    }

    @Test func nestedDictionariesInheritTheOptIn() throws {
        let root = try UltraDict<UltraValue, UltraValue>(name: uniqueName(), recurse: true)
        root["tree"] = ["leaf": 1]
        let child = try #require(try root.nested("tree")).name
        giveToForeignUser(segments(of: child))

        let refusing = try UltraDict<UltraValue, UltraValue>(name: root.name, create: false, recurse: true)
        expectForeignOwner { try refusing.nested("tree") }
        let allowing = try UltraDict<UltraValue, UltraValue>(name: root.name, create: false, recurse: true, allowingForeignOwner: true)
        #expect(try allowing.nested("tree")?["leaf"] == 1)

        // Unlinking the tree removes no other user's dictionary: the nested one, now another
        // user's, stays until it is unlinked by name.
        root.unlink()
        #expect(Set(segments(of: root.name)) == [child, child + "_memory"])
        #expect(try UltraDict<UltraValue, UltraValue>.unlink(name: child))
        #expect(segments(of: root.name).isEmpty)
    }
}
