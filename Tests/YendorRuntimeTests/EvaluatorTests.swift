import Foundation
import Logging
import Testing
import Dungeon
import YendorPolicy
@testable import YendorRuntime
import YendorTestSupport
import ZeroMQ

/// `yendor evaluate`: every env plays an equal share of the episodes, the figures are the
/// episodes' own, and a checkpoint is only played by the network it holds.
@Suite struct EvaluatorTests {
    /// Six envs over two actors, seven episodes asked for: two from each env, numbered per env,
    /// never more from an env whose short episodes end first; played again, the same episodes.
    @Test func everyEnvPlaysTheSameNumberOfEpisodes() async throws {
        var c = TrainingConfiguration()
        try TrainingConfiguration.table.apply(yaml: TinyRun.configuration(checkpointInterval: 600), source: "tiny", to: &c)
        c.env.actors = 2
        c.env.envsPerActor = 3
        let network = try PolicyNetwork(configuration: c.resolvedLearner.policy)
        let policy = Evaluator.Policy(checkpoint: URL(fileURLWithPath: "/runs/x/checkpoints/ckpt-9"), policyVersion: 7, envSteps: 9,
                                      tensors: network.namedTensors())
        let context = try Context()
        defer { context.terminate() }
        let report = try await Evaluator(configuration: .init(training: c, episodes: 7), policy: policy, context: context,
                                         logger: Logger(label: "test")).play()
        #expect(report.episodes.count == 12 && report.complete)
        for env in 0..<6 {
            #expect(report.episodes.filter { $0.env == env }.map(\.index) == [0, 1], "env \(env): \(report.episodes)")
        }
        #expect(report.policyVersion == 7 && report.envSteps == 9 && report.task == "staircase")
        #expect(report.episodes.allSatisfy { $0.length >= 1 && $0.length <= 1000 }, "the staircase task ends an episode at 1,000 steps")
        // The same seed, the same episodes (the actors do not share random numbers).
        let again = try await Evaluator(configuration: .init(training: c, episodes: 7), policy: policy, context: context,
                                        logger: Logger(label: "test")).play()
        #expect(again.episodes == report.episodes)
    }

