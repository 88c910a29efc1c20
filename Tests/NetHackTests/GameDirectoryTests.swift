import Foundation
@testable import NetHack
import Testing
import YendorSupport
import YendorTestSupport

/// A game's directory is locked while its game lives, so a sweep removes only those a dead process
/// left behind.
@Suite struct GameDirectoryTests {
    /// NetHack aborts its whole process when it cannot write a level file: a reset refuses, with
    /// a message naming the place and the free space, when less than the minimum is free there.
    @Test func aGameDoesNotStartWithTooLittleSpaceForItsLevelFiles() throws {
        let directory = try GameDirectory(dataPath: "/nonexistent/nhdat", in: Scratch.root.path)
        #expect(throws: Never.self) { try directory.checkFreeSpace(minimum: 0) }
        #expect { try directory.checkFreeSpace(minimum: .max) } throws: { error in
            let text = "\(error)"
            return text.contains("KiB free where NetHack writes its level files (\(Scratch.root.path)") && text.contains("point TMPDIR")
        }
    }

    @Test func aSweepRemovesOnlyUnlockedGameDirectoriesAndAReleasedGameRemovesItsOwn() throws {
        let parent = Scratch.root.appendingPathComponent("yendor-gamedirs-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: parent) }
        var live: GameDirectory? = try GameDirectory(dataPath: "/nonexistent/nhdat", in: parent)
        let livePath = try #require(live?.path)
        #expect(FileManager.default.fileExists(atPath: livePath + "/save"))
        // As a killed process leaves one: the lock file is there, nobody holds it.
        let abandoned = parent + "/" + GameDirectory.prefix + "abandoned"
        try FileManager.default.createDirectory(atPath: abandoned + "/save", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: abandoned + "/" + LockedDirectory.lockName, contents: nil))
        // Without a lock file it is not known to be a game's: left alone.
        let foreign = parent + "/" + GameDirectory.prefix + "foreign"
        try FileManager.default.createDirectory(atPath: foreign, withIntermediateDirectories: true)

        #expect(GameDirectory.removeAbandoned(in: parent) == [abandoned])
        #expect(FileManager.default.fileExists(atPath: livePath) && FileManager.default.fileExists(atPath: foreign))
        #expect(!FileManager.default.fileExists(atPath: abandoned))
        live = nil
        #expect(!FileManager.default.fileExists(atPath: livePath))
        #expect(GameDirectory.removeAbandoned(in: parent).isEmpty)
    }
}
