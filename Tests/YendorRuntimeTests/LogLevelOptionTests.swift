import Testing
import YendorTestSupport

/// `--log-level` is one typed option in every command that logs: a level swift-log does not know
/// is refused before the role starts, and the message lists the levels it takes.
@Suite("--log-level")
struct LogLevelOptionTests {
    @Test(arguments: [["worker"], ["annotator"], ["annotator", "evaluate"]])
    func anUnknownLevelIsRefusedListingTheLevels(command: [String]) async throws {
        let process = try ChildProcess(yendor: command + ["--log-level", "loud"])
        defer { process.kill() }
        let status = await process.waitForExit(timeout: 600)
        #expect(status != 0 && status != nil)
        let message = process.standardError
        #expect(message.contains("'loud' is invalid for '--log-level"), "\(message.suffix(1500))")
        for level in ["trace", "debug", "info", "notice", "warning", "error", "critical"] {
            #expect(message.contains(level), "\(level) missing from: \(message.suffix(1500))")
        }
    }
}