    /// `--record`: every kept episode's recording replays it: the same length, return and success,
    /// worked out again from the recorded seed and actions with the task's own rewards; and it
    /// says which checkpoint played it.
    @Test func recordedEpisodesReplayToTheSameReturnLengthAndSuccess() async throws {
        var c = TrainingConfiguration()
        try TrainingConfiguration.table.apply(yaml: TinyRun.configuration(checkpointInterval: 600), source: "tiny", to: &c)
        // Score: returns that are not all 0, and episodes that end by death before the step limit.
        c.env.task = "score"
        c.env.actors = 2
        c.env.envsPerActor = 2
        let network = try PolicyNetwork(configuration: c.resolvedLearner.policy)
        let policy = Evaluator.Policy(checkpoint: URL(fileURLWithPath: "/runs/x/checkpoints/ckpt-5"), policyVersion: 3, envSteps: 5,
                                      tensors: network.namedTensors())
        let directory = Scratch.root.appendingPathComponent("yendor-record-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let context = try Context()
        defer { context.terminate() }
        let report = try await Evaluator(configuration: .init(training: c, episodes: 8, record: directory), policy: policy, context: context,
                                         logger: Logger(label: "test")).play()
        #expect(report.episodes.count == 8)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).count == 8)
        let task = try TaskRegistry.task(named: c.env.task)
        // Some end before the step limit (a death): their replays must end there too.
        #expect(report.episodes.contains { $0.length < task.stepLimit } && report.episodes.contains { $0.episodeReturn != 0 }, "\(report.episodes)")
        for episode in report.episodes {
            let recording = try EpisodeRecording.read(from: directory.appendingPathComponent("env-\(episode.env)-episode-\(episode.index).json"))
            #expect(recording.player == .init(checkpoint: "/runs/x/checkpoints/ckpt-5", policyVersion: 3, envSteps: 5, selection: .sampled))
            var game = try recording.makeGame()
            var total: Float = 0, succeeded = false, previous = game.score, terminal = false
            for raw in recording.actions {
                #expect(!terminal, "actions recorded after the episode ended")
                game.step(try #require(Action(rawValue: raw)))
                let outcome = task.evaluate(game: game, previousScore: previous, alreadySucceeded: succeeded)
                previous = game.score
                succeeded = outcome.success
                total += outcome.reward
                terminal = outcome.terminal
            }
            #expect(recording.actions.count == episode.length && Double(total) == episode.episodeReturn && succeeded == episode.success,
                    "env \(episode.env) episode \(episode.index): replayed \(recording.actions.count) steps, return \(total), success \(succeeded); evaluated \(episode)")
            #expect(terminal || episode.length == task.stepLimit)
        }
    }

    /// Mean, standard error (sample deviation / √n), success rate and length, worked by hand for
    /// returns 1, 2 and 4: mean 7/3, sample variance 7/3, standard error √(7/9).
    @Test func theSummaryIsTheEpisodesMeanStandardErrorAndSuccessRate() throws {
        let episodes: [EvaluationReport.Episode] = [
            .init(env: 0, index: 0, episodeReturn: 1, length: 10, success: true),
            .init(env: 1, index: 0, episodeReturn: 2, length: 20, success: false),
            .init(env: 2, index: 0, episodeReturn: 4, length: 60, success: true),
        ]
        func report(winnable: Bool) -> EvaluationReport {
            EvaluationReport(task: winnable ? "staircase" : "score", taskDefinesSuccess: winnable, runDirectory: "runs/x", checkpoint: "ckpt-1",
                             policyVersion: 3, envSteps: 100, seed: 4, envs: 3, greedy: false, complete: true, leftOut: 0, seconds: 1.5,
                             episodes: episodes)
        }
        let won = report(winnable: true), g = won.figures
        #expect(g.meanReturn.map { abs($0 - 7.0 / 3) < 1e-12 } == true)
        #expect(g.returnStandardError.map { abs($0 - (7.0 / 9).squareRoot()) < 1e-12 } == true)
        #expect(g.successRate.map { abs($0 - 2.0 / 3) < 1e-12 } == true && g.meanLength == 30)
        // Success: p = 2/3, standard error √(p(1−p)/n) = √(2/27) = 27.2%.
        #expect(g.successStandardError.map { abs($0 - (2.0 / 27).squareRoot()) < 1e-12 } == true)
        #expect(won.summary.contains("2.333 ± 0.882") && won.summary.contains("66.7% ± 27.2%") && won.summary.contains("3 (3 envs, 1 each)"),
                "\(won.summary)")
        let json = try JSONEncoder().encode(won)
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        let figures = try #require(object["figures"] as? [String: Any])
        #expect((figures["mean_return"] as? Double).map { abs($0 - 7.0 / 3) < 1e-12 } == true && object["policy_version"] as? Int == 3)
        #expect(try JSONDecoder().decode(EvaluationReport.self, from: json) == won)
        // A task that cannot be won (score) reports no success rate.
        let score = report(winnable: false)
        #expect(!score.summary.contains("%") && score.summary.contains("no goal to reach"), "\(score.summary)")
        let scoreFigures = try JSONSerialization.jsonObject(with: JSONEncoder().encode(score)) as? [String: Any]
        #expect((scoreFigures?["figures"] as? [String: Any])?["success_rate"] is NSNull && (scoreFigures?["figures"] as? [String: Any])?["mean_return"] is Double)
    }

