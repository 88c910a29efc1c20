import Foundation
import Testing
import YendorRuntime
import YendorTestSupport

/// A learner behind its worker drops trajectories that are too stale to train on before they cost
/// an update, so every update it makes trains on fresh samples.
@Suite("Stale trajectories")
struct StaleTrajectoryTests {
    @Test func aLearnerBehindItsWorkerDropsWhollyStaleTrajectoriesWithoutUpdatingOnThem() async throws {
        let (dir, config) = try TinyRun.scratch("stale", checkpointInterval: 60)
        let run = URL(fileURLWithPath: dir.appendingPathComponent("run").path)
        let endpoints = ["--set", "transport.trajectories=\(ChildProcess.ipcEndpoint("stale-trajectories"))",
                         "--set", "transport.weights=\(ChildProcess.ipcEndpoint("stale-weights"))"]
        // A slow learner (20 passes over every batch) with a lag limit of one version: the worker's
        // queued trajectories are several updates old by the time the learner reads them. One
        // trajectory (4 envs × 16 steps) is exactly one batch of 64, so before the fix every
        // trajectory read cost one update, stale or not.
        let slow = ["--set", "learner.epochs=20", "--set", "learner.minibatch_size=16", "--set", "learner.max_policy_lag=1"]
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--steps", "100000000", "--run-dir", run.path]
                                       + endpoints + slow)
        let worker = try ChildProcess(yendor: ["worker", "--config", config, "--id", "eager"] + endpoints)
        defer {
            worker.kill()
            learner.kill()
        }
        #expect(await learner.waitForStandardError(containing: "worker eager joined", timeout: 120), "\(learner.standardError.suffix(1500))")
        var latest: [String: Double] = [:]
        let deadline = Date().addingTimeInterval(120)
        while (latest["learner/updates"] ?? 0) < 20 && Date() < deadline && learner.isRunning {
            try await Task.sleep(for: .milliseconds(250))
            latest = (try? MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")))?.last ?? latest
        }
        let steps = latest["env_steps"] ?? 0, updates = latest["learner/updates"] ?? 0
        let dropped = latest["learner/samples_dropped_lag"] ?? 0
        #expect(updates >= 20, "metrics: \(latest)\n\(learner.standardError.suffix(1500))")
        // Every step taken in was either trained on in an update (64 per update) or dropped as
        // stale: the updates did not absorb the stale trajectories.
        #expect(dropped > 0, "no stale samples: \(latest)")
        // (+1: the metrics line reads the two counters at slightly different moments.)
        #expect(steps > (updates + 1) * 64, "every trajectory cost an update: \(latest)")
        #expect(steps - updates * 64 <= dropped, "steps neither trained on nor dropped: \(latest)")
    }
}
