import Foundation
import Testing
import YendorTestSupport

/// Usage lines and help say the name the program was started by: a cluster links `yendor` to a
/// versioned binary, and help said the binary's file name (trial V5: `USAGE: yendor-v5`).
@Suite("The program's name in help")
struct ProgramNameTests {
    @Test func helpStartedThroughASymlinkSaysTheSymlinksName() async throws {
        let dir = Scratch.root.appendingPathComponent("program-name-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let link = dir.appendingPathComponent("yendor-linked")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: ChildProcess.yendorBinary)
        let help = try ChildProcess(executable: link, arguments: ["--help"])
        #expect(await help.waitForExit(timeout: 600) == 0, "\(help.standardError.suffix(1500))")
        let text = help.lines.joined(separator: "\n")
        #expect(text.contains("USAGE: yendor-linked <subcommand>"), "\(text.prefix(1500))")
        #expect(!text.contains("USAGE: yendor <subcommand>"), "\(text.prefix(1500))")
    }
}