    /// Figures that are undefined are nil (null in the JSON, "-" in the tables), not 0: with no
    /// episode (a stop before every env ended one) every figure; with one, the standard error.
    @Test func figuresWithNoEpisodeOrOneAreUndefinedNotZero() throws {
        func report(_ episodes: [EvaluationReport.Episode]) -> EvaluationReport {
            EvaluationReport(task: "staircase", taskDefinesSuccess: true, runDirectory: "runs/x", checkpoint: "ckpt-1", policyVersion: 3,
                             envSteps: 100, seed: 4, envs: 1, greedy: false, complete: episodes.count == 1, leftOut: 0, seconds: 1, episodes: episodes)
        }
        let none = report([])
        #expect(none.figures == .init([], taskDefinesSuccess: true))
        #expect(none.figures.meanReturn == nil && none.figures.meanLength == nil && none.figures.returnStandardError == nil
                && none.figures.successRate == nil && none.figures.successStandardError == nil)
        let figures = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(none)) as? [String: Any])["figures"] as? [String: Any]
        #expect(Set(figures?.keys.map { $0 } ?? []) == ["mean_return", "return_standard_error", "mean_length", "success_rate", "success_standard_error"]
                && figures?.values.allSatisfy { $0 is NSNull } == true, "\(figures ?? [:])")
        #expect(try JSONDecoder().decode(EvaluationReport.self, from: JSONEncoder().encode(none)) == none)
        let one = report([.init(env: 0, index: 0, episodeReturn: 16, length: 40, success: true)])
        #expect(one.figures.meanReturn == 16 && one.figures.returnStandardError == nil && one.figures.meanLength == 40 && one.figures.successRate == 1
                && one.figures.successStandardError == nil)
        #expect(one.summary.contains("16.000 (mean of one episode: no standard error)"), "\(one.summary)")
        let context = try Context()
        defer { context.terminate() }
        let curve = LearningCurve(evaluation: .init(training: TrainingConfiguration(), episodes: 1), checkpoints: [], context: context,
                                  logger: Logger(label: "test"))
        #expect(curve.row(none).contains("-  ") && !curve.row(none).contains("0.000"), "\(curve.row(none))")
        #expect(curve.row(one).contains("16.000 ") && curve.row(one).contains("100.0% ") && !curve.row(one).contains("±"), "\(curve.row(one))")
    }

    /// Stopped early, every env counts as many episodes as the env that ended fewest, its first ones:
    /// the episodes that end first are the short ones.
    @Test func aStoppedEvaluationKeepsAnEqualShareOfEveryEnv() {
        func episode(_ env: Int, _ index: Int, length: Int) -> EvaluationReport.Episode {
            .init(env: env, index: index, episodeReturn: Double(length), length: length, success: false)
        }
        // Env 0 ended three short episodes while env 1 played one long one and env 2 two.
        let ended = [episode(0, 0, length: 5), episode(0, 1, length: 6), episode(0, 2, length: 4),
                     episode(1, 0, length: 90), episode(2, 0, length: 40), episode(2, 1, length: 7)]
        let (kept, share) = Evaluator.equalShare(of: ended, envs: 3)
        #expect(share == 1 && kept == [ended[0], ended[3], ended[4]])
        // An env with no ended episode yet: none can be kept.
        #expect(Evaluator.equalShare(of: ended, envs: 4).kept.isEmpty)
    }

    /// The command end to end on a run `yendor train` finished: the newest checkpoint's policy,
    /// an equal share per env, the JSON file; another model, or a directory with no run, refused.
    @Test func evaluateCommandPlaysTheNewestCheckpointOfARun() async throws {
        let (dir, config) = try TinyRun.scratch("evaluate", checkpointInterval: 60)
        let run = dir.appendingPathComponent("run")
        let train = try ChildProcess(yendor: ["train", "--config", config, "--steps", "1500", "--run-dir", run.path])
        #expect(await train.waitForExit(timeout: 600) == 0, "\(train.standardError.suffix(2000))")
        let newest = run.appendingPathComponent("checkpoints")
            .appendingPathComponent(try String(contentsOf: run.appendingPathComponent("checkpoints/latest"), encoding: .utf8))
        let state = try JSONDecoder().decode(Checkpoints.State.self, from: Data(contentsOf: newest.appendingPathComponent("state.json")))
        let json = dir.appendingPathComponent("eval.json")
        let evaluate = try ChildProcess(yendor: ["evaluate", "--run-dir", run.path, "--episodes", "5", "--json", json.path])
        #expect(await evaluate.waitForExit(timeout: 600) == 0, "\(evaluate.standardError.suffix(2000))")
        let report = try JSONDecoder().decode(EvaluationReport.self, from: Data(contentsOf: json))
        // tiny.yaml: 4 envs, so 2 episodes each.
        #expect(report.episodes.count == 8 && report.policyVersion == state.policyVersion && report.envSteps == state.envSteps)
        #expect(evaluate.lines.contains { $0.hasPrefix("episodes") && $0.contains("8 (4 envs, 2 each)") }, "\(evaluate.lines)")

        let other = try ChildProcess(yendor: ["evaluate", "--run-dir", run.path, "--set", "model.core_width=8"])
        #expect(await other.waitForExit(timeout: 600) != 0)
        #expect(other.standardError.contains("holds another model than this configuration builds") && other.standardError.contains("in the checkpoint, core=8x")
                && other.standardError.contains("here (set by model.*)"), "\(other.standardError.suffix(2000))")
        let empty = try ChildProcess(yendor: ["evaluate", "--run-dir", dir.appendingPathComponent("nothing").path])
        #expect(await empty.waitForExit(timeout: 600) != 0)
        #expect(empty.standardError.contains("does not exist"), "\(empty.standardError.suffix(2000))")
        // Mistakes said before anything is played: a --json that cannot be written, a --checkpoint
        // that is not one.
        for (arguments, says) in [(["--json", dir.appendingPathComponent("no/such/dir/e.json").path], "does not exist"),
                                  (["--checkpoint", config], "is not a checkpoint directory")] {
            let refused = try ChildProcess(yendor: ["evaluate", "--run-dir", run.path] + arguments)
            #expect(await refused.waitForExit(timeout: 600) != 0)
            #expect(refused.standardError.contains(says) && !refused.standardError.contains("evaluating policy"), "\(refused.standardError.suffix(2000))")
        }

        // SIGINT ends a long evaluation with the episodes that had ended, said to be incomplete.
        let long = try ChildProcess(yendor: ["evaluate", "--checkpoint", newest.path,
                                             "--episodes", "1000000"], environment: ["SWIFT_BACKTRACE": "enable=no"])
        #expect(await long.waitForStandardError(containing: "evaluating policy version \(state.policyVersion)", timeout: 600), "\(long.standardError.suffix(2000))")
        long.signal(SIGINT)
        #expect(await long.waitForExit(timeout: 600) == 0, "\(long.standardError.suffix(2000))")
        #expect(long.lines.contains { $0.contains("stopped early") }, "\(long.lines)")
    }

    /// `train` given no run directory names one after its task and start time, so `evaluate`
    /// given none takes the run under runs/ that checkpointed last (it looked in runs/default,
    /// which no command writes, trial V5), and says which.
    @Test func evaluateGivenNoRunDirectoryTakesTheRunThatCheckpointedLast() async throws {
        let (dir, config) = try TinyRun.scratch("evaluate-newest", checkpointInterval: 60)
        let none = try ChildProcess(yendor: ["evaluate", "--episodes", "4"], directory: dir)
        #expect(await none.waitForExit(timeout: 600) == 64, "\(none.standardError.suffix(2000))")
        #expect(none.standardError.contains("no --run-dir given, and runs/ holds no run with a checkpoint"), "\(none.standardError.suffix(2000))")
        for seed in ["1", "2"] {
            let train = try ChildProcess(yendor: ["train", "--config", config, "--steps", "300", "--seed", seed], directory: dir)
            #expect(await train.waitForExit(timeout: 600) == 0, "\(train.standardError.suffix(2000))")
        }
        // Both named after the task (the config's, no --task given).
        let runs = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("runs").path)
        #expect(runs.count == 2 && runs.allSatisfy { $0.hasPrefix("staircase-") }, "\(runs)")
        let last = try #require(RunDirectory.newestWithCheckpoint(under: dir.appendingPathComponent("runs").path))
        let saved = try String(contentsOf: URL(fileURLWithPath: last).appendingPathComponent("config.yaml"), encoding: .utf8)
        let seedLine = saved.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("seed:") } ?? ""
        #expect(seedLine.contains("seed: 2"), "the newest is the second run: \(saved.prefix(300))")
        let evaluate = try ChildProcess(yendor: ["evaluate", "--episodes", "4"], directory: dir)
        #expect(await evaluate.waitForExit(timeout: 600) == 0, "\(evaluate.standardError.suffix(2000))")
        #expect(evaluate.standardError.contains("evaluating runs/\(URL(fileURLWithPath: last).lastPathComponent), the newest run under runs/"),
                "\(evaluate.standardError.suffix(2000))")
    }

    /// A checkpoint that does not read (torn by a crash) or holds another model: evaluating the
    /// newest passes over a torn one saying so (it took the next newest without a word), and a
    /// curve names both kinds in its header and plays the rest (one such as the oldest refused the
    /// whole curve). Another `--task` draws a TensorBoard curve of its own instead of replacing the
    /// run's points.
    @Test func checkpointsThatDoNotReadOrHoldAnotherModelArePassedOverAndSaid() async throws {
        let (dir, config) = try TinyRun.scratch("evaluate-passed-over", checkpointInterval: 600)
        let run = dir.appendingPathComponent("run")
        let train = try ChildProcess(yendor: ["train", "--config", config, "--steps", "1500", "--run-dir", run.path, "--set", "run.milestone_steps=500"])
        #expect(await train.waitForExit(timeout: 600) == 0, "\(train.standardError.suffix(2000))")
        let checkpoints = run.appendingPathComponent("checkpoints")
        let names = try FileManager.default.contentsOfDirectory(atPath: checkpoints.path).filter { $0.hasPrefix("ckpt-") }
            .sorted { ($0.count, $0) < ($1.count, $1) }
        try #require(names.count >= 3, "\(names)")
        let (oldest, newest) = (names[0], names[names.count - 1])
        try FileHandle(forWritingTo: checkpoints.appendingPathComponent("\(newest)/learner.ckpt")).truncate(atOffset: 1000)
        let stateFile = checkpoints.appendingPathComponent("\(oldest)/state.json")
        var state = try JSONDecoder().decode(Checkpoints.State.self, from: Data(contentsOf: stateFile))
        state.modelSignature += " (another model)"
        try JSONEncoder().encode(state).write(to: stateFile)

        let json = dir.appendingPathComponent("newest.json")
        let single = try ChildProcess(yendor: ["evaluate", "--run-dir", run.path, "--episodes", "4", "--json", json.path, "--tensorboard"])
        #expect(await single.waitForExit(timeout: 600) == 0, "\(single.standardError.suffix(2000))")
        let used = names[names.count - 2]
        #expect(single.standardError.contains("the newest checkpoint \(newest) does not read") && single.standardError.contains("evaluating \(used) instead"),
                "\(single.standardError.suffix(2000))")
        #expect(try JSONDecoder().decode(EvaluationReport.self, from: Data(contentsOf: json)).checkpoint.hasSuffix(used))
        // A checkpoint named alone is looked for in the run's checkpoints/ (it was taken as a path from here).
        let named = try ChildProcess(yendor: ["evaluate", "--run-dir", run.path, "--episodes", "4", "--checkpoint", names[1], "--json", json.path])
        #expect(await named.waitForExit(timeout: 600) == 0, "\(named.standardError.suffix(2000))")
        #expect(try JSONDecoder().decode(EvaluationReport.self, from: Data(contentsOf: json)).checkpoint.hasSuffix(names[1]))

        let curve = try ChildProcess(yendor: ["evaluate", "--run-dir", run.path, "--episodes", "4", "--all-checkpoints"])
        #expect(await curve.waitForExit(timeout: 600) == 0, "\(curve.standardError.suffix(2000))")
        #expect(curve.lines.contains { $0.contains("\(names.count - 2) of \(names.count) checkpoints (passed over, unreadable: \(newest)) (passed over, another model: \(oldest))") },
                "\(curve.lines)")
        #expect(curve.lines.contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix(used.dropFirst(5) + " ") }, "\(curve.lines)")

        // tiny.yaml's task is staircase; keyroom is another.
        let keyroom = try ChildProcess(yendor: ["evaluate", "--run-dir", run.path, "--episodes", "4", "--task", "keyroom", "--tensorboard"])
        #expect(await keyroom.waitForExit(timeout: 600) == 0, "\(keyroom.standardError.suffix(2000))")
        let files = try FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("tensorboard/evaluate").path).sorted()
        let steps = String(format: "%012llu", try #require(UInt64(used.dropFirst(5))))
        #expect(files == ["events.out.tfevents.\(steps).keyroom.sampled", "events.out.tfevents.\(steps).sampled"], "\(files)")
    }

    /// `--all-checkpoints` plays every checkpoint the run kept (a milestone kept past
    /// `run.keep_checkpoints` included), oldest first, each with the same episodes asked for;
    /// `--tensorboard` puts the figures beside the training curves at each checkpoint's env steps.
    @Test func evaluateAllCheckpointsDrawsALearningCurveIntoTensorBoard() async throws {
        let (dir, config) = try TinyRun.scratch("curve", checkpointInterval: 600)
        let run = dir.appendingPathComponent("run")
        // Two runs of the same directory (the second resumes the first), one checkpoint kept as the
        // newest, so the others stay only as milestones.
        for steps in ["1000", "2000"] {
            let train = try ChildProcess(yendor: ["train", "--config", config, "--steps", steps, "--run-dir", run.path,
                                                  "--set", "run.keep_checkpoints=1", "--set", "run.milestone_steps=500"])
            #expect(await train.waitForExit(timeout: 600) == 0, "\(train.standardError.suffix(2000))")
        }
        let kept = try FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("checkpoints").path)
            .filter { $0.hasPrefix("ckpt-") }.map { run.appendingPathComponent("checkpoints").appendingPathComponent($0) }
        let steps = try kept.map { try JSONDecoder().decode(Checkpoints.State.self, from: Data(contentsOf: $0.appendingPathComponent("state.json"))).envSteps }.sorted()
        // A checkpoint on crossing every 500 env steps (the interval is 600 s), one a span kept.
        try #require(steps.count >= 3 && Set(steps.map { $0 / 500 }).count == steps.count, "\(steps)")
        let json = dir.appendingPathComponent("curve.json")
        let evaluate = try ChildProcess(yendor: ["evaluate", "--run-dir", run.path, "--episodes", "4", "--all-checkpoints", "--tensorboard", "--json", json.path])
        #expect(await evaluate.waitForExit(timeout: 600) == 0, "\(evaluate.standardError.suffix(2000))")
        let reports = try JSONDecoder().decode([EvaluationReport].self, from: Data(contentsOf: json))
        #expect(reports.map(\.envSteps) == steps && reports.allSatisfy { $0.complete && $0.episodes.count == 4 && $0.seed == reports[0].seed })
        #expect(evaluate.lines.contains { $0.contains("\(steps.count) checkpoints, 4 episodes each") }, "\(evaluate.lines)")
        for s in steps { #expect(evaluate.lines.contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("\(s) ") }, "a row for \(s): \(evaluate.lines)") }
        // A checkpoint gone by the time its turn comes (a run still training prunes it) is passed
        // over, said in the table, and the others are played: one such stopped the whole curve.
        var c = TrainingConfiguration()
        try TrainingConfiguration.table.apply(yaml: TinyRun.configuration(checkpointInterval: 600), source: "tiny", to: &c)
        c.run.directory = run.path
        let sorted = kept.sorted { $0.lastPathComponent.count == $1.lastPathComponent.count ? $0.lastPathComponent < $1.lastPathComponent
                                                                                             : $0.lastPathComponent.count < $1.lastPathComponent.count }
        let context = try Context()
        defer { context.terminate() }
        let partial = LearningCurve(evaluation: .init(training: c, episodes: 4),
                                  checkpoints: [sorted[0], run.appendingPathComponent("checkpoints/ckpt-1"), sorted[1]],
                                  context: context, logger: Logger(label: "test"))
        try await partial.run()
        #expect(partial.reports.count == 2 && partial.skipped == ["ckpt-1"])
        #expect(partial.table().contains("2 of 3 checkpoints (passed over, unreadable: ckpt-1)"), "\(partial.table())")

        // Refused before anything is played.
        let both = try ChildProcess(yendor: ["evaluate", "--run-dir", run.path, "--all-checkpoints", "--checkpoint", kept[0].path])
        #expect(await both.waitForExit(timeout: 600) != 0)
        #expect(both.standardError.contains("--checkpoint names one"), "\(both.standardError.suffix(2000))")

        // SIGINT during the first checkpoint: its row, marked, and no other.
        let long = try ChildProcess(yendor: ["evaluate", "--run-dir", run.path, "--episodes", "1000000", "--all-checkpoints"],
                                    environment: ["SWIFT_BACKTRACE": "enable=no"])
        #expect(await long.waitForStandardError(containing: "evaluating policy", timeout: 600), "\(long.standardError.suffix(2000))")
        long.signal(SIGINT)
        #expect(await long.waitForExit(timeout: 600) == 0, "\(long.standardError.suffix(2000))")
        #expect(long.lines.contains { $0.contains("1 of \(steps.count) checkpoints,") } && long.lines.contains { $0.contains("(stopped early:") }, "\(long.lines)")

        let python = TensorBoardLogTests.python
        guard FileManager.default.isExecutableFile(atPath: python.path) else { return }
        func tags(_ directory: String) async throws -> [String: [[Double]]] {
            let reader = try ChildProcess(executable: python, arguments: [
                TensorBoardLogTests.repository.appendingPathComponent("scripts/read_tensorboard.py").path, run.appendingPathComponent(directory).path])
            #expect(await reader.waitForExit(timeout: 600) == 0, "\(reader.standardError)")
            let line = try #require(reader.lines.first { $0.hasPrefix("{") })
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: [String: [[Double]]]])
            return object["tags"] ?? [:]
        }
        func curve() async throws -> [[Double]] {
            let evaluate = try await tags("tensorboard/evaluate")
            return try #require(evaluate["evaluate/mean_return"], "\(evaluate.keys.sorted())")
        }
        func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-6 * max(1, abs(b)) }
        let first = try await curve()
        #expect(first.map { UInt64($0[0]) } == steps)
        #expect(zip(first, reports).allSatisfy { close($0[1], $1.figures.meanReturn ?? .nan) })
        // The newest checkpoint evaluated again (other episodes): its point is replaced, not drawn twice.
        let again = dir.appendingPathComponent("again.json")
        let second = try ChildProcess(yendor: ["evaluate", "--run-dir", run.path, "--episodes", "3", "--tensorboard", "--json", again.path])
        #expect(await second.waitForExit(timeout: 600) == 0, "\(second.standardError.suffix(2000))")
        let newest = try JSONDecoder().decode(EvaluationReport.self, from: Data(contentsOf: again))
        try #require(newest.envSteps == steps.last)
        let replaced = try await curve()
        #expect(replaced.map { UInt64($0[0]) } == steps)
        #expect(zip(replaced.dropLast(), reports).allSatisfy { close($0[1], $1.figures.meanReturn ?? .nan) })
        #expect(close(try #require(replaced.last)[1], newest.figures.meanReturn ?? .nan))
        // The training curves are a run of their own beside them.
        let training = try await tags("tensorboard")
        #expect(training["learner/loss/policy"] != nil && !training.keys.contains { $0.hasPrefix("evaluate") }, "\(training.keys.sorted())")
    }
}
