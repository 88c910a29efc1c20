import Foundation
import Testing
import YendorTestSupport
import RemoteEnvironment
@testable import YendorRuntime

enum GymFixture {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let executable = repository.appendingPathComponent(".venv/bin/yendor-env")
    static var available: Bool { FileManager.default.isExecutableFile(atPath: executable.path) }
}

/// Training on Gymnasium environments served by `yendor-env` processes.
@Suite("Training on Gymnasium envs", .serialized, .enabled(if: GymFixture.available, "needs .venv with yendor-env (make deps)"))
struct GymTrainingTests {
    @Test func trainOnAMiniGridEnvStartsItsServersReachesTheBudgetAndStopsThem() async throws {
        let (dir, config, _) = try TrainingEndToEndTests.scratch("gym-train")
        let run = dir.appendingPathComponent("run")
        let train = try ChildProcess(yendor: ["train", "--config", config, "--env", "gym:MiniGrid-DoorKey-5x5-v0",
                                              "--env-servers", "2", "--steps", "1500", "--run-dir", run.path])
        defer { train.kill() }
        #expect(await train.waitForExit(timeout: 300) == 0, "\(train.standardError.suffix(2000))")
        let metrics = try MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl"))
        #expect((metrics.last?["env_steps"] ?? 0) >= 1500)
        let resolved = try String(contentsOf: run.appendingPathComponent("config.yaml"), encoding: .utf8)
        #expect(resolved.contains("kind: server") && resolved.contains("env=gym:MiniGrid-DoorKey-5x5-v0"), "\(resolved)")
        for k in 0..<2 {
            let log = (try? String(contentsOf: run.appendingPathComponent("logs/env-server-\(k).log"), encoding: .utf8)) ?? ""
            #expect(!log.isEmpty || FileManager.default.fileExists(atPath: run.appendingPathComponent("logs/env-server-\(k).log").path))
        }
        // The servers stopped with the run: nothing answers on their sockets any more.
        #expect(Self.processes(containing: run.path + "/sockets/env-server").isEmpty, "an env server outlived the run")
    }

    /// Each worker process steps servers of its own: two that shared them took each other's envs at
    /// every open and trained on the cut pieces.
    @Test func trainWithWorkerProcessesGivesEachWorkerItsOwnEnvServers() async throws {
        let (dir, config, _) = try TrainingEndToEndTests.scratch("gym-workers")
        let run = dir.appendingPathComponent("run")
        let train = try ChildProcess(yendor: ["train", "--config", config, "--env", "gym:MiniGrid-DoorKey-5x5-v0", "--workers", "2",
                                              "--env-servers", "2", "--envs", "8", "--steps", "3000", "--run-dir", run.path])
        defer { train.kill() }
        #expect(await train.waitForExit(timeout: 300) == 0, "\(train.standardError.suffix(2000))")
        for i in 0..<2 {
            let joined = train.standardError.split(separator: "\n").first { $0.contains("worker worker-\(i) joined") }
            #expect(joined?.contains("envs=8") == true, "worker-\(i): \(joined ?? "never joined")")
            let log = (try? String(contentsOf: run.appendingPathComponent("logs/worker-\(i).log"), encoding: .utf8)) ?? ""
            #expect(!log.contains("did not open these envs"), "\(log.suffix(1500))")
        }
        try TrainingEndToEndTests.expectFinishedRun(run, reached: 3000, configurationContains: "kind: server")
    }

