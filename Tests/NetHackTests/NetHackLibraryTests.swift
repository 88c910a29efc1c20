import Foundation
import NetHack
import Testing
import YendorTestSupport

@Suite struct NetHackLibraryTests {
    func makeDirectory(version: String?, library: Bool = true, data: Bool = true) throws -> URL {
        let dir = Scratch.root.appendingPathComponent("fake-nle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("nethackdir"), withIntermediateDirectories: true)
        if library { _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("libnethack.so").path, contents: Data()) }
        if data { _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("nethackdir/nhdat").path, contents: Data()) }
        if let version { try "__version__ = \"\(version)\"".write(to: dir.appendingPathComponent("version.py"), atomically: true, encoding: .utf8) }
        return dir
    }

    @Test func aMissingLibraryIsReportedWithItsPath() throws {
        let dir = try makeDirectory(version: "1.3.0", library: false)
        let path = dir.appendingPathComponent("libnethack.so").path
        #expect(throws: NetHackError.libraryMissing(path: path)) { try NetHackLibrary(directory: dir) }
        #expect("\(NetHackError.libraryMissing(path: path))".contains(path))
    }

    @Test func missingGameDataIsReportedWithItsPath() throws {
        let dir = try makeDirectory(version: "1.3.0", data: false)
        #expect(throws: NetHackError.libraryMissing(path: dir.appendingPathComponent("nethackdir/nhdat").path)) {
            try NetHackLibrary(directory: dir)
        }
    }

    @Test func anotherVersionIsRefusedNamingBothVersionsAndThePath() throws {
        let dir = try makeDirectory(version: "1.2.0")
        let versionFile = dir.appendingPathComponent("version.py").path
        #expect(throws: NetHackError.versionMismatch(path: versionFile, found: "1.2.0", expected: "1.3.0")) {
            try NetHackLibrary(directory: dir)
        }
        let message = "\(NetHackError.versionMismatch(path: versionFile, found: "1.2.0", expected: "1.3.0"))"
        #expect(message.contains(versionFile) && message.contains("1.2.0") && message.contains("1.3.0"))
    }

    @Test func anExplicitDirectoryIsUsedAndItsErrorsNameIt() throws {
        let dir = try makeDirectory(version: "1.3.0", library: false)
        #expect(throws: NetHackError.self) { try NetHackLibrary.locate(explicit: dir.path) }
    }
}
