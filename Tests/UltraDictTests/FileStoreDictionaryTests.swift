import Foundation
import Testing
import UltraDict
import _UltraDictTestSupport

extension ScratchDirectory {
    /// The file store in this directory.
    func store(_ durability: UltraDictStore.Durability = .synchronous) -> UltraDictStore { .files(in: path, durability: durability) }
}

/// Dictionaries in a directory of files: they outlive every handle, and reopen whole.
@Suite("Dictionaries in files")
struct FileStoreDictionaryTests {
    @Test(arguments: [UltraDictStore.Durability.buffered, .synchronous], [nil, 4096])
    func aDictionaryClosedWithoutUnlinkingReopensWhole(durability: UltraDictStore.Durability, fullDumpSize: Int?) throws {
        let directory = try ScratchDirectory(creating: false)
        defer { directory.remove() }
        let name = uniqueName()
        var configuration = UltraDictConfiguration(bufferSize: 256, fullDumpSize: fullDumpSize, store: directory.store(durability))
        configuration.autoUnlink = false
        do {
            let d = try UltraDict<String, Int>(name: name, create: true, configuration: configuration)
            // Enough writes for several full dumps of the 256-byte stream, then a few records after the last.
            for i in 0..<100 { d["k\(i % 30)"] = i }
            try d.removeValue(forKey: "k0")
            #expect(d.count == 29)
        }
        #expect(directory.files.contains(name))
        let reopened = try UltraDict<String, Int>(name: name, create: false, configuration: UltraDictConfiguration(store: directory.store()))
        var expected: [String: Int] = [:]
        for i in 0..<100 { expected["k\(i % 30)"] = i }
        expected["k0"] = nil
        #expect(reopened.snapshot == expected)
        reopened.unlink()
        #expect(directory.files.isEmpty)
    }

    @Test func theSameNameInTwoStoresIsTwoDictionaries() throws {
        let directory = try ScratchDirectory(creating: false)
        defer { directory.remove() }
        let name = uniqueName()
        let inMemory = try UltraDict<String, Int>(name: name, create: true)
        defer { inMemory.unlink() }
        let inFiles = try UltraDict<String, Int>(name: name, create: true, configuration: UltraDictConfiguration(store: directory.store()))
        defer { inFiles.unlink() }
        inMemory["where"] = 1
        inFiles["where"] = 2
        #expect(inMemory["where"] == 1 && inFiles["where"] == 2)
        #expect(inFiles.configuration.store == directory.store())
        // Each has its own lock: holding one does not count as holding the other.
        try inMemory.withLock { _ in
            try inFiles.withLock { (inFiles) throws in
                #expect(try inFiles.status().lockHeld)
                inFiles["copied"] = 1
            }
        }
        #expect(try !inFiles.status().lockHeld && !inMemory.status().lockHeld)
    }

    @Test func aDictionaryInFilesOutlivesItsCreatorByDefault() throws {
        let directory = try ScratchDirectory(creating: false)
        defer { directory.remove() }
        let name = uniqueName()
        let creator = try UltraDict<String, Int>(name: name, create: true, configuration: UltraDictConfiguration(store: directory.store()))
        #expect(!creator.autoUnlink)
        creator["kept"] = 1
        creator.close()
        let reopened = try UltraDict<String, Int>(name: name, create: false, configuration: UltraDictConfiguration(store: directory.store()))
        #expect(reopened["kept"] == 1)
        reopened.unlink()
    }

    @Test func aTreeOfNestedDictionariesLivesInItsRootsDirectory() throws {
        let directory = try ScratchDirectory(creating: false)
        defer { directory.remove() }
        let name = uniqueName()
        let configuration = UltraDictConfiguration(autoUnlink: false, recurse: true, store: directory.store())
        do {
            let root = try UltraDict<UltraValue, UltraValue>(name: name, create: true, configuration: configuration)
            root["config"] = ["depth": ["level": 2]]
        }
        #expect(segments(of: name).isEmpty)  // Nothing in /dev/shm.
        let reopened = try UltraDict<UltraValue, UltraValue>(name: name, create: false, configuration: configuration)
        #expect(reopened["config"] == ["depth": ["level": 2]])
        #expect(directory.files.count > 3)  // The root, its register and the nested dictionaries, each with a stream.
        reopened.close()
        #expect(try UltraDict<UltraValue, UltraValue>.unlink(name: name, store: directory.store()))
        #expect(directory.files.isEmpty)
    }

    @Test func unlinkingByNameFindsTheDictionaryInItsStoreOnly() throws {
        let directory = try ScratchDirectory(creating: false)
        defer { directory.remove() }
        let name = uniqueName()
        _ = try UltraDict<String, Int>(name: name, create: true, configuration: UltraDictConfiguration(autoUnlink: false, store: directory.store()))
        #expect(try !UltraDict<String, Int>.unlink(name: name))
        #expect(try UltraDict<String, Int>.unlink(name: name, store: directory.store()))
        #expect(directory.files.isEmpty)
    }
}