    /// A second `train` on a run directory in use is refused at its lock, after its env servers
    /// started: they took over the first run's sockets (the same names), which was left at 0 SPS at
    /// its next reconnect. Now the sockets are named for their process, and the refused one's go.
    @Test func aSecondTrainOnARunDirectoryInUseLeavesTheFirstRunsEnvServerSockets() async throws {
        let (dir, config, _) = try TrainingEndToEndTests.scratch("gym-second")
        let run = dir.appendingPathComponent("run")
        let arguments = ["train", "--config", config, "--env", "gym:MiniGrid-DoorKey-5x5-v0", "--env-servers", "2", "--envs", "8",
                         "--steps", "100000000", "--run-dir", run.path]
        let first = try ChildProcess(yendor: arguments)
        defer { first.kill() }
        #expect(await TrainingEndToEndTests.waitForSteps(run, above: 100, of: first), "\(first.standardError.suffix(1500))")
        let sockets = run.appendingPathComponent("sockets")
        // Its env servers' and its learner's status socket.
        let mine = Set((0..<2).map { "env-server-\($0).\(first.pid)" } + ["status"])
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: sockets.path)) == mine)
        let second = try ChildProcess(yendor: arguments)
        defer { second.kill() }
        #expect(await second.waitForExit(timeout: 600) != 0)
        #expect(second.standardError.contains("is in use by another run"), "\(second.standardError.suffix(1500))")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: sockets.path)) == mine, "the first run's, and only those")
        first.signal(SIGTERM)
        #expect(await first.waitForExit(timeout: 600) == 0, "\(first.standardError.suffix(1500))")
    }

    @Test func trainRefusesFewerEnvServersThanWorkerProcesses() async throws {
        let train = try ChildProcess(yendor: ["train", "--env", "gym:MiniGrid-DoorKey-5x5-v0", "--workers", "3", "--env-servers", "2"])
        defer { train.kill() }
        #expect(await train.waitForExit(timeout: 60) != 0)
        #expect(train.standardError.contains("--env-servers 2 is fewer than --workers 3"), "\(train.standardError.suffix(1500))")
    }

    /// A server that dies during the run is started again, and the run goes on with it: before, the
    /// actors stepping its slices waited for it for good, and the other servers with them.
    @Test func trainStartsAgainAnEnvServerThatDiedAndTrainsOn() async throws {
        let (dir, config, _) = try TrainingEndToEndTests.scratch("gym-restart")
        let run = dir.appendingPathComponent("run")
        let train = try ChildProcess(yendor: ["train", "--config", config, "--env", "gym:MiniGrid-DoorKey-5x5-v0",
                                              "--env-servers", "2", "--envs", "8", "--steps", "100000000", "--run-dir", run.path])
        defer { train.kill() }
        #expect(await TrainingEndToEndTests.waitForSteps(run, above: 500, of: train), "\(train.standardError.suffix(1500))")
        let server = try #require(Self.processes(containing: run.path + "/sockets/env-server-1").first)
        kill(server, SIGKILL)
        #expect(await train.waitForStandardError(containing: "was killed by signal 9; starting it again", timeout: 600),
                "\(train.standardError.suffix(1500))")
        #expect(await train.waitForStandardError(containing: "is back", timeout: 600), "\(train.standardError.suffix(1500))")
        let steps = TrainingEndToEndTests.envSteps(run)
        #expect(await TrainingEndToEndTests.waitForSteps(run, above: steps + 500, of: train), "the run goes on")
        train.signal(SIGTERM)
        #expect(await train.waitForExit(timeout: 120) == 0, "\(train.standardError.suffix(1500))")
        #expect(Self.processes(containing: run.path + "/sockets/env-server").isEmpty, "an env server outlived the run")
    }

    /// Signalled while it waits for its env servers to answer (before its roles run), train stops
    /// them and exits 0, saying so. It died by the signal's default action (143) and its servers
    /// outlived it.
    @Test func trainStoppedWhileItsEnvServersStartStopsThemAndExitsCleanly() async throws {
        let (dir, config, _) = try TrainingEndToEndTests.scratch("gym-stopped-starting")
        let run = dir.appendingPathComponent("run")
        // A server that never answers: its --import blocks (python/tests/helpers_blocking_import.py).
        let tests = ["PYTHONPATH": URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                        .deletingLastPathComponent().appendingPathComponent("python/tests").path]
        let train = try ChildProcess(yendor: ["train", "--config", config, "--env", "gym:MiniGrid-Empty-5x5-v0",
                                              "--serve-arg=--import=helpers_blocking_import", "--run-dir", run.path], environment: tests)
        defer { train.kill() }
        // Once its server runs, train is waiting for it, and will be until it is stopped.
        #expect(await Poll.until { !Self.processes(containing: run.path + "/sockets/env-server").isEmpty },
                "\(train.standardError.suffix(1500))")
        train.signal(SIGTERM)
        #expect(await train.waitForExit(timeout: 120) == 0, "\(train.standardError.suffix(1500))")
        #expect(train.standardError.contains("stopped while starting its env servers"), "\(train.standardError.suffix(1500))")
        #expect(Self.processes(containing: run.path + "/sockets/env-server").isEmpty, "an env server outlived train")
        let sockets = (try? FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("sockets").path)) ?? []
        #expect(sockets.isEmpty, "\(sockets)")
    }

    /// The same for `evaluate` on a gym run: stopped while its env server starts, it printed
    /// `Error: CancellationError()` and exited 1.
    @Test func evaluateStoppedWhileItsEnvServerStartsStopsItAndExitsCleanly() async throws {
        let (dir, config, _) = try TrainingEndToEndTests.scratch("gym-evaluate-stopped-starting")
        let run = dir.appendingPathComponent("run")
        let train = try ChildProcess(yendor: ["train", "--config", config, "--env", "gym:MiniGrid-Empty-5x5-v0", "--steps", "300", "--run-dir", run.path])
        #expect(await train.waitForExit(timeout: 600) == 0, "\(train.standardError.suffix(1500))")
        // Its evaluation server gets the run's --serve-arg: here one that never answers.
        let file = run.appendingPathComponent("config.yaml")
        let saved = try String(contentsOf: file, encoding: .utf8)
        try #require(saved.contains("server_arguments: []"), "\(saved)")
        try saved.replacingOccurrences(of: "server_arguments: []", with: "server_arguments: [\"--import=helpers_blocking_import\"]")
            .write(to: file, atomically: true, encoding: .utf8)
        let tests = ["PYTHONPATH": URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                        .deletingLastPathComponent().appendingPathComponent("python/tests").path]
        let evaluate = try ChildProcess(yendor: ["evaluate", "--run-dir", run.path, "--episodes", "4"], environment: tests)
        defer { evaluate.kill() }
        let scratch = "yendor-evaluate-\(evaluate.pid)"
        #expect(await Poll.until { !Self.processes(containing: scratch).isEmpty }, "\(evaluate.standardError.suffix(1500))")
        evaluate.signal(SIGTERM)
        #expect(await evaluate.waitForExit(timeout: 120) == 0, "\(evaluate.standardError.suffix(1500))")
        #expect(evaluate.standardError.contains("stopped while starting its env server") && !evaluate.standardError.contains("CancellationError"),
                "\(evaluate.standardError.suffix(1500))")
        #expect(Self.processes(containing: scratch).isEmpty, "an env server outlived evaluate")
    }

    /// Processes whose command line contains `text`.
    static func processes(containing text: String) -> [Int32] {
        ChildProcess.processes { $0.arguments.joined(separator: " ").contains(text) }
    }

    /// `--serve-arg` reaches every server train starts (here the caption's source and size, which the
    /// spec, and so the learner's network, follow); what train sets itself, or no gym env, is refused.
    @Test func trainPassesServeArgumentsToItsEnvServers() async throws {
        let (dir, config, _) = try TrainingEndToEndTests.scratch("gym-serve-args")
        let run = dir.appendingPathComponent("run")
        let train = try ChildProcess(yendor: ["train", "--config", config, "--env", "gym:MiniGrid-Empty-5x5-v0", "--steps", "1",
                                              "--serve-arg=--caption-bytes=48", "--serve-arg", "--caption", "--serve-arg", "mission",
                                              "--run-dir", run.path])
        defer { train.kill() }
        #expect(await train.waitForExit(timeout: 600) == 0, "\(train.standardError.suffix(1500))")
        let log = (try? String(contentsOf: run.appendingPathComponent("logs/env-server-0.log"), encoding: .utf8)) ?? ""
        #expect(log.contains("fingerprint=obs-v2 env=gym:MiniGrid-Empty-5x5-v0") && log.contains("caption=48"), "\(log.suffix(1000))")
        #expect(train.standardError.contains("caption=48"), "the learner's spec: \(train.standardError.prefix(3000))")
        // Saved with the run: evaluate's server, and a resume's without --serve-arg, get them too
        // (without, their spec would not be the checkpoint's, which both refuse).
        let evaluate = try ChildProcess(yendor: ["evaluate", "--run-dir", run.path, "--episodes", "2"])
        #expect(await evaluate.waitForExit(timeout: 600) == 0, "\(evaluate.standardError.suffix(1500))")
        let resume = try ChildProcess(yendor: ["train", "--config", config, "--env", "gym:MiniGrid-Empty-5x5-v0", "--steps", "2", "--run-dir", run.path])
        #expect(await resume.waitForExit(timeout: 600) == 0, "\(resume.standardError.suffix(1500))")
        #expect(resume.standardError.contains("resuming") && resume.standardError.contains("caption=48"), "\(resume.standardError.prefix(3000))")
        // `yendor config --run-dir` shows what a resume would use (it asked for the env servers the run no longer has).
        let shown = try ChildProcess(yendor: ["config", "--run-dir", run.path])
        #expect(await shown.waitForExit(timeout: 600) == 0, "\(shown.standardError.suffix(1500))")
        #expect(shown.lines.contains { $0.hasPrefix("  kind: server") } && shown.lines.contains { $0.hasPrefix("  task: MiniGrid-Empty-5x5-v0") }
                && shown.lines.contains { $0.contains("server_arguments:") && $0.contains("--caption-bytes=48") }, "\(shown.lines.prefix(30))")

        for (arguments, said) in [(["--env", "gym:MiniGrid-Empty-5x5-v0", "--serve-arg=--seed=3"], "train sets --env, --num-envs, --bind, --seed, --parent-pid itself"),
                                  (["--serve-arg=--caption=mission"], "--serve-arg is for --env gym:ENV_ID")] {
            let refused = try ChildProcess(yendor: ["train", "--config", config] + arguments + ["--run-dir", dir.appendingPathComponent("refused").path])
            #expect(await refused.waitForExit(timeout: 600) == 64)
            #expect(refused.standardError.contains(said), "\(refused.standardError)")
        }
    }

    /// Evaluate on env servers says how many of its episodes an env ended by raising (truncated
    /// there, and counted as they ended), per episode in its JSON; it said nothing of them.
    @Test func evaluateSaysWhichEpisodesAnEnvEndedByRaising() async throws {
        let (dir, config, _) = try TrainingEndToEndTests.scratch("gym-evaluate-errors")
        let run = dir.appendingPathComponent("run"), report = dir.appendingPathComponent("eval.json")
        // The test envs of python/tests/helpers_env.py: an episode of 4 steps; action 3 of 4 raises.
        let tests = ["PYTHONPATH": URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                        .deletingLastPathComponent().appendingPathComponent("python/tests").path]
        let train = try ChildProcess(yendor: ["train", "--config", config, "--env", "gym:helpers_env:YendorTest-Grid-v0", "--steps", "1",
                                              "--run-dir", run.path], environment: tests)
        defer { train.kill() }
        #expect(await train.waitForExit(timeout: 600) == 0, "\(train.standardError.suffix(1500))")
        let evaluate = try ChildProcess(yendor: ["evaluate", "--run-dir", run.path, "--episodes", "16", "--json", report.path], environment: tests)
        defer { evaluate.kill() }
        #expect(await evaluate.waitForExit(timeout: 600) == 0, "\(evaluate.standardError.suffix(1500))")
        let read = try JSONDecoder().decode(EvaluationReport.self, from: Data(contentsOf: report))
        let errors = read.episodes.filter(\.endedByError)
        // A policy barely trained picks action 3 in most 4-step episodes.
        #expect(!errors.isEmpty && errors.count < read.episodes.count, "\(read.episodes)")
        // Its reward (1) comes only at the end of a whole episode, which these never reached.
        #expect(errors.allSatisfy { !$0.success && $0.episodeReturn == 0 }, "\(errors)")
        #expect(evaluate.lines.contains("env faults      \(errors.count) of these episodes ended by an env error (truncated there, and counted as they ended); 0 env-server failures (the episodes they cut short are not counted)"),
                "\(evaluate.lines)")
    }

    /// A worker process that keeps failing at its start (here: its env server serves another spec
    /// than the run's) ends `train --workers N` with the worker's own words, said once, rather than
    /// leave the learner waiting at 0 steps/s.
    @Test func trainEndsWithTheWorkersOwnWordsWhenAWorkerProcessKeepsFailingAtItsStart() async throws {
        let (dir, config, _) = try TrainingEndToEndTests.scratch("gym-given-up")
        let run = dir.appendingPathComponent("run")
        let endpoint = "tcp://127.0.0.1:\(ChildProcess.freePort())"
        let server = try ChildProcess(executable: GymFixture.executable, arguments: ["serve", "--env", "MiniGrid-Empty-5x5-v0", "--num-envs", "4", "--bind", endpoint])
        defer { server.kill() }
        let served = try RemoteVectorEnv.probe(endpoint: endpoint, timeout: 600).spec.fingerprint
        // The same spec but for one action more: a valid fingerprint the server does not serve.
        let actions = try #require(served.firstMatch(of: /actions=(\d+)/).flatMap { Int($0.1) })
        let other = served.replacingOccurrences(of: "actions=\(actions)", with: "actions=\(actions + 1)")
        let train = try ChildProcess(yendor: ["train", "--config", config, "--workers", "1", "--set", "env.kind=server", "--set", "env.servers=\(endpoint)",
                                              "--set", "env.server_spec=\(other)", "--steps", "100000000", "--run-dir", run.path])
        defer { train.kill() }
        #expect(await train.waitForExit(timeout: 600) == 1, "\(train.standardError.suffix(3000))")
        let said = train.standardError
        let verdict = try #require(said.range(of: "Error: the run stopped: worker process worker-0 exited with status 1, 5 times in a row"),
                                   "\(said.suffix(3000))")
        let words = said[verdict.upperBound...]
        #expect(words.contains("serves [\(served)], expected [\(other)]"), "\(words)")
        #expect(words.components(separatedBy: "serves [").count == 2, "the last start's words, once: \(words)")
        #expect(said.contains("learner stopped (shutdown) at 0 env steps"), "\(said.suffix(3000))")
        // Every start failed the same way, and its log keeps them all.
        let log = try String(contentsOf: run.appendingPathComponent("logs/worker-0.log"), encoding: .utf8)
        #expect(log.components(separatedBy: "serves [").count == 6, "\(log.suffix(3000))")
    }

    /// A server that exits before it answers (here: an env id Gymnasium does not know) fails the
    /// start with its own words, at once rather than after the 120 s start timeout.
    @Test func trainSaysWhyAnEnvServerThatExitedAtTheStartDidSo() async throws {
        let (dir, config, _) = try TrainingEndToEndTests.scratch("gym-bad-id")
        let train = try ChildProcess(yendor: ["train", "--config", config, "--env", "gym:YendorNoSuchEnv-v0",
                                              "--run-dir", dir.appendingPathComponent("run").path])
        defer { train.kill() }
        #expect(await train.waitForExit(timeout: 100) == 1, "\(train.standardError.suffix(1500))")
        let said = train.standardError
        #expect(said.contains("exited with status 2 before answering") && said.contains("YendorNoSuchEnv"), "\(said.suffix(1500))")
        #expect(said.components(separatedBy: "unavailable:").count == 2, "the reason is said once: \(said.suffix(1500))")
    }

    /// A worker started before its env server (a cluster starts them together) waits for it,
    /// saying so, and goes on once it answers; it failed after 10 s ("unavailable: no reply").
    /// Stopped while waiting, it stops at once, cleanly.
    @Test func aWorkerStartedBeforeItsEnvServerWaitsForItAndStopsCleanlyWhileWaiting() async throws {
        let (_, config, endpoints) = try TrainingEndToEndTests.scratch("gym-worker-first")
        let endpoint = "tcp://127.0.0.1:\(ChildProcess.freePort())"
        let worker = try ChildProcess(yendor: ["worker", "--config", config, "--env-server", endpoint, "--id", "early"] + endpoints)
        defer { worker.kill() }
        #expect(await worker.waitForStandardError(containing: "env server \(endpoint) does not answer", timeout: 600),
                "\(worker.standardError.suffix(1500))")
        let server = try ChildProcess(executable: GymFixture.executable, arguments: ["serve", "--env", "MiniGrid-Empty-5x5-v0", "--num-envs", "4", "--bind", endpoint])
        defer { server.kill() }
        #expect(await worker.waitForStandardError(containing: "worker early connecting", timeout: 600), "\(worker.standardError.suffix(1500))")
        #expect(worker.standardError.contains("env server \(endpoint) answered"), "\(worker.standardError.suffix(1500))")
        worker.signal(SIGTERM)
        #expect(await worker.waitForExit(timeout: 120) == 0, "\(worker.standardError.suffix(1500))")
        let spec = try RemoteVectorEnv.probe(endpoint: endpoint, timeout: 600).spec.fingerprint

        // Stopped while it waits for a server that never comes, exit 0, saying so: for its spec (it
        // asks before anything starts), or, given the spec (as `train --workers N` gives it), for
        // the envs of its rollout actors.
        for (given, said) in [([String](), "stopped while waiting for env server"),
                              (["--set", "env.server_spec=\(spec)"], "worker waiting stopped while waiting for its env servers")] {
            let never = "tcp://127.0.0.1:\(ChildProcess.freePort())"
            let waiting = try ChildProcess(yendor: ["worker", "--config", config, "--env-server", never, "--id", "waiting"] + given + endpoints)
            defer { waiting.kill() }
            #expect(await waiting.waitForStandardError(containing: "env server \(never)", timeout: 600), "\(waiting.standardError.suffix(1500))")
            #expect(waiting.standardError.contains("does not answer"), "\(waiting.standardError.suffix(1500))")
            waiting.signal(SIGTERM)
            #expect(await waiting.waitForExit(timeout: 120) == 0, "\(waiting.standardError.suffix(1500))")
            #expect(waiting.standardError.contains(said), "\(waiting.standardError.suffix(1500))")
        }
    }

    /// Also: a server that dies is counted in the worker's metrics, and the worker goes on with it
    /// once it is back.
    @Test func aWorkerSteppingAnEnvServerFeedsALearner() async throws {
        let (dir, config, endpoints) = try TrainingEndToEndTests.scratch("gym-worker")
        let run = dir.appendingPathComponent("run")
        let endpoint = "tcp://127.0.0.1:\(ChildProcess.freePort())"
        let serve = ["serve", "--env", "MiniGrid-DoorKey-5x5-v0", "--num-envs", "4", "--bind", endpoint]
        var server = try ChildProcess(executable: GymFixture.executable, arguments: serve)
        defer { server.kill() }
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--env-server", endpoint, "--steps", "100000000",
                                                "--run-dir", run.path] + endpoints)
        defer { learner.kill() }
        let port = ChildProcess.freePort()
        let worker = try ChildProcess(yendor: ["worker", "--config", config, "--env-server", endpoint, "--id", "gym-worker",
                                               "--set", "run.prometheus_port=\(port)"] + endpoints)
        defer { worker.kill() }
        #expect(await learner.waitForStandardError(containing: "worker gym-worker joined", timeout: 600),
                "learner: \(learner.standardError.suffix(1000)) worker: \(worker.standardError.suffix(1000))")
        #expect(await TrainingEndToEndTests.waitForSteps(run, above: 500, of: learner), "learner: \(learner.standardError.suffix(1000))")
        // Intrinsic rewards are on (retrieval) and the goal is auto, which a server cannot fill in.
        #expect(learner.standardError.contains("env servers declare no annotator goal"), "\(learner.standardError.prefix(3000))")

        server.kill()
        _ = await server.waitForExit(timeout: 600)  // its port is free again
        #expect(await worker.waitForStandardError(containing: "failed; reconnecting", timeout: 600), "\(worker.standardError.suffix(1500))")
        server = try ChildProcess(executable: GymFixture.executable, arguments: serve)
        #expect(await worker.waitForStandardError(containing: "is back", timeout: 600), "\(worker.standardError.suffix(1500))")
        let failures = "yendor_rollout_env_server_failures{role=\"worker\",worker=\"gym-worker\"}"
        var samples: [String: Double] = [:]
        #expect(await Poll.until(timeout: 600) {
            samples = (try? await PrometheusEndpointTests.scrape(URL(string: "http://127.0.0.1:\(port)/metrics")!).samples) ?? [:]
            return (samples[failures] ?? 0) >= 1
        }, "\(samples.keys.sorted())")
        let steps = TrainingEndToEndTests.envSteps(run)
        #expect(await TrainingEndToEndTests.waitForSteps(run, above: steps + 100, of: learner), "the worker trains on with the server back")
        // The learner's metrics file has them too: the worker's Hellos carry its count.
        let counted = await Poll.until(timeout: 600) {
            ((try? MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")))?.last?["rollout/env_server_failures"] ?? 0) >= 1
        }
        #expect(counted, "\((try? MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")))?.last?.keys.sorted() ?? [])")
        worker.signal(SIGTERM)
        #expect(await worker.waitForExit(timeout: 60) == 0)
        // Once the worker has left, the run's total keeps its failures (it summed members only).
        var last: [String: Double] = [:]
        let keptAfterLeaving = await Poll.until(timeout: 600) {
            last = (try? MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")))?.last ?? [:]
            return last["membership/workers"] == 0
        }
        #expect(keptAfterLeaving && (last["rollout/env_server_failures"] ?? 0) >= 1, "\(last)")
    }
}
