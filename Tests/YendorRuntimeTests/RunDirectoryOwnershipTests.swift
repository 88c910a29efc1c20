import Foundation
import Testing
import YendorTestSupport
@testable import YendorRuntime

/// A run directory belongs to one run: it is where the user says (`--run-dir`, or `run.dir` in the
/// config file or `--set`), a second process is refused while the first holds it (their metrics
/// and checkpoints would interleave), a resume continues with the run's own settings, and a refused
/// resume leaves the run's record as it was.
@Suite("Run directory ownership", .serialized)
struct RunDirectoryOwnershipTests {
    /// A `yendor learner` on the tiny configuration, with no budget to speak of, once it listens.
    static func listeningLearner(_ name: String) async throws -> (config: String, run: URL, learner: ChildProcess) {
        let (dir, config, endpoints) = try TrainingEndToEndTests.scratch(name)
        let run = dir.appendingPathComponent("run")
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--steps", "100000000", "--run-dir", run.path] + endpoints)
        #expect(await learner.waitForStandardError(containing: "learner listening"), "\(learner.standardError.suffix(1500))")
        return (config, run, learner)
    }

    @Test func trainWritesWhereRunDirIsSetInTheConfigurationOrWithSet() async throws {
        let (dir, config, _) = try TrainingEndToEndTests.scratch("rundir-set")
        let run = dir.appendingPathComponent("chosen")
        // `--task` used to replace any configured run.dir with runs/<task>-<time> here.
        let train = try ChildProcess(yendor: ["train", "--config", config, "--task", "staircase", "--steps", "300",
                                              "--set", "run.dir=\(run.path)"], directory: dir)
        #expect(await train.waitForExit(timeout: 600) == 0, "\(train.standardError.suffix(2000))")
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("config.yaml").path))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("runs").path), "wrote under runs/ instead")
    }

    @Test func aSecondRunInAHeldDirectoryIsRefusedNamingTheHolder() async throws {
        let (config, run, learner) = try await Self.listeningLearner("rundir-lock")
        defer { learner.kill() }
        let second = try ChildProcess(yendor: ["train", "--config", config, "--steps", "300", "--run-dir", run.path])
        let status = await second.waitForExit(timeout: 600)
        #expect(status != 0 && status != nil)
        #expect(second.standardError.contains("is in use by another run (pid \(learner.process.processIdentifier))"), "\(second.standardError.suffix(1500))")
        #expect(learner.isRunning)
        // The lock goes with the process, however it ends.
        learner.kill()
        _ = await learner.waitForExit(timeout: 600)
        let third = try ChildProcess(yendor: ["train", "--config", config, "--steps", "300", "--run-dir", run.path])
        #expect(await third.waitForExit(timeout: 600) == 0, "\(third.standardError.suffix(2000))")
    }

    @Test func aResumeRefusedForAnotherModelLeavesTheRunsConfigurationAsItWas() async throws {
        let (dir, config, _) = try TrainingEndToEndTests.scratch("rundir-refused")
        let run = dir.appendingPathComponent("run")
        let first = try ChildProcess(yendor: ["train", "--config", config, "--steps", "300", "--run-dir", run.path])
        #expect(await first.waitForExit(timeout: 600) == 0, "\(first.standardError.suffix(2000))")
        let before = try String(contentsOf: run.appendingPathComponent("config.yaml"), encoding: .utf8)
        let other = try ChildProcess(yendor: ["train", "--config", config, "--steps", "600", "--run-dir", run.path,
                                              "--set", "model.core_width=24"])
        let status = await other.waitForExit(timeout: 600)
        #expect(status != 0 && status != nil)
        #expect(other.standardError.contains("was written for a different model"), "\(other.standardError.suffix(1500))")
        #expect(other.standardError.contains("this run's is ["), "names both models: \(other.standardError.suffix(1500))")
        #expect(try String(contentsOf: run.appendingPathComponent("config.yaml"), encoding: .utf8) == before)
    }

    /// A run that took no step (a start that failed, a learner stopped before any worker came)
    /// writes no checkpoint: the directory was tied to a model that never trained, and the fixed
    /// start was refused it as "another model".
    @Test func aRunThatTookNoStepLeavesItsDirectoryFreeForAnotherModel() async throws {
        let (config, run, learner) = try await Self.listeningLearner("rundir-no-step")
        defer { learner.kill() }
        learner.signal(SIGTERM)
        #expect(await learner.waitForExit(timeout: 60) == 0, "\(learner.standardError.suffix(1500))")
        #expect(learner.standardError.contains("no checkpoint written: the run took no env step"), "\(learner.standardError.suffix(1500))")
        #expect(try Checkpoints(directory: run.appendingPathComponent("checkpoints")).latest() == nil)
        let other = try ChildProcess(yendor: ["train", "--config", config, "--steps", "300", "--run-dir", run.path,
                                              "--set", "model.core_width=24"])
        #expect(await other.waitForExit(timeout: 600) == 0, "\(other.standardError.suffix(2000))")
        // Once it has trained, the run is resumable: it leaves a checkpoint.
        #expect(try Checkpoints(directory: run.appendingPathComponent("checkpoints")).latest() != nil)
    }

    /// A checkpoint that cannot be written (a full disk; here the checkpoints directory replaced
    /// by a file) costs that checkpoint, not the run: it is logged and counted, and training goes
    /// on. It stopped the learner with a raw Foundation error.
    @Test func aCheckpointThatCannotBeWrittenIsSaidAndTrainingGoesOn() async throws {
        let (dir, config) = try TinyRun.scratch("rundir-checkpoint-fails", checkpointInterval: 0.5)
        let run = dir.appendingPathComponent("run")
        let train = try ChildProcess(yendor: ["train", "--config", config, "--steps", "100000000", "--run-dir", run.path])
        defer { train.kill() }
        #expect(await train.waitForStandardError(containing: "checkpoint written to", timeout: 600), "\(train.standardError.suffix(1500))")
        let checkpoints = run.appendingPathComponent("checkpoints")
        try FileManager.default.moveItem(at: checkpoints, to: run.appendingPathComponent("checkpoints-moved"))
        try Data("not a directory".utf8).write(to: checkpoints)
        #expect(await train.waitForStandardError(containing: "checkpoint to \(checkpoints.path) failed: ", timeout: 600), "\(train.standardError.suffix(1500))")
        #expect(train.standardError.contains("training goes on"))
        // The kernel's reason, not Foundation's "NSCocoaErrorDomain error 512" (trial C).
        #expect(train.standardError.contains("checkpoint to \(checkpoints.path) failed: Not a directory;"), "\(train.standardError.suffix(1500))")
        let steps = TrainingEndToEndTests.envSteps(run)
        #expect(await TrainingEndToEndTests.waitForSteps(run, above: steps + 500, of: train), "training stopped: \(train.standardError.suffix(1500))")
        #expect(train.isRunning)
        #expect(await Poll.until(timeout: 600) {
            ((try? MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")))?.last?["learner/checkpoint_failures"] ?? 0) >= 1
        }, "not counted")
    }

    @Test func aResumeWithoutTheStartsFlagsContinuesTheRunWithItsOwnSettings() async throws {
        let (dir, config, _) = try TrainingEndToEndTests.scratch("rundir-resume")
        let run = dir.appendingPathComponent("run")
        // A remote annotator (none answers: training goes on without labels) on ports of its own.
        let requests = ChildProcess.freePort(), labels = ChildProcess.freePort()
        let first = try ChildProcess(yendor: ["train", "--config", config, "--task", "keyroom", "--steps", "300",
                                              "--set", "learner.learning_rate=0.001", "--run-dir", run.path,
                                              "--set", "transport.weights=tcp://127.0.0.1:1", "--set", "reward.annotator=127.0.0.1",
                                              "--set", "transport.annotator_requests=tcp://0.0.0.0:\(requests)",
                                              "--set", "transport.annotator_labels=tcp://0.0.0.0:\(labels)"])
        #expect(await first.waitForExit(timeout: 600) == 0, "\(first.standardError.suffix(2000))")
        // No --config and no --task: the tiny network, the task and the rate come from the run's
        // config.yaml (with the defaults' network the checkpoint would be refused as another model's);
        // where roles bind does not (it is the command's).
        let shown = try ChildProcess(yendor: ["config", "--run-dir", run.path])
        #expect(await shown.waitForExit(timeout: 600) == 0, "\(shown.standardError.suffix(2000))")
        #expect(shown.lines.contains { $0.hasPrefix("  task: keyroom") } && shown.lines.contains { $0.hasPrefix("  learning_rate: 0.001") },
                "\(shown.lines.prefix(40))")
        #expect(shown.lines.contains { $0.hasPrefix("  weights: \"tcp://0.0.0.0:5556\"") }, "\(shown.lines.filter { $0.contains("weights") })")
        // The remote annotator's endpoints stay with its host, which stays (trial N: the saved host
        // with the default port).
        #expect(shown.lines.contains { $0.hasPrefix("  annotator_requests: \"tcp://0.0.0.0:\(requests)\"") },
                "\(shown.lines.filter { $0.contains("annotator") })")
        // A directory with a configuration but no checkpoint holds nothing to resume: the defaults.
        let unstarted = dir.appendingPathComponent("unstarted")
        try FileManager.default.createDirectory(at: unstarted, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: run.appendingPathComponent("config.yaml"), to: unstarted.appendingPathComponent("config.yaml"))
        let fresh = try ChildProcess(yendor: ["config", "--run-dir", unstarted.path])
        #expect(await fresh.waitForExit(timeout: 600) == 0, "\(fresh.standardError.suffix(2000))")
        #expect(fresh.lines.contains { $0.hasPrefix("  task: score") }, "\(fresh.lines.prefix(40))")
        let second = try ChildProcess(yendor: ["train", "--steps", "600", "--run-dir", run.path])
        #expect(await second.waitForExit(timeout: 600) == 0, "\(second.standardError.suffix(2000))")
        #expect(second.standardError.contains("resuming with the configuration saved in \(run.path)/config.yaml; changed by this command: run.total_steps 300 -> 600"),
                "\(second.standardError.suffix(2000))")
        #expect(second.standardError.contains("resumed from ckpt-"), "\(second.standardError.suffix(2000))")
        // Where the run bound is not resumed, and the line says so against what the file had.
        #expect(second.standardError.contains("transport.weights tcp://127.0.0.1:1 -> tcp://0.0.0.0:5556"), "\(second.standardError.suffix(2000))")
        #expect(second.standardError.contains("asking the annotator at tcp://127.0.0.1:\(requests) for labels"), "\(second.standardError.suffix(2000))")
        let saved = try String(contentsOf: run.appendingPathComponent("config.yaml"), encoding: .utf8)
        #expect(saved.contains("  task: keyroom") && saved.contains("  learning_rate: 0.001") && saved.contains("  total_steps: 600"))
        #expect(TrainingEndToEndTests.envSteps(run) >= 600)
    }

    /// A run that stepped env servers needs them again to resume: said with how, not as a bare
    /// "lists no env server" (the servers' endpoints are not taken from the file). (`yendor config
    /// --run-dir` shows such a run's configuration instead: GymTrainingTests.)
    @Test func resumingAnEnvServerRunWithoutItsServersSaysHow() async throws {
        let (dir, _, _) = try TrainingEndToEndTests.scratch("rundir-gym")
        let run = dir.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: run.appendingPathComponent("checkpoints"), withIntermediateDirectories: true)
        try Data("ckpt-0".utf8).write(to: run.appendingPathComponent("checkpoints/latest"))
        try Data("env:\n  kind: server\n  task: MiniGrid-DoorKey-5x5-v0\n  servers: \"ipc:///nonexistent/env-server-0\"\n".utf8)
            .write(to: run.appendingPathComponent("config.yaml"))
        let shown = try ChildProcess(yendor: ["learner", "--run-dir", run.path])
        defer { shown.kill() }
        #expect(await shown.waitForExit(timeout: 600) == 64)
        #expect(shown.standardError.contains("stepped env servers (task MiniGrid-DoorKey-5x5-v0)")
                && shown.standardError.contains("yendor train --env gym:MiniGrid-DoorKey-5x5-v0"), "\(shown.standardError)")
    }

    /// The learner's counters go on from the checkpoint's: they went back to 0 on a resume (a
    /// cumulative curve fell), while env_steps, episodes and updates went on.
    @Test func aResumedRunsCountersGoOnFromTheCheckpoints() async throws {
        let (dir, config, _) = try TrainingEndToEndTests.scratch("rundir-counters")
        let run = dir.appendingPathComponent("run")
        let first = try ChildProcess(yendor: ["train", "--config", config, "--steps", "600", "--run-dir", run.path])
        #expect(await first.waitForExit(timeout: 600) == 0, "\(first.standardError.suffix(2000))")
        let latest = String(decoding: try Data(contentsOf: run.appendingPathComponent("checkpoints/latest")), as: UTF8.self)
        let state = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("checkpoints/\(latest)/state.json"))) as? [String: Any]
        let counters = try #require(state?["counters"] as? [String: Double], "\(String(describing: state))")
        let kept = try #require(counters["rewards/labels_received"])
        #expect(kept > 0, "\(counters)")
        #expect(counters["env_steps"] == nil && counters["replay/inserted"] == nil)
        // The worker joins before the first env step; a run this short takes its final checkpoint
        // before its first metrics record, where membership counters were advanced: the checkpoint
        // had 0, and a resume lost the join (trial D1: `membership/leaves` 2 -> 0).
        #expect(counters["membership/joins"] == 1, "\(counters)")
        let before = try MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")).count
        let second = try ChildProcess(yendor: ["train", "--steps", "1200", "--run-dir", run.path])
        #expect(await second.waitForExit(timeout: 600) == 0, "\(second.standardError.suffix(2000))")
        // (The resumed session's first line is a marker, `resumed_at_env_steps`, not a metrics record.)
        let resumed = try MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")).dropFirst(before).filter { $0["resumed_at_env_steps"] == nil }
        #expect(!resumed.isEmpty && resumed.allSatisfy { ($0["rewards/labels_received"] ?? 0) >= kept }, "\(resumed.map { $0["rewards/labels_received"] ?? -1 })")
    }

    /// Started again at its budget, a run trains nothing and writes nothing: each rerun wrote a copy
    /// of its last checkpoint (pushing the real ones out) and a metrics record at the same step
    /// with rollout/sps 0. A resume that names another reward model changes it (the new one starts
    /// untrained); it was refused after config.yaml had been rewritten, and the run could not be
    /// resumed again. The recent-episode window goes on from the checkpoint. A resume asking for
    /// another goal (another task) starts the reward model untrained: it rewarded with the old
    /// goal's labels, silently.
    @Test func aRunStartedAgainAtItsBudgetWritesNothingAndAnotherRewardModelOrGoalIsTaken() async throws {
        let (dir, config, _) = try TrainingEndToEndTests.scratch("rundir-rerun")
        let run = dir.appendingPathComponent("run")
        let first = try ChildProcess(yendor: ["train", "--config", config, "--steps", "600", "--run-dir", run.path])
        #expect(await first.waitForExit(timeout: 600) == 0, "\(first.standardError.suffix(2000))")
        func checkpoints() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("checkpoints").path).filter { $0.hasPrefix("ckpt-") }.sorted()
        }
        let (kept, records) = (try checkpoints(), try MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")).count)
        let latest = String(decoding: try Data(contentsOf: run.appendingPathComponent("checkpoints/latest")), as: UTF8.self)
        let state = try JSONDecoder().decode(Checkpoints.State.self, from: Data(contentsOf: run.appendingPathComponent("checkpoints/\(latest)/state.json")))
        #expect(state.recentReturns?.count == min(200, state.episodes) && state.recentSuccesses?.count == state.recentReturns?.count)

        let again = try ChildProcess(yendor: ["train", "--run-dir", run.path])
        #expect(await again.waitForExit(timeout: 600) == 0, "\(again.standardError.suffix(2000))")
        #expect(again.standardError.contains("nothing to train"), "\(again.standardError.suffix(2000))")
        // Its worker, stopped before it made a trajectory (as a rule: the learner is done at once),
        // has nothing to wait for: it waited transport.leave_timeout_s for an answer that never came.
        if again.standardError.contains("worker-local stopped after 0 trajectories") {
            #expect(!again.standardError.contains("unanswered"), "\(again.standardError.suffix(2000))")
        }
        #expect(try checkpoints() == kept && MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")).count == records)

        let other = try ChildProcess(yendor: ["train", "--run-dir", run.path, "--steps", "1200", "--reward", "classification"])
        #expect(await other.waitForExit(timeout: 600) == 0, "\(other.standardError.suffix(2000))")
        #expect(other.standardError.contains("classification starts untrained"), "\(other.standardError.suffix(2000))")
        let plain = try ChildProcess(yendor: ["train", "--run-dir", run.path, "--steps", "1800"])
        #expect(await plain.waitForExit(timeout: 600) == 0, "\(plain.standardError.suffix(2000))")
        #expect(plain.standardError.contains("reward model classification restored"), "\(plain.standardError.suffix(2000))")
        // Another task asks for another goal: the labels the reward model holds judge the old one.
        let task = try ChildProcess(yendor: ["train", "--run-dir", run.path, "--steps", "2400", "--task", "oracle"])
        #expect(await task.waitForExit(timeout: 600) == 0, "\(task.standardError.suffix(2000))")
        #expect(task.standardError.contains("learned labels for goal stairs, this run asks for oracle: classification starts untrained"), "\(task.standardError.suffix(2000))")
    }

    /// A learner killed before its first checkpoint and started again starts afresh; it said
    /// nothing, and its records counting from 0 followed the earlier ones in metrics.jsonl.
    @Test func aLearnerStartedAgainAfterAKillBeforeItsFirstCheckpointSaysItStartsAfresh() async throws {
        let (dir, config, endpoints) = try TrainingEndToEndTests.scratch("rundir-afresh")
        let run = dir.appendingPathComponent("run")
        let first = try ChildProcess(yendor: ["learner", "--config", config, "--run-dir", run.path, "--set", "run.checkpoint_interval=600"] + endpoints)
        defer { first.kill() }
        #expect(await Poll.until(timeout: 600) { ((try? MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")))?.count ?? 0) >= 1 },
                "\(first.standardError.suffix(1500))")
        first.signal(SIGKILL)
        _ = await first.waitForExit(timeout: 60)
        let again = try ChildProcess(yendor: ["learner", "--config", config, "--run-dir", run.path, "--set", "run.checkpoint_interval=600"] + endpoints)
        defer { again.kill() }
        #expect(await again.waitForStandardError(containing: "has records of an earlier start that wrote no checkpoint", timeout: 600),
                "\(again.standardError.suffix(1500))")
        again.signal(SIGTERM)
        #expect(await again.waitForExit(timeout: 60) == 0, "\(again.standardError.suffix(1500))")
    }

    /// Runs given no directory are named after their task and start time, to the second: a sweep
    /// started in one second used to give its runs one name, and all but the first were refused.
    @Test func runsClaimingOneNameAtOnceGetADirectoryEach() async throws {
        let base = Scratch.root.appendingPathComponent("yendor-claim-\(UUID().uuidString.prefix(8))/runs/task-stamp").path
        let paths = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<6 { group.addTask { try RunDirectory.claimNew(base) } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(Set(paths) == Set([base] + (2...6).map { "\(base)-\($0)" }))
        #expect(paths.allSatisfy { FileManager.default.fileExists(atPath: $0) })
    }

    @Test func aTrainGivenNoRunDirectoryTakesTheNextNameWhenItsOwnIsTaken() async throws {
        let (dir, config, _) = try TrainingEndToEndTests.scratch("rundir-taken")
        // Every name the run could take from its start time, for the next ten minutes, is taken.
        let format = ISO8601DateFormatter()
        let now = Date()
        let taken = (-5...600).map { dir.appendingPathComponent("runs/staircase-" + format.string(from: now.addingTimeInterval(Double($0))).replacingOccurrences(of: ":", with: "")) }
        for url in taken { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        let train = try ChildProcess(yendor: ["train", "--config", config, "--task", "staircase", "--steps", "300"], directory: dir)
        #expect(await train.waitForExit(timeout: 600) == 0, "\(train.standardError.suffix(2000))")
        let made = taken.map { URL(fileURLWithPath: $0.path + "-2") }.filter { FileManager.default.fileExists(atPath: $0.path) }
        #expect(made.count == 1, "\(train.standardError.suffix(2000))")
        if let run = made.first { try TrainingEndToEndTests.expectFinishedRun(run, reached: 300, configurationContains: "task: staircase") }
        #expect(taken.allSatisfy { ((try? FileManager.default.contentsOfDirectory(atPath: $0.path)) ?? ["?"]).isEmpty }, "a taken directory was written")
    }

    /// A run directory the file system will not make is the machine's problem, not a setting's:
    /// said with the path and the kernel's reason, exit status 1 (it was "configuration error in
    /// run.dir", exit 64). Runs as any user (/proc takes no new directory); the full-disk cases are
    /// in RoleStartOnAFullDiskTests (root).
    @Test func aRunDirectoryTheFileSystemWillNotMakeIsSaidWithTheKernelsReason() async throws {
        let (_, config, endpoints) = try TrainingEndToEndTests.scratch("rundir-unmakeable")
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--run-dir", "/proc/yendor-none/run"] + endpoints)
        defer { learner.kill() }
        #expect(await learner.waitForExit(timeout: 600) == 1, "\(learner.standardError.suffix(1500))")
        #expect(learner.standardError.contains("Error: cannot write /proc/yendor-none"), "\(learner.standardError.suffix(1500))")
        #expect(!learner.standardError.contains("configuration error"), "\(learner.standardError.suffix(1500))")
    }

    /// A train refused after it claimed and took its new directory (here: an in-process labeler
    /// with no URL, found once the directory is locked) leaves nothing under runs/.
    @Test func aTrainRefusedAtItsStartLeavesNoRunDirectoryBehind() async throws {
        let (dir, config, _) = try TrainingEndToEndTests.scratch("rundir-refused-start")
        let train = try ChildProcess(yendor: ["train", "--config", config, "--task", "staircase", "--steps", "300",
                                              "--set", "reward.labeler=openai"], directory: dir)
        #expect(await train.waitForExit(timeout: 600) == 64, "\(train.standardError.suffix(1500))")
        #expect(train.standardError.contains("reward."), "names the setting: \(train.standardError.suffix(1500))")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("runs").path)) ?? []
        #expect(left.isEmpty, "left under runs/: \(left)")
    }
}
