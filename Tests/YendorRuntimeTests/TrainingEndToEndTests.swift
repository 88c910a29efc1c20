import Foundation
import Testing
import YendorTestSupport
@testable import YendorRuntime

/// Whole runs with real `yendor` processes over real sockets. A tiny network and short rollouts
/// keep them fast in a debug build.
@Suite("Training end to end", .serialized)
struct TrainingEndToEndTests {
    /// A fresh directory with the tiny configuration and tcp endpoints on free ports.
    static func scratch(_ name: String) throws -> (dir: URL, config: String, endpoints: [String]) {
        let (dir, config) = try TinyRun.scratch(name, checkpointInterval: 1)
        let endpoints = ["--set", "transport.trajectories=tcp://127.0.0.1:\(ChildProcess.freePort())",
                         "--set", "transport.weights=tcp://127.0.0.1:\(ChildProcess.freePort())"]
        return (dir, config, endpoints)
    }

    static func envSteps(_ run: URL) -> Double {
        (try? MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")))?.last?["env_steps"] ?? 0
    }

    /// Checks what a finished run left in `run`: at least `steps` env steps and a learner update
    /// in its metrics, and `text` in the resolved configuration it wrote.
    static func expectFinishedRun(_ run: URL, reached steps: Double, configurationContains text: String,
                                  sourceLocation: SourceLocation = #_sourceLocation) throws {
        let metrics = try MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl"))
        #expect((metrics.last?["env_steps"] ?? 0) >= steps, sourceLocation: sourceLocation)
        #expect(metrics.contains { ($0["learner/updates"] ?? 0) >= 1 }, sourceLocation: sourceLocation)
        let resolved = try String(contentsOf: run.appendingPathComponent("config.yaml"), encoding: .utf8)
        #expect(resolved.contains(text), sourceLocation: sourceLocation)
    }

    /// Polls the metrics file until env steps exceed `threshold`; false on timeout, or as soon
    /// as `writer` (the process writing the metrics) has exited without getting there.
    static func waitForSteps(_ run: URL, above threshold: Double, of writer: ChildProcess? = nil,
                             timeout: Double = 600) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if envSteps(run) > threshold { return true }
            if let writer, !writer.isRunning { return envSteps(run) > threshold }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return false
    }

