import ArgumentParser
import Foundation
import ServiceLifecycle
import YendorRuntime
import ZeroMQ

/// `yendor evaluate`: a trained policy's episodes on fresh envs, with their mean return and success.
struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Play a trained policy's episodes and report their return and success rate.",
        discussion: """
        Takes the newest checkpoint of --run-dir (or --checkpoint DIR) and the configuration that \
        run saved; --task, --seed, --envs, --actors and --set change it, but the network must stay \
        the checkpoint's. Each env plays the same number of episodes (--episodes divided among the \
        envs, rounded up), so short episodes (early deaths) are not over-counted. Actions are \
        sampled from the policy, as in training (--greedy: the most probable); returns are the environment's own (no intrinsic \
        reward). A run still training is not disturbed: evaluate only reads its checkpoint. A run \
        on Gymnasium envs gets a local env server of its env (yendor-env), or give --env-server. \
        SIGINT/SIGTERM stop it with the episodes that had ended.

        Example: yendor evaluate --run-dir runs/default --episodes 200 --json eval.json
        """)

    @OptionGroup var options: RunOptions

    @Option(help: "Episodes to play (each env plays an equal share, rounded up).")
    var episodes: Int = 100

    @Option(help: "A checkpoint directory (a run's checkpoints/ckpt-<env steps>) instead of the run's newest; its run is --run-dir, else the directory that holds checkpoints/.")
    var checkpoint: String?

    @Option(help: "Also write the episodes and the summary to this JSON file.")
    var json: String?

    @Flag(help: "Take the policy's most probable action at every step instead of sampling, as in training.")
    var greedy = false

    func validate() throws {
        guard (1...1_000_000).contains(episodes) else { throw ValidationError("--episodes \(episodes): give 1 to 1,000,000") }
        for (flag, given) in [("--steps", options.steps != nil), ("--reward", options.reward != nil)] where given {
            throw ValidationError("\(flag) is for training; evaluate plays --episodes episodes with the environment's own rewards")
        }
    }

    func run() async throws {
        try await reportingErrors {
            var options = self.options
            let checkpointRun = checkpoint.map { URL(fileURLWithPath: $0).standardizedFileURL.deletingLastPathComponent().deletingLastPathComponent().path }
            let runDir = try options.runDir ?? checkpointRun ?? options.configuredRunDir() ?? "runs/default"
            options.runDir = runDir
            guard let saved = try options.savedConfiguration(defaultRunDir: runDir) else {
                let has = { FileManager.default.fileExists(atPath: URL(fileURLWithPath: runDir).appendingPathComponent($0).path) }
                throw ValidationError(!has("checkpoints") ? "\(runDir) holds no checkpoints: give the run directory of a `yendor train` or `yendor learner` run (--run-dir)"
                    : !has("config.yaml") ? "\(runDir) holds checkpoints but no config.yaml, the configuration its network is built from"
                    : "\(runDir)/checkpoints has no `latest` yet: give one with --checkpoint \(runDir)/checkpoints/ckpt-<env steps>")
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
                servers = try EnvServerProcesses(envID: saved.base.env.task, count: 1, envs: envs, seed: options.seed ?? saved.base.run.seed,
                                                 socketDirectory: scratch.path, logDirectory: scratch, timeout: 120)
                servers!.superviseRestarts(logger: logger)
                options.envServers = servers!.endpoints
                options.overrides.insert(contentsOf: ["env.actors=\(splits)", "env.server_splits=\(splits)"], at: 0)
            }
            var c = try options.resolve(defaultRunDir: runDir, base: saved.base)
            // No more envs than episodes, unless asked for.
            if c.env.kind != .server && options.envs == nil && options.actors == nil && episodes < c.env.actors * c.env.envsPerActor {
                c.env.actors = 1
                c.env.envsPerActor = episodes
            }
            let policy = try Evaluator.policy(runDirectory: runDir, checkpoint: checkpoint, for: c)
            let context = try Context()
            defer { context.terminate() }
            let evaluator = Evaluator(configuration: .init(training: c, episodes: episodes, selection: greedy ? .greedy : .sample), policy: policy, context: context, logger: logger)
            try await ServiceGroup(configuration: ServiceGroupConfiguration(
                services: [.init(service: evaluator, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)).run()
            guard let report = evaluator.report else { return }
            print(report.summary)
            if let json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try encoder.encode(report).write(to: URL(fileURLWithPath: json))
            }
        }
    }
}
