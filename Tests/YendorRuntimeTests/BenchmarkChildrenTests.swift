import Foundation
import Testing
import YendorTestSupport

/// A benchmark killed (or stopped by Ctrl-C, which reaches it alone: Foundation starts each child
/// in a process group of its own) leaves nothing running: `bench train`'s `yendor train` ran on to
/// the end of its budget, and `bench transport`'s receiving peer waited for its sender for ever.
@Suite("A killed benchmark's children")
struct BenchmarkChildrenTests {
    @Test(arguments: [(["bench", "train", "--bench-steps", "100000000"], "train"),
                      (["bench", "transport", "--volume-mib", "100000", "--sizes-kib", "64"], "_peer")])
    func aKilledBenchmarkLeavesNoChildRunning(benchmark: [String], child: String) async throws {
        let (_, config) = try TinyRun.scratch("bench-killed", checkpointInterval: 600)
        let bench = try ChildProcess(yendor: benchmark + (child == "train" ? ["--config", config] : []))
        defer { bench.kill() }
        func children() -> [Int32] { ChildProcess.processes { $0.parent == bench.pid && $0.arguments.dropFirst().first == child } }
        #expect(await Poll.until(timeout: 600) { !children().isEmpty }, "\(bench.standardError.suffix(1500))")
        let started = children()
        defer { for pid in started where ChildProcess.isAlive(pid) { kill(pid, SIGKILL) } }
        bench.kill()
        _ = await bench.waitForExit(timeout: 60)
        #expect(await Poll.until(timeout: 600) { !started.contains(where: ChildProcess.isAlive) }, "still running: \(started)")
    }
}
