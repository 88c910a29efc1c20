import Foundation
import Testing
import YendorTestSupport

/// However `yendor` was started, SIGINT reaches it: a shell starts `yendor … &` with SIGINT
/// ignored, and the disposition is inherited across exec.
@Suite("Signal dispositions")
struct SignalDispositionTests {
    /// Whether `signal` is in the ignored set of process `pid` (/proc/PID/status, `SigIgn`).
    static func ignores(_ pid: Int32, _ signal: Int32) -> Bool? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigIgn:") }),
              let mask = UInt64(line.dropFirst("SigIgn:".count).trimmingCharacters(in: .whitespaces), radix: 16) else { return nil }
        return mask & (1 << UInt64(signal - 1)) != 0
    }

    @Test func aYendorStartedWithSIGINTIgnoredStopsOnIt() async throws {
        // A command without a service group, so nothing but the start takes SIGINT over.
        let process = try ChildProcess(executable: URL(fileURLWithPath: "/bin/sh"), arguments: [
            "-c", "trap '' INT; exec \"$0\" bench env --tasks score --steps 100000000", ChildProcess.yendorBinary.path])
        defer { process.kill() }
        // Once `yendor` runs (after exec), it must no longer ignore SIGINT. (Polled with a last look
        // after the timeout: a test task starved on a loaded machine past its deadline never looked.)
        let running = await Poll.until(every: .milliseconds(5)) {
            let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(process.pid)/exe")) ?? ""
            return !process.isRunning || (exe.hasSuffix("/yendor") && Self.ignores(process.pid, SIGINT) == false)
        } && process.isRunning
        #expect(running, "yendor still ignores SIGINT: \(String(describing: Self.ignores(process.pid, SIGINT)))")
        process.signal(SIGINT)
        #expect(await process.waitForExit(timeout: 120) != nil, "yendor did not stop on SIGINT")
    }
}
