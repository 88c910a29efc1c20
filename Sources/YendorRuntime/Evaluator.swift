import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Dungeon
import YendorNN
import YendorPolicy
import YendorRollout
import YendorSupport
import YendorWire
import ZeroMQ

/// Plays a trained policy's episodes on fresh envs and reports their returns (`yendor evaluate`).
///
/// Every env plays the same number of episodes (the number asked for divided among the envs,
/// rounded up): counting the first N episodes to end, from whichever env, would over-weight the
/// short ones (early deaths). Actions are sampled from the policy, as in training (or the most
/// probable, `greedy`); no intrinsic reward is involved: returns are the environment's own. The
/// same seed plays the same episodes (envs hosted here; env servers step as they are seeded). A
/// service: a graceful shutdown (SIGINT/SIGTERM) ends it with the episodes that had ended,
/// reported as incomplete.
public final class Evaluator: Service, Sendable {
    /// What to evaluate and how.
    public struct Configuration: Sendable {
        /// The run's configuration: environment, network, seed (`run.seed` seeds the envs and the
        /// action sampling), `env.actors` × `env.envs` envs.
        public var training: TrainingConfiguration
        /// Episodes asked for; each env plays `ceil(episodes / envs)` of them.
        public var episodes: Int
        /// Sampled actions (the policy as trained) or the most probable.
        public var selection: PolicyNetwork.ActionSelection
        /// A directory for each kept episode's recording (task, seed, actions: `yendor play
        /// --replay`), `env-<env>-episode-<index>.json`; Dungeon only. Nil: none.
        public var record: URL?

        public init(training: TrainingConfiguration, episodes: Int, selection: PolicyNetwork.ActionSelection = .sample, record: URL? = nil) {
            self.training = training
            self.episodes = episodes
            self.selection = selection
            self.record = record
        }
    }

    public let configuration: Configuration
    public let policy: Policy
    private let context: Context
    private let logger: Logger
    private let result = Mutex<EvaluationReport?>(nil)

    public init(configuration: Configuration, policy: Policy, context: Context, logger: Logger) {
        self.configuration = configuration
        self.policy = policy
        self.context = context
        self.logger = logger
    }

    /// What `run()` played; nil before it ended.
    public var report: EvaluationReport? { result.withLock { $0 } }

    public func run() async throws {
        let report = try await cancelWhenGracefulShutdown { try await self.play() }
        result.withLock { $0 = report }
    }

    /// The policy weights of a checkpoint and what the learner had done by then.
    public struct Policy: Sendable {
        /// The checkpoint's directory.
        public let checkpoint: URL
        public let policyVersion: Int64
        public let envSteps: UInt64
        /// The network's tensors (the optimiser's state left out).
        public let tensors: [NamedTensor]
        /// Newer checkpoints passed over because they do not read (the run's newest asked for).
        public var passedOver: [String] = []
        /// What to warn of when `passedOver` is not empty.
        public var passedOverWarning: String? {
            passedOver.isEmpty ? nil : "the newest \(Checkpoints.notReading(passedOver)): evaluating \(checkpoint.lastPathComponent) instead"
        }
    }

