import Foundation
import Testing
import YendorTestSupport
@testable import YendorRuntime

/// A worker stopped while its trajectory outbox is full still says Goodbye: the learner records it
/// as leaving, not as timing out.
@Suite("Worker goodbye", .serialized)
struct WorkerGoodbyeTests {
    @Test func aWorkerStoppedUnderBackpressureIsRecordedAsLeavingNotTimedOut() async throws {
        let (dir, config) = try TinyRun.scratch("goodbye", checkpointInterval: 60)
        let run = dir.appendingPathComponent("run").path
        let endpoints = ["--set", "transport.trajectories=\(ChildProcess.ipcEndpoint("goodbye-trajectories"))",
                         "--set", "transport.weights=\(ChildProcess.ipcEndpoint("goodbye-weights"))"]
        // 0.2 s heartbeats × 100 misses: the learner would time the worker out (and ZeroMQ's own
        // heartbeats would drop the link) only after 20 s, far longer than the learner is stopped here.
        let patient = ["--set", "transport.heartbeat_misses=100"]
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--steps", "100000000", "--run-dir", run] + endpoints + patient)
        let worker = try ChildProcess(yendor: ["worker", "--config", config, "--id", "leaver"] + endpoints + patient)
        defer {
            worker.kill()
            learner.signal(SIGCONT)
            learner.kill()
        }
        #expect(await learner.waitForStandardError(containing: "worker leaver joined", timeout: 120), "\(learner.standardError.suffix(1500))")

        // Stop the learner once it is training (metrics show an update): stopped earlier, while it
        // is still setting up, the Goodbye was lost in every try (cause not found; see docs/cluster.md).
        let metrics = URL(fileURLWithPath: run).appendingPathComponent("metrics.jsonl")
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, ((try? MetricsLog.read(url: metrics))?.last?["learner/updates"] ?? 0) < 1 {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(((try? MetricsLog.read(url: metrics))?.last?["learner/updates"] ?? 0) >= 1, "the learner never trained")

        // The learner stops reading: the worker's trajectory outbox fills (it says so).
        learner.signal(SIGSTOP)
        #expect(await worker.waitForStandardError(containing: "outbox full", timeout: 60), "\(worker.standardError.suffix(1500))")

        worker.signal(SIGTERM)
        #expect(await worker.waitForExit(timeout: 60) != nil, "the worker did not stop on SIGTERM")
        #expect(worker.standardError.contains("goodbye=sent"), "\(worker.standardError.suffix(1500))")

        learner.signal(SIGCONT)
        #expect(await learner.waitForStandardError(containing: "worker leaver left", timeout: 60), "\(learner.standardError.suffix(1500))")
        #expect(!learner.standardError.contains("worker leaver timed out"), "\(learner.standardError.suffix(1500))")
    }
}
