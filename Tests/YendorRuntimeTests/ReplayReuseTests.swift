import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import YendorTestSupport
import ZeroMQ
@testable import YendorRuntime

/// A replay's reuse trains on samples again without counting them again: the budget (`env_steps`)
/// counts the env steps the workers took, once, in the learner's own buffer and behind a
/// `yendor replay` role (which marks what it sends again).
@Suite("Replay reuse", .serialized)
struct ReplayReuseTests {
    /// Reuse: each trajectory is sampled up to four times, about four samples per insert (a full
    /// buffer makes the workers wait, so nothing is evicted before its reuse).
    static let reuse = ["--set", "replay.sampler=uniform", "--set", "replay.max_times_sampled=4",
                        "--set", "replay.samples_per_insert=4", "--set", "replay.capacity=8",
                        "--set", "replay.full_policy=block"]

    static func last(_ run: URL) -> [String: Double] {
        (try? MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")))?.last ?? [:]
    }

    /// The worker's own count of what it sent, from its "stopped after N trajectories" line.
    static func sent(_ log: String) -> Int? { log.firstMatch(of: /stopped after (\d+) trajectories/).flatMap { Int($0.1) } }

    /// With the tiny configuration a trajectory is 16 steps of 4 envs, and an update trains on one.
    static let stepsPerTrajectory = 64.0

    static func expectCountedOnce(run: URL, sentTrajectories: Int?, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let record = last(run)
        // Every sample the learner was handed: trained on, or dropped as too stale (a reused
        // trajectory's later draws often are).
        let steps = record["env_steps"] ?? 0
        let trained = (record["learner/updates"] ?? 0) * stepsPerTrajectory + (record["learner/samples_dropped_lag"] ?? 0)
        let sent = try #require(sentTrajectories, sourceLocation: sourceLocation)
        #expect(steps > 0 && steps <= Double(sent) * stepsPerTrajectory, "env_steps \(steps), sent \(sent) trajectories",
                sourceLocation: sourceLocation)
        // Reuse happened: far more samples handed over than env steps counted (before, the two were equal).
        #expect(trained >= 2 * steps, "handed \(trained) samples for \(steps) env steps", sourceLocation: sourceLocation)
    }