    /// The newest checkpoint of the run in `runDirectory` (or the checkpoint directory
    /// `checkpoint`), checked against `training`'s model: the network it builds must be the one
    /// the checkpoint holds.
    public static func policy(runDirectory: String, checkpoint: String? = nil, for training: TrainingConfiguration) throws -> Policy {
        let found: Checkpoints.Found
        if let checkpoint {
            let directory = URL(fileURLWithPath: checkpoint)
            guard let read = Checkpoints.read(directory) else {
                let both = ["state.json", "learner.ckpt"].allSatisfy { FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path) }
                throw ConfigurationError(field: "checkpoint", problem: both
                    ? "\(checkpoint) does not read: its state.json or learner.ckpt is torn (a crash or a full disk while it was written?)"
                    : "\(checkpoint) is not a checkpoint directory (no readable state.json and learner.ckpt; they are the run's checkpoints/ckpt-<env steps>)")
            }
            found = read
        } else {
            let directory = URL(fileURLWithPath: runDirectory).appendingPathComponent("checkpoints")
            guard let latest = try Checkpoints(directory: directory).latest(advice: "nothing to evaluate; restore one from a copy") else {
                throw ConfigurationError(field: "run.dir", problem: "\(runDirectory) has no checkpoint yet (a run writes one every run.checkpoint_interval seconds and when it stops)")
            }
            found = latest
        }
        guard found.state.modelSignature == training.modelSignature else {
            let difference = TrainingConfiguration.modelDifference(checkpoint: found.state.modelSignature, configured: training.modelSignature)
            throw ConfigurationError(field: "model", problem: "the checkpoint \(found.directory.path) holds another model than this configuration builds: \(difference). Evaluate with the run's own settings for those (checkpoint [\(found.state.modelSignature)], here [\(training.modelSignature)])")
        }
        let tensors: [NamedTensor]
        do { tensors = try TensorFile.read(from: found.learner).tensors.filter { !$0.name.hasPrefix("adam.") } } catch {
            throw ConfigurationError(field: "checkpoint", problem: "\(found.learner.path) does not read: \(error)")
        }
        return Policy(checkpoint: found.directory, policyVersion: found.state.policyVersion, envSteps: found.state.envSteps, tensors: tensors,
                      passedOver: found.skipped)
    }

    /// Plays the episodes and returns them, each env's in the order they ended. Cancelled, it
    /// returns the first `k` each env ended, `k` the fewest any env ended (`complete` false).
    public func play() async throws -> EvaluationReport {
        let c = configuration.training
        var actors: [RolloutWorker] = []
        for a in 0..<c.env.actors {
            // A batcher (and its random numbers) per actor: one shared by actors would batch their
            // requests as they happen to come, and the same seed would not give the same episodes.
            let seed = SplitMix64.derive(c.run.seed, UInt64(a))
            let batcher = InferenceBatcher(network: try PolicyNetwork(configuration: c.resolvedLearner.policy),
                                           seed: SplitMix64.derive(seed, StableHash.of("evaluate")), selection: configuration.selection)
            try await batcher.update(version: policy.policyVersion, tensors: policy.tensors)
            var environment = c.environment
            environment.servers = c.servers(forActor: a)
            actors.append(try RolloutWorker(configuration: .init(
                environment: environment, envs: c.env.envsPerActor, rolloutLength: c.env.rolloutLength,
                seed: seed, workerID: "evaluate"),
                batcher: batcher, context: context, logger: logger))
        }
        let envs = actors.reduce(0) { $0 + $1.envCount }
        let perEnv = (configuration.episodes + envs - 1) / envs
        let start = Clock.now
        logger.info("evaluating policy version \(policy.policyVersion) (\(policy.checkpoint.lastPathComponent)) on \(c.env.task): \(perEnv) episode\(perEnv == 1 ? "" : "s") in each of \(envs) envs")
        if let directory = configuration.record { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) }
        let player = EpisodeRecording.Player(checkpoint: policy.checkpoint.path, policyVersion: policy.policyVersion, envSteps: policy.envSteps,
                                             selection: configuration.selection == .greedy ? .greedy : .sampled)
        let recorder = configuration.record.map {
            Recorder(directory: $0, task: c.env.task, rows: c.env.mapRows, columns: c.env.mapColumns, player: player, logger: logger)
        }
        let episodes = try await withThrowingTaskGroup(of: [EvaluationReport.Episode].self) { group in
            for (a, actor) in actors.enumerated() {
                let first = actors[..<a].reduce(0) { $0 + $1.envCount }
                group.addTask { try await Self.play(actor, perEnv: perEnv, firstEnv: first, recorder: recorder) }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let (kept, share) = Self.equalShare(of: episodes, envs: envs)
        let faults = actors.compactMap { $0.envServerFailures?() }
        // Stopped early: the recordings of the episodes left out go too.
        for e in episodes where e.index >= share { recorder?.remove(e) }
        return EvaluationReport(task: c.env.task, taskDefinesSuccess: c.taskDefinesSuccess, runDirectory: c.run.directory,
                                checkpoint: policy.checkpoint.path, policyVersion: policy.policyVersion, envSteps: policy.envSteps,
                                seed: c.run.seed, envs: envs, greedy: configuration.selection == .greedy, complete: share == perEnv,
                                leftOut: episodes.count - kept.count, seconds: Clock.now - start,
                                episodes: kept.sorted { ($0.env, $0.index) < ($1.env, $1.index) },
                                serverFailures: faults.reduce(0) { $0 + $1.serverFailures })
    }

    /// The first `share` episodes of every env, `share` the fewest any of the `envs` ended: after a
    /// stop, the mean over all that had ended would lean to the short episodes, which end first.
    static func equalShare(of episodes: [EvaluationReport.Episode], envs: Int) -> (kept: [EvaluationReport.Episode], share: Int) {
        var ended = [Int](repeating: 0, count: envs)
        for e in episodes { ended[e.env] += 1 }
        let share = ended.min() ?? 0
        return (episodes.filter { $0.index < share }, share)
    }

    /// Writes each episode's recording as it ends (`--record`): task, seed and actions, which
    /// replay a Dungeon episode, and the checkpoint that played it. A write that fails is logged
    /// and ends the recording, not the evaluation.
    final class Recorder: Sendable {
        let directory: URL, task: String, rows: Int, columns: Int, player: EpisodeRecording.Player
        private let logger: Logger
        private let failed = Atomic<Bool>(false)
        /// The files this recorder wrote: only those are removed (a reused directory keeps the rest).
        private let written = Mutex<Set<URL>>([])

        init(directory: URL, task: String, rows: Int, columns: Int, player: EpisodeRecording.Player, logger: Logger) {
            self.directory = directory
            self.player = player
            self.task = task
            self.rows = rows
            self.columns = columns
            self.logger = logger
        }

        func file(_ e: EvaluationReport.Episode) -> URL { directory.appendingPathComponent("env-\(e.env)-episode-\(e.index).json") }

        func write(_ e: EvaluationReport.Episode, seed: UInt64, actions: [Int32]) {
            guard !failed.load(ordering: .relaxed) else { return }
            do {
                try EpisodeRecording(task: task, seed: seed, actions: actions, rows: rows, columns: columns, player: player).write(to: file(e))
                _ = written.withLock { $0.insert(file(e)) }
            } catch {
                if !failed.exchange(true, ordering: .relaxed) { logger.error("recording stopped: \(file(e).path): \(error)") }
            }
        }

        func remove(_ e: EvaluationReport.Episode) {
            guard written.withLock({ $0.remove(file(e)) }) != nil else { return }
            try? FileManager.default.removeItem(at: file(e))
        }
    }

    /// One actor's envs, each until it has ended `perEnv` episodes (later ones are not kept), each
    /// kept one recorded by `recorder` if any.
    private static func play(_ actor: RolloutWorker, perEnv: Int, firstEnv: Int, recorder: Recorder?) async throws -> [EvaluationReport.Episode] {
        var ended = [Int](repeating: 0, count: actor.envCount), kept: [EvaluationReport.Episode] = []
        var running = [[Int32]](repeating: [], count: recorder == nil ? 0 : actor.envCount)
        while ended.contains(where: { $0 < perEnv }) && !Task.isCancelled {
            let rollout: TrajectoryBatch
            do { rollout = try await actor.rollout() } catch is CancellationError { break }
            // The actions of the episodes that ended, in the order of `rollout.episodes` (by step,
            // then env), and their seeds.
            var finished: [[Int32]] = [], seeds: [UInt64] = []
            let endedByError = await actor.episodeEndedByError
            if recorder != nil {
                seeds = await actor.episodeSeeds
                for t in 0..<rollout.steps {
                    for e in 0..<rollout.envs {
                        let i = t * rollout.envs + e
                        running[e].append(rollout.actions[i])
                        if rollout.dones[i] != 0 || rollout.truncated[i] != 0 {
                            finished.append(running[e])
                            running[e].removeAll()
                        }
                    }
                }
                guard finished.count == rollout.episodes.count, seeds.count == rollout.episodes.count else {
                    throw EvaluationError.unrecordable("a rollout ended \(rollout.episodes.count) episodes, but \(finished.count) done flags and \(seeds.count) seeds")
                }
            }
            for (k, e) in rollout.episodes.enumerated() where ended[Int(e.env)] < perEnv {
                let episode = EvaluationReport.Episode(env: firstEnv + Int(e.env), index: ended[Int(e.env)], episodeReturn: Double(e.episodeReturn),
                                                       length: Int(e.length), success: e.success,
                                                       endedByError: endedByError.count == rollout.episodes.count && endedByError[k])
                if let recorder { recorder.write(episode, seed: seeds[k], actions: finished[k]) }
                kept.append(episode)
                ended[Int(e.env)] += 1
            }
        }
        return kept
    }
}

/// Why an evaluation could not record its episodes.
public enum EvaluationError: Error, CustomStringConvertible {
    case unrecordable(String)

    public var description: String {
        switch self { case .unrecordable(let why): "cannot record the episodes: \(why)" }
    }
}
