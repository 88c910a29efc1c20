import Foundation
import Testing
import YendorTestSupport

/// A `yendor` process takes the hard limit on open files as its soft one: out of descriptors, a
/// learner stopped admitting workers without a word, and libdispatch then ended it with SIGILL
/// (trial Y); the usual soft limit (1,024) is far below the usual hard one.
@Suite("Open-file limit")
struct OpenFileLimitTests {
    /// The soft and hard "Max open files" of process `pid`, from /proc.
    static func limits(of pid: Int32) -> (soft: String, hard: String)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Max open files") }) else { return nil }
        let fields = line.dropFirst("Max open files".count).split(separator: " ")
        return fields.count >= 2 ? (String(fields[0]), String(fields[1])) : nil
    }

    @Test func aYendorProcessStartedWithALowSoftLimitRaisesItToTheHardLimit() async throws {
        let hard = try #require(Self.limits(of: getpid())?.hard)
        try #require(hard != "64", "the hard limit here must be above the soft one the test sets")
        // A probe that waits for a learner that never answers runs until it is killed; `exec`
        // keeps the shell's pid, so /proc shows yendor's limits.
        let port = ChildProcess.freePort()
        let probe = try ChildProcess(executable: URL(fileURLWithPath: "/bin/bash"), arguments: [
            "-c", "ulimit -Sn 64 && exec \"$0\" \"$@\"", ChildProcess.yendorBinary.path,
            "health", "learner", "--endpoint", "tcp://127.0.0.1:\(port)", "--timeout", "600"])
        defer { probe.kill() }
        // Once the shell has become yendor, its `ulimit` has been applied: the soft limit is 64
        // until yendor raises it.
        func isYendor() -> Bool {
            (try? String(contentsOfFile: "/proc/\(probe.pid)/cmdline", encoding: .utf8))?.split(separator: "\0").first?.hasSuffix("yendor") == true
        }
        #expect(await Poll.until(timeout: 600) { isYendor() && Self.limits(of: probe.pid)?.soft == hard },
                "limits of \(probe.pid): \(String(describing: Self.limits(of: probe.pid)))")
    }
}