    @Test func theLearnersOwnBufferCountsAReusedTrajectoryOnce() async throws {
        let (dir, config) = try TinyRun.scratch("reuse-inprocess", checkpointInterval: 60)
        let run = dir.appendingPathComponent("run")
        let train = try ChildProcess(yendor: ["train", "--config", config, "--steps", "100000000", "--run-dir", run.path] + Self.reuse)
        defer { train.kill() }
        #expect(await Poll.until(timeout: 600) { (Self.last(run)["learner/updates"] ?? 0) >= 40 },
                "\(train.standardError.suffix(1500))")
        train.signal(SIGTERM)
        #expect(await train.waitForExit(timeout: 60) == 0, "\(train.standardError.suffix(1500))")
        try Self.expectCountedOnce(run: run, sentTrajectories: Self.sent(train.standardError))
    }

    @Test func aReplayRolesRedeliveriesAreCountedOnce() async throws {
        let (dir, config, endpoints) = try TrainingEndToEndTests.scratch("reuse-role")
        let replayEndpoint = ["--set", "transport.replay=tcp://127.0.0.1:\(ChildProcess.freePort())"]
        let run = dir.appendingPathComponent("run")
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--steps", "100000000", "--run-dir", run.path] + endpoints)
        let replay = try ChildProcess(yendor: ["replay", "--config", config, "--run-dir", dir.appendingPathComponent("replay").path]
                                      + Self.reuse + endpoints + replayEndpoint)
        let worker = try ChildProcess(yendor: ["worker", "--config", config, "--id", "reused", "--replay", "127.0.0.1"] + endpoints + replayEndpoint)
        defer { learner.kill(); replay.kill(); worker.kill() }
        #expect(await Poll.until(timeout: 600) { (Self.last(run)["learner/updates"] ?? 0) >= 40 },
                "\(learner.standardError.suffix(1000)) \(replay.standardError.suffix(1000))")
        worker.signal(SIGTERM)
        #expect(await worker.waitForExit(timeout: 60) == 0, "\(worker.standardError.suffix(1500))")
        learner.signal(SIGTERM)
        #expect(await learner.waitForExit(timeout: 60) == 0, "\(learner.standardError.suffix(1500))")
        try Self.expectCountedOnce(run: run, sentTrajectories: Self.sent(worker.standardError))
    }

    /// A replay role that cannot save its buffer as it stops (a full disk) loses it: it says how
    /// many trajectories, and exits non-zero (it exited 0, trial Y), so a supervisor or job script
    /// sees the loss.
    @Test(.enabled(if: SmallDisk.available, "needs root (a tmpfs)"))
    func aReplayRoleThatCannotSaveItsBufferExitsNonZero() async throws {
        let (_, config, endpoints) = try TrainingEndToEndTests.scratch("replay-full-disk")
        let disk = try SmallDisk(size: "256k")
        defer { disk.unmount() }
        let replay = try ChildProcess(yendor: ["replay", "--config", config, "--run-dir", disk.url.appendingPathComponent("replay").path] + endpoints
                                      + ["--set", "transport.replay=tcp://127.0.0.1:\(ChildProcess.freePort())"])
        defer { replay.kill() }
        #expect(await replay.waitForStandardError(containing: "replay listening", timeout: 600), "\(replay.standardError.suffix(1500))")
        try disk.fill()
        replay.signal(SIGTERM)
        let status = await replay.waitForExit(timeout: 600)
        #expect(status != nil && status != 0, "\(replay.standardError.suffix(1500))")
        #expect(replay.standardError.contains("could not save the replay buffer") && replay.standardError.contains("trajectories are lost"),
                "\(replay.standardError.suffix(1500))")
    }

    /// A replay role whose learner is not there (a wrong --learner, a port) said nothing, and the
    /// workers behind it blamed the replay role's queue; now it says so, and says when it is heard.
    @Test func aReplayRoleWhoseLearnerIsSilentSaysSoUntilItIsHeard() async throws {
        let (dir, config, endpoints) = try TrainingEndToEndTests.scratch("replay-silent")
        let replay = try ChildProcess(yendor: ["replay", "--config", config, "--run-dir", dir.appendingPathComponent("replay").path] + endpoints
                                      + ["--set", "transport.replay=tcp://127.0.0.1:\(ChildProcess.freePort())"])
        defer { replay.kill() }
        #expect(await replay.waitForStandardError(containing: "no word from the learner at", timeout: 600), "\(replay.standardError.suffix(1500))")
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--run-dir", dir.appendingPathComponent("run").path] + endpoints)
        defer { learner.kill() }
        #expect(await replay.waitForStandardError(containing: "is heard again", timeout: 600), "\(replay.standardError.suffix(1500))")
        replay.signal(SIGTERM)
        #expect(await replay.waitForExit(timeout: 60) == 0, "\(replay.standardError.suffix(1500))")
        learner.signal(SIGTERM)
        #expect(await learner.waitForExit(timeout: 60) == 0, "\(learner.standardError.suffix(1500))")
    }

    /// Garbage sent to a replay role is counted by reason and said in a rate-limited line naming
    /// the decode error (trial C: a reason-less line per frame, 20,000 for 20,000 frames).
    @Test func aReplayRoleCountsGarbageByReasonAndSaysSoOnce() async throws {
        let (dir, config, endpoints) = try TrainingEndToEndTests.scratch("replay-garbage")
        let port = ChildProcess.freePort(), input = "tcp://127.0.0.1:\(ChildProcess.freePort())"
        let replay = try ChildProcess(yendor: ["replay", "--config", config, "--run-dir", dir.appendingPathComponent("replay").path] + endpoints
                                      + ["--set", "transport.replay=\(input)", "--set", "run.prometheus_port=\(port)", "--set", "run.prometheus_host=127.0.0.1"])
        defer { replay.kill() }
        #expect(await replay.waitForStandardError(containing: "Prometheus metrics on", timeout: 600), "\(replay.standardError.suffix(1500))")
        let context = try Context()
        defer { context.terminate() }
        let push = try Socket(context: context, type: .push)
        defer { push.close() }
        try push.connect(input)
        for k in 0..<200 { _ = try push.send(Array("garbage \(k)".utf8)) }
        let url = URL(string: "http://127.0.0.1:\(port)/metrics")!
        var samples: [String: Double] = [:]
        #expect(await Poll.until(timeout: 600) {
            samples = (try? await PrometheusEndpointTests.scrape(url).samples) ?? [:]
            return samples["yendor_transport_frames_dropped{role=\"replay\"}"] == 200
        }, "\(samples.filter { $0.key.contains("dropped") })")
        #expect(samples.contains { $0.key.hasPrefix("yendor_transport_frames_dropped_decode_") && $0.value == 200 }, "\(samples.filter { $0.key.contains("dropped") })")
        let lines = replay.standardError.split(separator: "\n").filter { $0.contains("dropped a malformed frame: ") }
        #expect(lines.count >= 1 && lines.count < 10, "\(lines.count) lines: \(lines.prefix(3))")
        replay.signal(SIGTERM)
        #expect(await replay.waitForExit(timeout: 60) == 0, "\(replay.standardError.suffix(1500))")
    }
}