    /// With either link between the learner and the worker of the one process: the in-memory
    /// network (the default) and inproc:// ZeroMQ sockets. With a linear learning-rate schedule,
    /// which the recorded rate follows over the budget.
    @Test(arguments: ["memory", "zeromq"])
    func inProcessTrainingReachesItsBudgetAndRecordsTheRun(link: String) async throws {
        let (dir, config, _) = try Self.scratch("inprocess-\(link)")
        let run = dir.appendingPathComponent("run")
        let base = 0.001
        let train = try ChildProcess(yendor: ["train", "--config", config, "--steps", "1500", "--run-dir", run.path,
                                              "--set", "transport.in_process=\(link)", "--set", "learner.learning_rate=\(base)",
                                              "--set", "learner.learning_rate_schedule=linear"])
        let status = await train.waitForExit(timeout: 600)
        #expect(status == 0, "train failed: \(train.standardError.suffix(2000))")
        try Self.expectFinishedRun(run, reached: 1500, configurationContains: "rollout_length: 16")
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("checkpoints/latest").path))
        // The start line names the env: a task name alone is Dungeon's and NetHack's (trial N).
        #expect(train.standardError.contains("; env dungeon; task staircase; budget 1500 env steps"), "\(train.standardError.prefix(1500))")
        // The staircase can be won: a success rate once an episode has ended, and in every progress line.
        #expect(try MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")).allSatisfy {
            ($0["rollout/episodes"] ?? 0) == 0 || $0["rollout/success_rate"] != nil
        })
        #expect(train.standardError.contains(" success "), "\(train.standardError.suffix(1000))")
        // Each update's rate is base·(1 − its share of the budget), a share no larger than the
        // record's: the rates fall, none below what the record's env steps allow, the last below base.
        // Records after the first update (a fast run has one before the last, which is at the budget).
        let rates = try MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")).filter { ($0["learner/updates"] ?? 0) >= 1 }
            .compactMap { record in record["learner/learning_rate"].flatMap { rate in record["env_steps"].map { (rate: rate, steps: $0) } } }
        #expect(rates.count >= 1 && rates.last!.rate < base * 0.99, "\(rates)")
        #expect(zip(rates, rates.dropFirst()).allSatisfy { $1.rate <= $0.rate }, "\(rates)")
        #expect(rates.allSatisfy { $0.rate <= base * 1.0001 && $0.rate >= base * (1 - $0.steps / 1500) - 1e-9 }, "\(rates)")
        // The last record is the final checkpoint's: the last update ran after the steps stopped at
        // the budget (trial N: the record before it, one version short, stood as the last), and it
        // counts the trajectories the learner's last line says came after the budget.
        let latest = String(decoding: try Data(contentsOf: run.appendingPathComponent("checkpoints/latest")), as: UTF8.self)
        let state = try JSONDecoder().decode(Checkpoints.State.self, from: Data(contentsOf:
            run.appendingPathComponent("checkpoints").appendingPathComponent(latest).appendingPathComponent("state.json")))
        let last = try #require(try MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")).last)
        #expect(last["learner/updates"] == Double(state.updates) && last["learner/policy_version"] == Double(state.policyVersion),
                "last record \(last["learner/updates"] ?? -1) updates, version \(last["learner/policy_version"] ?? -1); checkpoint \(state.updates), \(state.policyVersion)")
        let afterBudget = Int(last["learner/trajectories_after_budget"] ?? 0)
        #expect(afterBudget == 0 ? !train.standardError.contains("came after the budget")
                : train.standardError.contains("(\(afterBudget) trajectories that came after the budget were not taken)"),
                "\(afterBudget) in the last record; \(train.standardError.suffix(600))")
    }

    @Test func learnerKeepsTrainingWhenWorkersDieJoinAndTheLearnerRestarts() async throws {
        let (dir, config, endpoints) = try Self.scratch("cluster")
        let run = dir.appendingPathComponent("run").path
        let learnerArgs = ["learner", "--config", config, "--steps", "10000000", "--run-dir", run] + endpoints
        var learner = try ChildProcess(yendor: learnerArgs)
        func worker(_ id: String) throws -> ChildProcess {
            try ChildProcess(yendor: ["worker", "--config", config, "--id", id] + endpoints)
        }
        let a = try worker("worker-a"), b = try worker("worker-b")
        defer { a.kill(); b.kill(); learner.kill() }
        #expect(await learner.waitForStandardError(containing: "worker worker-a joined"), "\(learner.standardError.suffix(1500))")
        #expect(await learner.waitForStandardError(containing: "worker worker-b joined"))
        #expect(await Self.waitForSteps(URL(fileURLWithPath: run), above: 500, of: learner))

        // A worker dies without a word: the learner notices, and training goes on with the other.
        a.kill()
        #expect(await learner.waitForStandardError(containing: "worker worker-a timed out"))
        let afterKill = Self.envSteps(URL(fileURLWithPath: run))
        #expect(await Self.waitForSteps(URL(fileURLWithPath: run), above: afterKill + 300, of: learner))
        #expect(b.isRunning)

        // A replacement joins late and gets the current weights.
        let c = try worker("worker-c")
        defer { c.kill() }
        #expect(await learner.waitForStandardError(containing: "worker worker-c joined"))
        #expect(await c.waitForStandardError(containing: "received weights, policy version"))

        // The learner stops gracefully, writing a checkpoint, and a new learner resumes from it.
        learner.signal(SIGTERM)
        #expect(await learner.waitForExit(timeout: 60) == 0, "learner: \(learner.standardError.suffix(1500))")
        // Named by its step count, with a suffix when a save at the same count came before it.
        let latest = String(decoding: try Data(contentsOf: URL(fileURLWithPath: run).appendingPathComponent("checkpoints/latest")), as: UTF8.self)
        let checkpoint = try JSONDecoder().decode(Checkpoints.State.self, from: Data(contentsOf:
            URL(fileURLWithPath: run).appendingPathComponent("checkpoints").appendingPathComponent(latest).appendingPathComponent("state.json")))
        #expect(checkpoint.envSteps > 0 && checkpoint.updates > 0)
        #expect(b.isRunning && c.isRunning, "workers wait for the learner to return")
        learner = try ChildProcess(yendor: learnerArgs)
        #expect(await learner.waitForStandardError(containing: "resumed from \(latest) at \(checkpoint.envSteps) env steps"),
                "\(learner.standardError.suffix(1500))")
        #expect(await Self.waitForSteps(URL(fileURLWithPath: run), above: Double(checkpoint.envSteps) + 300, of: learner),
                "training continues past the checkpoint with the reconnected workers")
        let metrics = try MetricsLog.read(url: URL(fileURLWithPath: run).appendingPathComponent("metrics.jsonl"))
        let updatesAfterRestart = metrics.last?["learner/updates"] ?? 0
        // The resumed session's records start with a marker at the checkpoint's step (yendor-plot cuts there).
        #expect(metrics.contains { $0["resumed_at_env_steps"] == Double(checkpoint.envSteps) && $0["env_steps"] == Double(checkpoint.envSteps) },
                "\(metrics.filter { $0["resumed_at_env_steps"] != nil })")
        #expect(updatesAfterRestart > Double(checkpoint.updates), "update counter continues from the checkpoint")
        // The workers held their trajectories until their Hello reached the returned learner: none
        // arrived before it and was dropped (hundreds were, each socket reconnecting on its own).
        #expect(await b.waitForStandardError(containing: "said Hello to the learner again") && c.standardError.contains("said Hello to the learner again"),
                "\(b.standardError.suffix(1000))")
        let dropped = "transport/frames_dropped/not_admitted"
        #expect((metrics.last?[dropped] ?? 0) == (checkpoint.counters?[dropped] ?? 0), "\(metrics.last?[dropped] ?? 0) dropped after the restart")
        learner.signal(SIGTERM)
        #expect(await learner.waitForExit(timeout: 60) == 0)
    }

    /// A learner killed (no Goodbye) and started again: its worker sees the heartbeats count from 0
    /// again and holds its trajectories until a Hello has gone to the new process, as after a
    /// Goodbye (before, it went on sending, and the new learner dropped what came before the next
    /// periodic Hello: 14-42 trajectories over two workers in three runs).
    @Test func aWorkerSaysHelloAtOnceToALearnerStartedAgainAfterItWasKilled() async throws {
        let (dir, config, endpoints) = try Self.scratch("learner-killed")
        let run = dir.appendingPathComponent("run")
        let learnerArgs = ["learner", "--config", config, "--steps", "10000000", "--run-dir", run.path] + endpoints
        var learner = try ChildProcess(yendor: learnerArgs)
        let worker = try ChildProcess(yendor: ["worker", "--config", config, "--id", "worker-k"] + endpoints)
        defer { worker.kill(); learner.kill() }
        #expect(await learner.waitForStandardError(containing: "worker worker-k joined"), "\(learner.standardError.suffix(1500))")
        // 40 metrics records (one per 0.5 s) are some 100 heartbeats (one per 0.2 s): more than the
        // next learner will have sent when the worker first hears it.
        let deadline = Date().addingTimeInterval(600)
        while ((try? MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")))?.count ?? 0) < 40 && learner.isRunning && Date() < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        learner.kill()
        _ = await learner.waitForExit(timeout: 60)
        learner = try ChildProcess(yendor: learnerArgs)
        #expect(await worker.waitForStandardError(containing: "the learner started again"), "\(worker.standardError.suffix(1500))")
        #expect(await worker.waitForStandardError(containing: "said Hello to the learner again"), "\(worker.standardError.suffix(1500))")
        #expect(await learner.waitForStandardError(containing: "worker worker-k joined"), "\(learner.standardError.suffix(1500))")
        learner.signal(SIGTERM)
        #expect(await learner.waitForExit(timeout: 60) == 0)
    }

    @Test func aWorkerWithAnotherObservationLayoutIsRefusedWithAClearError() async throws {
        let (dir, config, endpoints) = try Self.scratch("layout")
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--run-dir", dir.appendingPathComponent("run").path] + endpoints)
        defer { learner.kill() }
        let worker = try ChildProcess(yendor: ["worker", "--config", config, "--id", "odd-one", "--set", "env.crop_size=7"] + endpoints)
        defer { worker.kill() }
        let status = await worker.waitForExit(timeout: 60)
        #expect(status == 3)
        #expect(worker.standardError.contains("refused"))
        // The parts that differ come first, as docs/running.md quotes it: the layouts are long.
        #expect(worker.standardError.contains("observation layout mismatch (learner crop=9, worker crop=7)"), "\(worker.standardError.suffix(1500))")
        // The learner's log names the worker and the mismatch: the worker's first Hello leaves before
        // it takes any weights (it once refused the learner's start-up weights first and left no trace).
        #expect(await learner.waitForStandardError(containing: "refusing worker odd-one", timeout: 600), "\(learner.standardError.suffix(1500))")
        #expect(learner.standardError.contains("crop=7"), "\(learner.standardError.suffix(1500))")
    }

    @Test func aStandaloneReplayRoleFeedsTheLearnerAndSavesItsContents() async throws {
        let (dir, config, endpoints) = try Self.scratch("replay")
        let replayEndpoint = ["--set", "transport.replay=tcp://127.0.0.1:\(ChildProcess.freePort())"]
        let run = dir.appendingPathComponent("run")
        let port = ChildProcess.freePort()
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--run-dir", run.path] + endpoints)
        let replay = try ChildProcess(yendor: ["replay", "--config", config, "--run-dir", dir.appendingPathComponent("replay").path,
                                               "--set", "replay.capacity=8", "--set", "run.prometheus_port=\(port)"] + endpoints + replayEndpoint)
        let worker = try ChildProcess(yendor: ["worker", "--config", config, "--id", "via-replay", "--replay", "127.0.0.1"] + endpoints + replayEndpoint)
        defer { learner.kill(); replay.kill(); worker.kill() }
        #expect(await learner.waitForStandardError(containing: "worker via-replay joined"), "Hello passes through the replay role")
        #expect(await Self.waitForSteps(run, above: 300, of: learner), "\(replay.standardError.suffix(1000))")
        // The role serves its own counters: what it took in and handed to the learner.
        let scraped = try await PrometheusEndpointTests.scrape(URL(string: "http://127.0.0.1:\(port)/metrics")!)
        #expect(scraped.types["yendor_replay_inserted"] == "counter" && scraped.types["yendor_replay_size"] == "gauge")
        #expect((scraped.samples["yendor_replay_inserted{role=\"replay\"}"] ?? 0) > 0, "\(scraped.samples.keys.sorted())")
        #expect((scraped.samples["yendor_replay_sampled{role=\"replay\"}"] ?? 0) > 0)
        replay.signal(SIGTERM)
        #expect(await replay.waitForExit(timeout: 600) == 0)
        let saved = dir.appendingPathComponent("replay/replay.ckpt").path
        #expect(FileManager.default.fileExists(atPath: saved))
        // A start that fails (its port is the learner's, in use) keeps the file.
        let inUse = endpoints[1].replacingOccurrences(of: "transport.trajectories=", with: "")
        let clash = try ChildProcess(yendor: ["replay", "--config", config, "--run-dir", dir.appendingPathComponent("replay").path,
                                              "--set", "transport.replay=\(inUse)"] + endpoints)
        #expect(await clash.waitForExit(timeout: 600) != 0, "\(clash.standardError.suffix(1000))")
        #expect(FileManager.default.fileExists(atPath: saved), "\(clash.standardError.suffix(1000))")
        // Restored once: the file goes once the role has started, so a crash after the restart
        // cannot hand the learner the same trajectories again.
        let again = try ChildProcess(yendor: ["replay", "--config", config, "--run-dir", dir.appendingPathComponent("replay").path,
                                              "--set", "replay.capacity=8"] + endpoints + replayEndpoint)
        defer { again.kill() }
        #expect(await again.waitForStandardError(containing: "replay listening on"), "\(again.standardError.suffix(1000))")
        #expect(again.standardError.contains("replay buffer restored with"))
        #expect(!FileManager.default.fileExists(atPath: saved))
    }

    /// At its budget the learner says it finished; the workers stop, and so does a replay role
    /// between them (it idled for ever, keeping a job from ending).
    @Test func aReplayRoleStopsWhenTheLearnerFinishes() async throws {
        let (dir, config, endpoints) = try Self.scratch("replay-finish")
        let replayEndpoint = ["--set", "transport.replay=tcp://127.0.0.1:\(ChildProcess.freePort())"]
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--steps", "600", "--run-dir", dir.appendingPathComponent("run").path] + endpoints)
        let replay = try ChildProcess(yendor: ["replay", "--config", config, "--run-dir", dir.appendingPathComponent("replay").path] + endpoints + replayEndpoint)
        #expect(await replay.waitForStandardError(containing: "replay listening on"), "\(replay.standardError.suffix(1000))")
        let worker = try ChildProcess(yendor: ["worker", "--config", config, "--id", "to-the-end", "--replay", "127.0.0.1"] + endpoints + replayEndpoint)
        defer { learner.kill(); replay.kill(); worker.kill() }
        #expect(await learner.waitForExit(timeout: 600) == 0, "\(learner.standardError.suffix(1500))")
        #expect(await replay.waitForExit(timeout: 600) == 0, "\(replay.standardError.suffix(1500))")
        #expect(replay.standardError.contains("the learner finished training; replay stopping"), "\(replay.standardError.suffix(1500))")
        #expect(await worker.waitForExit(timeout: 600) == 0, "\(worker.standardError.suffix(1500))")
        // The worker's answer went through the replay role, which waits for it before it stops: the
        // learner stopped telling once it came (it waited a peer timeout for it, trial T).
        #expect(worker.standardError.contains("goodbye=sent (the learner finished)"), "\(worker.standardError.suffix(1500))")
        #expect(learner.standardError.contains("worker to-the-end left: finished") && !learner.standardError.contains("with no Goodbye in answer"),
                "\(learner.standardError.suffix(1500))")
    }

    @Test func withCurveOnlyAllowedWorkersGetInOrOut() async throws {
        let (dir, config, endpoints) = try Self.scratch("curve")
        let keys = dir.appendingPathComponent("keys").path, allowed = dir.appendingPathComponent("allowed").path
        for name in ["learner", "worker-a", "intruder"] {
            let gen = try ChildProcess(yendor: ["keys", "generate", "--directory", keys, name])
            #expect(await gen.waitForExit(timeout: 600) == 0)
        }
        try FileManager.default.createDirectory(atPath: allowed, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(keys)/worker-a.pub", toPath: "\(allowed)/worker-a.pub")
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--run-dir", dir.appendingPathComponent("run").path,
                                                "--set", "transport.curve_secret_key_file=\(keys)/learner.key",
                                                "--set", "transport.curve_allowed_clients=\(allowed)"] + endpoints)
        func worker(_ id: String, key: String?) throws -> ChildProcess {
            let curve = key.map { ["--set", "transport.curve_secret_key_file=\(keys)/\($0).key",
                                   "--set", "transport.curve_server_key=\(keys)/learner.pub"] } ?? []
            return try ChildProcess(yendor: ["worker", "--config", config, "--id", id] + curve + endpoints)
        }
        let good = try worker("worker-a", key: "worker-a")
        let intruder = try worker("intruder", key: "intruder")
        let plain = try worker("plain", key: nil)
        defer { learner.kill(); good.kill(); intruder.kill(); plain.kill() }
        #expect(await learner.waitForStandardError(containing: "worker worker-a joined"), "\(learner.standardError.suffix(1500))")
        #expect(await good.waitForStandardError(containing: "received weights"))
        // Both others are turned away, and say so: the intruder is told its key was refused; the
        // worker without CURVE finds no connection for a peer timeout. Then nothing got through.
        #expect(await intruder.waitForStandardError(containing: "refused this worker's CURVE key"), "\(intruder.standardError.suffix(1500))")
        #expect(await plain.waitForStandardError(containing: "no connection to"), "\(plain.standardError.suffix(1500))")
        #expect(!learner.standardError.contains("intruder"), "an unlisted key gets nothing in")
        #expect(!learner.standardError.contains("plain"), "a peer without CURVE gets nothing in")
        #expect(!intruder.standardError.contains("received weights"), "an unlisted key gets nothing out")
        #expect(!plain.standardError.contains("received weights"))
    }

    @Test func trainingNeverStallsWhenTheAnnotatorStopsAndLabelsResumeWhenItReturns() async throws {
        let (dir, config, endpoints) = try Self.scratch("annotator")
        let requests = "tcp://127.0.0.1:\(ChildProcess.freePort())", labels = "tcp://127.0.0.1:\(ChildProcess.freePort())"
        let store = dir.appendingPathComponent("labels.sqlite").path
        let annotatorArgs = ["annotator", "--requests", requests, "--labels", labels, "--store", store, "--backend", "simulated",
                             "--latency-ms", "50", "--failure-rate", "0", "--noise", "0"]
        var annotator = try ChildProcess(yendor: annotatorArgs)
        let run = dir.appendingPathComponent("run")
        let rewardArgs = ["--set", "reward.model=retrieval", "--set", "reward.annotator=127.0.0.1",
                          "--set", "transport.annotator_requests=\(requests)", "--set", "transport.annotator_labels=\(labels)"]
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--run-dir", run.path] + endpoints + rewardArgs)
        let worker = try ChildProcess(yendor: ["worker", "--config", config, "--id", "w"] + endpoints)
        defer { annotator.kill(); learner.kill(); worker.kill() }
        func labelsReceived() -> Double {
            (try? MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")))?.last?["rewards/labels_received"] ?? 0
        }
        func wait(_ condition: () -> Bool, timeout: Double = 600) async -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline { if condition() { return true }; try? await Task.sleep(for: .milliseconds(200)) }
            return false
        }
        #expect(await wait { labelsReceived() > 0 }, "labels arrive: \(learner.standardError.suffix(1500))")
        annotator.kill()
        _ = await annotator.waitForExit()
        let before = Self.envSteps(run)
        #expect(await Self.waitForSteps(run, above: before + 300, of: learner), "training goes on without the annotator")
        // Labels already on their way are taken at the next update and counted in the next
        // record; after that the count holds, over more records and more updates, until the
        // annotator is back.
        func records() -> Int { (try? MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")))?.count ?? 0 }
        let recordsThen = records()
        #expect(await wait { records() >= recordsThen + 2 })
        let labelsBefore = labelsReceived(), stepsBefore = Self.envSteps(run)
        #expect(await wait { records() >= recordsThen + 4 && Self.envSteps(run) > stepsBefore })
        #expect(labelsReceived() == labelsBefore, "no labels while the annotator is down")
        annotator = try ChildProcess(yendor: annotatorArgs)
        #expect(await wait { labelsReceived() > labelsBefore }, "labels resume after the annotator returns")
    }

    /// Over CURVE to the annotator: from a `yendor learner` (CURVE to its workers too, with its
    /// allow-list), and from a one-process `yendor train`, which binds no socket that takes clients
    /// and so needs no allow-list (it was refused: "CURVE is on but no allow-list is set").
    @Test(arguments: ["learner", "train"])
    func labelsFlowOverCurveBetweenLearnerAndAnnotator(role: String) async throws {
        let (dir, config, endpoints) = try Self.scratch("curve-annotator")
        let keys = dir.appendingPathComponent("keys").path, allowed = dir.appendingPathComponent("allowed").path
        for name in ["learner", "worker", "annotator"] {
            #expect(await (try ChildProcess(yendor: ["keys", "generate", "--directory", keys, name])).waitForExit(timeout: 600) == 0)
        }
        try FileManager.default.createDirectory(atPath: allowed, withIntermediateDirectories: true)
        for name in ["learner", "worker"] { try FileManager.default.copyItem(atPath: "\(keys)/\(name).pub", toPath: "\(allowed)/\(name).pub") }
        let requests = "tcp://127.0.0.1:\(ChildProcess.freePort())", labels = "tcp://127.0.0.1:\(ChildProcess.freePort())"
        let annotator = try ChildProcess(yendor: ["annotator", "--requests", requests, "--labels", labels,
                                                  "--store", dir.appendingPathComponent("labels.sqlite").path,
                                                  "--curve-secret-key-file", "\(keys)/annotator.key", "--curve-allowed-clients", allowed])
        let run = dir.appendingPathComponent("run")
        let toAnnotator = ["--set", "reward.model=retrieval", "--set", "reward.annotator=127.0.0.1",
                           "--set", "transport.annotator_requests=\(requests)", "--set", "transport.annotator_labels=\(labels)",
                           "--set", "transport.curve_secret_key_file=\(keys)/learner.key", "--set", "transport.curve_annotator_key=\(keys)/annotator.pub"]
        let learner: ChildProcess, worker: ChildProcess?
        if role == "train" {
            learner = try ChildProcess(yendor: ["train", "--config", config, "--run-dir", run.path, "--steps", "100000000"] + toAnnotator)
            worker = nil
        } else {
            learner = try ChildProcess(yendor: ["learner", "--config", config, "--run-dir", run.path,
                                                "--set", "transport.curve_allowed_clients=\(allowed)"] + toAnnotator + endpoints)
            worker = try ChildProcess(yendor: ["worker", "--config", config, "--id", "w",
                "--set", "transport.curve_secret_key_file=\(keys)/worker.key", "--set", "transport.curve_server_key=\(keys)/learner.pub"] + endpoints)
        }
        defer { annotator.kill(); learner.kill(); worker?.kill() }
        #expect(await Poll.until {
            ((try? MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")))?.last?["rewards/labels_received"] ?? 0) > 0 || !learner.isRunning
        })
        let received = (try? MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")))?.last?["rewards/labels_received"] ?? 0
        #expect(received > 0, "labels arrive over CURVE: \(learner.standardError.suffix(1200)) \(annotator.standardError.suffix(600))")
    }

    @Test func badConfigurationIsRejectedBeforeAnythingStarts() async throws {
        let p = try ChildProcess(yendor: ["train", "--set", "env.envs=0"])
        #expect(await p.waitForExit(timeout: 30) != 0)
        #expect(p.standardError.contains("env.envs") && p.standardError.contains("must be at least 1"))
    }

    /// A run without intrinsic rewards says so, as the others say their annotator and goal.
    @Test func aRunWithoutIntrinsicRewardsSaysSo() async throws {
        let (dir, config) = try TinyRun.scratch("reward-none", checkpointInterval: 60)
        let train = try ChildProcess(yendor: ["train", "--config", config, "--steps", "1", "--reward", "none",
                                              "--run-dir", dir.appendingPathComponent("run").path])
        #expect(await train.waitForExit(timeout: 600) == 0, "\(train.standardError.suffix(1500))")
        #expect(train.standardError.contains("intrinsic rewards off (reward.model none)"), "\(train.standardError.suffix(3000))")
    }

    /// `reward.annotator` is a host: `host:port` trained to the end with no label (it asked
    /// `tcp://127.0.0.1:47010:5557`), an endpoint stopped the learner with a bare EINVAL.
    @Test(arguments: [("127.0.0.1:47010", "names a port"), ("tcp://127.0.0.1", "is an endpoint")])
    func anAnnotatorHostWithAPortOrASchemeIsRefusedNamingTheSetting(host: String, said: String) async throws {
        let run = Scratch.root.appendingPathComponent("yendor-annotator-host-\(getpid())-\(host.count)")
        let p = try ChildProcess(yendor: ["train", "--set", "reward.annotator=\(host)", "--run-dir", run.path])
        #expect(await p.waitForExit(timeout: 600) == 64)
        #expect(p.standardError.contains("reward.annotator") && p.standardError.contains("'\(host)' \(said): give the host only"), "\(p.standardError)")
        #expect(p.standardError.contains("transport.annotator_requests, transport.annotator_labels"))
        #expect(!FileManager.default.fileExists(atPath: run.path), "refused before the run directory is made")
    }

    /// The in-process labeler's settings are refused before the run directory is made (trial N: an
    /// API key variable not set left .lock, checkpoints/ and logs/ behind).
    @Test func anUnsetAPIKeyVariableIsRefusedBeforeTheRunDirectoryIsMade() async throws {
        let run = Scratch.root.appendingPathComponent("yendor-api-key-\(UUID().uuidString.prefix(8))")
        let p = try ChildProcess(yendor: ["train", "--steps", "100", "--run-dir", run.path, "--set", "reward.labeler=openai",
                                          "--set", "reward.llm_url=http://127.0.0.1:9/v1", "--set", "reward.llm_model=m",
                                          "--set", "reward.llm_api_key_env=YENDOR_TEST_NO_SUCH_VARIABLE"])
        #expect(await p.waitForExit(timeout: 600) == 64)
        #expect(p.standardError.contains("reward.llm_api_key_env") && p.standardError.contains("YENDOR_TEST_NO_SUCH_VARIABLE, which is not set"),
                "\(p.standardError)")
        #expect(!FileManager.default.fileExists(atPath: run.path), "refused before the run directory is made")
    }
}
