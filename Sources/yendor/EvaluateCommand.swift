import ArgumentParser
import Foundation
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
        sampled from the policy, as in training; returns are the environment's own (no intrinsic \
        reward). A run still training is not disturbed: evaluate only reads its checkpoint. A run \
        on Gymnasium envs gets a local env server of its env (yendor-env), or use --env-server.

        Example: yendor evaluate --run-dir runs/default --episodes 200 --json eval.json
        """)

    @OptionGroup var options: RunOptions

    @Option(help: "Episodes to play (each env plays an equal share, rounded up).")
    var episodes: Int = 100

    @Option(help: "A checkpoint directory (the run's checkpoints/ckpt-<env steps>) instead of the newest.")
    var checkpoint: String?

    @Option(help: "Also write the episodes and the summary to this JSON file.")
    var json: String?

    func validate() throws {
        guard (1...1_000_000).contains(episodes) else { throw ValidationError("--episodes \(episodes): give 1 to 1,000,000") }
    }

    func run() async throws {
        try await reportingErrors {
            var options = self.options
            let runDir = try options.runDir ?? options.configuredRunDir() ?? "runs/default"
            options.runDir = runDir
            guard let saved = try options.savedConfiguration(defaultRunDir: runDir) else {
                throw ValidationError("\(runDir) holds no run with a checkpoint: give the run directory of a `yendor train` or `yendor learner` run (--run-dir)")
            }
            let logger = options.makeLogger(label: "yendor")
            // A run on env servers: a local one of its env, unless the user names servers.
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("yendor-evaluate-\(getpid())")
            var servers: EnvServerProcesses?
            defer {
                servers?.stop()
                if servers != nil { try? FileManager.default.removeItem(at: scratch) }
            }
            if saved.base.env.kind == .server && options.envServers.isEmpty {
                servers = try EnvServerProcesses(envID: saved.base.env.task, count: 1, envs: options.envs ?? min(episodes, 16),
                                                 seed: options.seed ?? saved.base.run.seed, socketDirectory: scratch.path,
                                                 logDirectory: scratch, timeout: 120)
                options.envServers = servers!.endpoints
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
            let evaluator = Evaluator(configuration: .init(training: c, episodes: episodes), context: context, logger: logger)
            let report = try await evaluator.run(policy)
            print(report.summary)
            if let json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try encoder.encode(report).write(to: URL(fileURLWithPath: json))
            }
        }
    }
}
