import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import YendorRuntime
import ZeroMQ

/// `yendor evaluate`: a trained policy's episodes on fresh envs, with their mean return and success.
struct EvaluateCommand: AsyncParsableCommand, RoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Play a trained policy's episodes and report their return and success rate.",
        discussion: """
        Takes the newest checkpoint of --run-dir (or --checkpoint DIR; given neither, of the run \
        under runs/ that checkpointed last) and the configuration that run saved; --task, --seed, \
        --envs, --actors and --set change it, but the network must stay the checkpoint's. Each env plays the same number of episodes (--episodes divided among the \
        envs, rounded up), so short episodes (early deaths) are not over-counted. Actions are \
        sampled from the policy, as in training (--greedy: the most probable); returns are the \
        environment's own (no intrinsic reward). A run still training is not disturbed: evaluate \
        only reads its checkpoint. A run \
        on Gymnasium envs gets a local env server of its env (yendor-env), or give --env-server. \
        --record DIR keeps Dungeon episodes to watch with `yendor play --replay`. \
        --all-checkpoints plays every checkpoint the run kept, oldest first, with the same seed: \
        a learning curve (train with --set run.milestone_steps=N to keep one every N env steps); \
        --tensorboard adds the figures to the run's TensorBoard directory, as a run of their own (RUN/tensorboard/evaluate; a checkpoint evaluated again replaces its points). \
        SIGINT/SIGTERM stop it with the episodes that had ended.

        Examples: yendor evaluate --episodes 200 --json eval.json   (the newest run under runs/)
                  yendor evaluate --run-dir runs/exp1 --all-checkpoints --tensorboard
        """)

    @OptionGroup var options: RunOptions

    @Option(help: "Episodes to play (each env plays an equal share, rounded up).")
    var episodes: Int = 100

    @Option(help: "A checkpoint directory (a run's checkpoints/ckpt-<env steps>, or that name alone with --run-dir) instead of the run's newest; its run is --run-dir, else the directory that holds checkpoints/.")
    var checkpoint: String?

    @Option(help: "Also write the episodes and the summary to this JSON file.")
    var json: String?

    @Flag(help: "Take the policy's most probable action at every step instead of sampling, as in training.")
    var greedy = false

    @Option(help: ArgumentHelp("Dungeon: save every episode kept (task, seed, actions) in this directory, env-<env>-episode-<index>.json, to watch with `yendor play --replay FILE`.", valueName: "directory"))
    var record: String?

    @Flag(help: "Play every checkpoint the run kept, oldest first, with the same seed, and print a row for each (a learning curve); --json writes a list of reports.")
    var allCheckpoints = false

    @Flag(help: "Also write the figures to RUN/tensorboard/evaluate, as evaluate/* scalars at the checkpoint's env steps (a checkpoint evaluated again replaces its points).")
    var tensorboard = false

    func validate() throws {
        guard (1...1_000_000).contains(episodes) else { throw ValidationError("--episodes \(episodes): give 1 to 1,000,000") }
        if allCheckpoints && checkpoint != nil { throw ValidationError("--all-checkpoints plays every checkpoint of the run; --checkpoint names one") }
        if allCheckpoints && record != nil { throw ValidationError("--record goes with one checkpoint at a time (--checkpoint DIR), not --all-checkpoints") }
        for (flag, given) in [("--steps", options.steps != nil), ("--reward", options.reward != nil)] where given {
            throw ValidationError("\(flag) is for training; evaluate plays --episodes episodes with the environment's own rewards")
        }
    }

    func run() async throws {
        try await reportingErrors {
            var options = self.options
            let fm = FileManager.default
            // A bare checkpoint name (ckpt-50176) is looked for in the run's checkpoints/ too.
            var checkpoint = self.checkpoint
            if let name = checkpoint, let runDir = options.runDir, !fm.fileExists(atPath: name) {
                let inRun = URL(fileURLWithPath: runDir).appendingPathComponent("checkpoints/\(name)").path
                if fm.fileExists(atPath: inRun) { checkpoint = inRun }
            }
            if let checkpoint, !fm.fileExists(atPath: URL(fileURLWithPath: checkpoint).appendingPathComponent("state.json").path) {
                throw ValidationError("--checkpoint \(checkpoint) is not a checkpoint directory (one holds state.json and learner.ckpt: a run's checkpoints/ckpt-<env steps>, or that name alone with --run-dir)")
            }
            if let json { try Self.checkWritable(json) }
            let checkpointRun = checkpoint.map { URL(fileURLWithPath: $0).standardizedFileURL.deletingLastPathComponent().deletingLastPathComponent().path }
            // The run directory, and what named it (for the message if it is not there).
            let configured = try options.configuredRunDir()
            let named: (String, String)? = options.runDir.map { ($0, "--run-dir \($0)") }
                ?? checkpointRun.map { ($0, "the checkpoint's run directory, \($0),") }
                ?? configured.map { ($0, "run.dir \($0) (from --config/--set)") }
            // None named: the run trained last here (`train` names its directory runs/<task>-<start time>).
            guard let (runDir, source) = named ?? RunDirectory.newestWithCheckpoint(under: "runs").map({ ($0, "the newest run under runs/, \($0),") }) else {
                throw ValidationError("no --run-dir given, and runs/ holds no run with a checkpoint: give the run directory of a `yendor train` or `yendor learner` run")
            }
            if named == nil { FileHandle.standardError.write(Data("evaluating \(runDir), the newest run under runs/ (--run-dir names another)\n".utf8)) }
            options.runDir = runDir
            guard let saved = try options.savedConfiguration(defaultRunDir: runDir, requiringCheckpoint: checkpoint == nil) else {
                let has = { fm.fileExists(atPath: URL(fileURLWithPath: runDir).appendingPathComponent($0).path) }
                throw ValidationError(!has("") ? "\(source) does not exist: give the run directory of a `yendor train` or `yendor learner` run"
                    : !has("config.yaml") ? "\(runDir) holds no config.yaml: give the run directory of a `yendor train` or `yendor learner` run (--run-dir)"
                    : "\(runDir) has no checkpoint yet (a run writes one every run.checkpoint_interval seconds and when it stops)")
            }
            // The servers say what they host: their env (a server run's task) and their env count.
            if saved.base.env.kind == .server && options.task != nil {
                throw ValidationError("--task: \(runDir) ran on env servers, whose env is the task (\(saved.base.env.task))")
            }
            if options.envs != nil && !options.envServers.isEmpty {
                throw ValidationError("--envs: env servers host the number they were started with (yendor-env serve --num-envs)")
            }
            let kind = options.envServers.isEmpty ? options.env?.kind ?? saved.base.env.kind : .server
            if record != nil && kind != .dungeon {
                let what = kind == .server ? "Gymnasium envs (\(saved.base.env.task)) on env servers" : "real NetHack"
                throw ValidationError("--record saves Dungeon episodes for `yendor play --replay`; this run plays \(what)")
            }
            let logger = options.makeLogger(label: "yendor")
            // A run on env servers: a local one of its env, unless the user names servers. Its envs are
            // split between at most two actors (one for a single env).
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("yendor-evaluate-\(getpid())")
            var servers: EnvServerProcesses?
            defer {
                servers?.stop()
                try? FileManager.default.removeItem(at: scratch)
            }
            if saved.base.env.kind == .server && options.envServers.isEmpty {
                let envs = options.envs ?? min(episodes, 16), splits = min(envs, 2)
                do {
                    servers = try EnvServerProcesses(envID: saved.base.env.task, count: 1, envs: envs, seed: options.seed ?? saved.base.run.seed,
                                                     extraArguments: saved.base.env.serverArguments.list,
                                                     socketDirectory: scratch.path, logDirectory: scratch, timeout: 120)
                } catch is CancellationError {
                    // SIGINT/SIGTERM while the server starts: a stop, as later, not an error.
                    logger.info("stopped while starting its env server (it is stopped); nothing evaluated")
                    return
                }
                servers!.superviseRestarts(logger: logger)
                options.envServers = servers!.endpoints
                options.overrides.insert(contentsOf: ["env.actors=\(splits)", "env.server_splits=\(splits)"], at: 0)
            }
            var c = try options.resolve(defaultRunDir: runDir, base: saved.base)
            if record != nil && c.env.kind != .dungeon {  // set by --config or --set env.kind
                throw ValidationError("--record saves Dungeon episodes for `yendor play --replay`; this run plays \(c.env.kind.rawValue)")
            }
            // No more envs than episodes, unless asked for.
            if c.env.kind != .server && options.envs == nil && options.actors == nil && episodes < c.env.actors * c.env.envsPerActor {
                c.env.actors = 1
                c.env.envsPerActor = episodes
            }
            let curve = allCheckpoints ? LearningCurve.checkpoints(runDirectory: runDir) : []
            // Checked before any episode is played: the newest checkpoint, or that the curve has one
            // to play (it passes over, saying so, those that do not read or hold another model).
            var policy: Evaluator.Policy?
            var refusal: (any Error)?
            for candidate in allCheckpoints ? curve.map({ $0.path as String? }) : [checkpoint] {
                do { policy = try Evaluator.policy(runDirectory: runDir, checkpoint: candidate, for: c) } catch { refusal = refusal ?? error }
                if policy != nil { break }
            }
            guard let policy else { throw refusal ?? ConfigurationError(field: "run.dir", problem: "\(runDir) has no checkpoint") }
            if !allCheckpoints, let warning = policy.passedOverWarning { logger.warning("\(warning)") }
            if let record {
                do { try fm.createDirectory(atPath: record, withIntermediateDirectories: true) } catch {
                    throw ValidationError("--record \(record): cannot make the directory: \(error.localizedDescription)")
                }
                guard fm.isWritableFile(atPath: record) else { throw ValidationError("--record \(record) is not writable") }
            }
            let context = try Context()
            defer { context.terminate() }
            let evaluation = Evaluator.Configuration(training: c, episodes: episodes, selection: greedy ? .greedy : .sample,
                                                     record: record.map { URL(fileURLWithPath: $0) })
            let reports: [EvaluationReport]
            if allCheckpoints {
                let sequence = LearningCurve(evaluation: evaluation, checkpoints: curve, context: context, logger: logger)
                try await Self.runUntilDoneOrSignalled(sequence, logger: logger)
                reports = sequence.reports
                print(sequence.table())
            } else {
                let evaluator = Evaluator(configuration: evaluation, policy: policy, context: context, logger: logger)
                try await Self.runUntilDoneOrSignalled(evaluator, logger: logger)
                reports = evaluator.report.map { [$0] } ?? []
                if let report = reports.first { print(report.summary) }
            }
            if tensorboard && !reports.contains(where: { $0.complete && !$0.episodes.isEmpty }) {
                print("TensorBoard: nothing written (no evaluation played to the end)")
            } else if tensorboard {
                let directory = URL(fileURLWithPath: runDir).appendingPathComponent("tensorboard")
                do { print("TensorBoard: \(try LearningCurve.writeTensorBoard(reports, runTask: saved.base.env.task, to: directory).path)") } catch {
                    throw ValidationError("--tensorboard: cannot write to \(directory.path): \(error.localizedDescription)")
                }
            }
            if let json, !reports.isEmpty {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                do {
                    let data = allCheckpoints ? try encoder.encode(reports) : try encoder.encode(reports[0])
                    try data.write(to: URL(fileURLWithPath: json))
                } catch {
                    throw ValidationError("--json \(json): cannot write it: \(error.localizedDescription)")
                }
            }
        }
    }

    /// Runs `service` until it ends or SIGINT/SIGTERM stops it gracefully.
    private static func runUntilDoneOrSignalled(_ service: any Service, logger: Logger) async throws {
        try await ShutdownSignals.run(ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)], logger: logger)))
    }

    /// Refuses, before any episode is played, a --json path whose directory is missing or not
    /// writable, or that names a directory.
    static func checkWritable(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ValidationError("--json \(path) is a directory; give a file name")
        }
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("--json \(path): the directory \(parent) does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: parent) else { throw ValidationError("--json \(path): \(parent) is not writable") }
    }
}
