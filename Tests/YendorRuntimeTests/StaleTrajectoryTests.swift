import Foundation
import Testing
import YendorRuntime
import YendorTestSupport
import YendorWire

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
        #expect(await learner.waitForStandardError(containing: "worker eager joined", timeout: 600), "\(learner.standardError.suffix(1500))")
        var latest: [String: Double] = [:]
        // Waits for the 20th update; the bound only catches a hung learner (with the CPU loaded by
        // other work 19 updates took 120 s).
        let deadline = Date().addingTimeInterval(1200)
        while (latest["learner/updates"] ?? 0) < 20 && Date() < deadline && learner.isRunning {
            try await Task.sleep(for: .milliseconds(250))
            latest = (try? MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")))?.last ?? latest
        }
        let steps = latest["env_steps"] ?? 0, updates = latest["learner/updates"] ?? 0
        let dropped = latest["learner/samples_dropped_lag"] ?? 0
        #expect(updates >= 20, "metrics: \(latest)\n\(learner.standardError.suffix(1500))")
        // Every step taken in (counted as it is admitted) was trained on in an update (64 per
        // update), dropped as stale, or is still waiting: in the replay buffer (capacity 2), in the
        // hand of the train loop, or admitted and waiting for room; the updates did not absorb the
        // stale trajectories.
        #expect(dropped > 0, "no stale samples: \(latest)")
        // (+1: the metrics line reads the counters at slightly different moments.)
        #expect(steps > (updates + 1) * 64, "every trajectory cost an update: \(latest)")
        #expect(steps - updates * 64 - dropped <= (2 + 2 + 1) * 64, "steps neither trained on, dropped nor waiting: \(latest)")
    }
}

/// A worker that missed the weights that followed an update (a PUB socket drops them for a
/// subscriber that does not read, e.g. a paused process) sends nothing but stale trajectories; the
/// learner sends the current weights again, and training resumes once the worker uses them.
@Suite("Stale worker recovery")
struct StaleWorkerRecoveryTests {
    @Test func aWorkerWhoseTrajectoriesAreAllTooStaleIsSentTheWeightsAgainAndTrainingResumes() async throws {
        // A lag limit of 0: once the first update makes policy version 1, trajectories from version 0
        // are all dropped whole, and no update can come from them to publish weights.
        try await TrajectoryAdmissionTests.Fixture.with("stale-recovery", goodWorker: false,
                                                        learnerArguments: ["--set", "learner.max_policy_lag=0", "--set", "transport.heartbeat_interval=2"]) { f in
            // The test says Hello with every trajectory, so the learner never times it out (a rejoin
            // would send it weights too); the metric `learner/weights_resent` counts resends only.
            try await f.hello("laggard")
            #expect(await f.learner.waitForStandardError(containing: "worker laggard joined", timeout: 600), "\(f.learner.standardError.suffix(1500))")
            // Version-0 trajectories until the first update (64 samples; 32 per trajectory).
            let deadline = Date().addingTimeInterval(600)
            while f.metric("learner/updates") < 1 && Date() < deadline && f.learner.isRunning {
                try await f.hello("laggard")
                try await f.send(f.batch("laggard"))
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(f.metric("learner/updates") == 1, "\(f.learner.standardError.suffix(1500))")
            let version = UInt64(f.metric("learner/policy_version"))
            #expect(version >= 1)
            let publishedBefore = f.publishedVersions.withLock { $0.filter { $0 == version }.count }

            // The worker ignores those weights and keeps sending version 0: every trajectory is too
            // stale, and the learner publishes version `version` again.
            var resent = false
            let resendDeadline = Date().addingTimeInterval(600)
            while !resent && Date() < resendDeadline && f.learner.isRunning {
                try await f.hello("laggard")
                try await f.send(f.batch("laggard"))
                try await Task.sleep(for: .milliseconds(100))
                resent = f.metric("learner/weights_resent") >= 1 && f.publishedVersions.withLock { $0.filter { $0 == version }.count } > publishedBefore
            }
            #expect(resent, "weights \(f.publishedVersions.withLock { $0 }), resent \(f.metric("learner/weights_resent")), dropped for lag \(f.metric("learner/samples_dropped_lag"))\n\(f.learner.standardError.suffix(1500))")
            #expect(f.metric("learner/updates") == 1, "an update was made from stale trajectories")

            // With the weights received, its trajectories carry the current version and are trained on.
            func current(_ b: inout TrajectoryBatch) {
                b.policyVersion = version
                b.policyVersions = [Int32](repeating: Int32(version), count: b.policyVersions.count)
            }
            let trainDeadline = Date().addingTimeInterval(600)
            while f.metric("learner/updates") < 2 && Date() < trainDeadline && f.learner.isRunning {
                try await f.hello("laggard")
                try await f.send(f.batch("laggard", current))
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(f.metric("learner/updates") >= 2, "training did not resume: \(f.learner.standardError.suffix(1500))")
        }
    }
}
