import Dungeon
import Foundation
import NetHack
import RemoteEnvironment
import YendorAnnotator
import YendorEnvironment
import YendorPolicy
import YendorRollout
import YendorLearner
import YendorReplay
import YendorRewards

/// Everything a training run needs. The defaults (task `score`, ONI-retrieval rewards from the built-in
/// lexicon labeler) show an agent learning on a 2-core CPU within minutes.
/// Every field has a dotted key (see `TrainingConfiguration.table`) usable in a YAML file and in
/// `--set key=value`; dedicated flags (`--task`, `--steps`, …) set the most common ones.
public struct TrainingConfiguration: Sendable {
    /// `run.*`: directory, seed, budget, log and checkpoint intervals.
    public var run = Run()
    /// `env.*`: the environments the rollout actors host.
    public var env = Environment()
    /// `learner.*` and `model.*`: APPO hyperparameters and network sizes (see docs/learner.md).
    public var learner = APPOLearner.Configuration()
    /// `learner.batch_size`: samples (T·B summed over trajectories) per learner update. Equal to the
    /// minibatch size by default: one epoch, one minibatch, so the batch goes through the network
    /// once (`APPOLearner` reuses its evaluation pass for the update).
    public var batchSize = 1024
    /// `learner.publish_interval`: updates between weight publications.
    public var publishInterval = 1
    /// `replay.*`: the replay buffer.
    public var replay = Replay()
    /// `reward.*`: intrinsic rewards and the annotator.
    public var reward = Reward()
    /// `transport.*`: endpoints, heartbeats, limits, CURVE.
    public var transport = TransportConfiguration()
    /// `transport.in_process`: how `yendor train` connects the learner and the worker in its one
    /// process: `zeromq` (`inproc://` sockets with the full wire path, as between processes; the
    /// default, because it measured as fast or faster here, docs/benchmarks.md) or `memory` (values
    /// through bounded queues: no encoding, checksum or socket thread).
    public var inProcessLink = InProcessLink.zeromq

    public init() {
        learner.minibatchSize = 1024
        reward.models.model = .retrieval
        // A light network sized for a 9×9 crop (~1.3 MFLOP per forward pass): the learner keeps up
        // with two cores of rollouts. `yendor bench train` prints its FLOPs next to every figure.
        learner.policy.convolutionChannels = [16, 16]
        learner.policy.glyphFeatures = 128
        learner.policy.blstatsFeatures = 32
        learner.policy.captionFeatures = 32
        learner.policy.coreWidth = 128
        learner.policy.coreLayers = 2
    }

    /// The observation spec rollouts produce and the policy reads (one spec for both).
    public var observationSpec: ObservationSpec {
        switch env.kind {
        case .dungeon: return .dungeon(rows: env.mapRows, columns: env.mapColumns, cropSize: env.cropSize)
        case .nle: return .nle(cropSize: env.cropSize, actions: (try? NetHackTask.named(env.task))?.actions ?? .task)
        case .server:
            return ObservationSpec(fingerprint: env.serverSpec)
                ?? ObservationSpec(environment: "unknown", mapRows: 1, mapColumns: 1, cropSize: 1, glyphCount: 1,
                                   blstatsCount: 0, captionBytes: 0, actionCount: 2)
        case .swift:
            // Validation says an unknown name; until then a placeholder keeps this total.
            return (try? EnvironmentRegistry.environment(named: env.task))?.spec
                ?? ObservationSpec(environment: "unknown", mapRows: 1, mapColumns: 1, cropSize: 1, glyphCount: 1,
                                   blstatsCount: 0, captionBytes: 0, actionCount: 2)
        }
    }

    /// What rollout actors host.
    public var environment: EnvironmentConfiguration {
        var e = EnvironmentConfiguration(kind: env.kind, task: env.task, spec: observationSpec, writeFullMap: env.sendFullMap,
                                         nleDirectory: env.nleDirectory.isEmpty ? nil : env.nleDirectory)
        e.servers = env.serverEndpoints.map { EnvServerSlice(endpoint: $0) }
        e.serverTimeout = env.serverTimeout
        e.stepLimit = env.maxEpisodeSteps > 0 ? env.maxEpisodeSteps : nil
        return e
    }

    /// The env-server slices actor `a` of `env.actors` steps (`EnvServerSlice.shares`).
    public func servers(forActor a: Int) -> [EnvServerSlice] {
        EnvServerSlice.shares(of: env.serverEndpoints, splits: env.serverSplits, actors: env.actors)[a]
    }

    /// Learner configuration with the observation spec, action count and seed filled in.
    public var resolvedLearner: APPOLearner.Configuration {
        var c = learner
        c.policy.observation = observationSpec
        c.seed = run.seed
        c.policy.seed = run.seed
        return c
    }

    /// Describes the network and observation spec; peers with a different one are refused.
    public var modelSignature: String {
        let p = resolvedLearner.policy
        return "policy-v1 \(observationSpec.fingerprint) emb=\(p.glyphEmbeddingDimension) conv=\(p.convolutionChannels) "
            + "k=\(p.convolutionKernel) core=\(p.coreWidth)x\(p.coreLayers) ln=\(p.coreLayerNorm) "
            + (p.core == .mlp ? "" : "recurrent=\(p.core.rawValue) ")
            + "buckets=\(p.captionBuckets) caption=\(p.captionFeatures) blstats=\(p.blstatsFeatures) glyphf=\(p.glyphFeatures)"
    }

    /// What differs between two model signatures, part by part ("conv=4 core=64x2" against
    /// "conv=8 core=64x1"): a refusal that printed both whole signatures (~250 characters each) left
    /// the reader to find the difference (trial Z).
    public static func signatureDifference(_ ours: String, _ theirs: String) -> (ours: String, theirs: String) {
        let a = ours.split(separator: " "), b = theirs.split(separator: " ")
        return (a.filter { !b.contains($0) }.joined(separator: " "), b.filter { !a.contains($0) }.joined(separator: " "))
    }

    /// The difference as a refusal says it: "learner crop=9, worker crop=7"; a side that only lacks
    /// the other's parts is said so ("learner without recurrent=gru, worker recurrent=gru"), not as blank.
    public static func mismatchSaid(learner: String, worker: String, workerCalled: String = "worker") -> String {
        let (l, w) = signatureDifference(learner, worker)
        return "learner \(l.isEmpty ? "without \(w)" : l), \(workerCalled) \(w.isEmpty ? "without \(l)" : w)"
    }

    /// The replay buffer's configuration from the `replay.*` fields.
    public var replayConfiguration: ReplayBuffer.Configuration {
        // `validate` refuses `prioritized`: no exponents to configure.
        let sampler = ReplayBuffer.Sampler(replay.sampler, alpha: 0, beta: 0)
        let limiter = replay.samplesPerInsert > 0
            ? RateLimiter(samplesPerInsert: replay.samplesPerInsert, errorBuffer: max(1, replay.samplesPerInsert) * 2, minSizeToSample: 1)
            : .unlimited
        return ReplayBuffer.Configuration(capacity: replay.capacity, fullPolicy: replay.fullPolicy,
                                          sampler: sampler, maxTimesSampled: replay.maxTimesSampled, rateLimiter: limiter, seed: run.seed)
    }

    /// Checks every field up front, naming the first bad one.
    public func validate() throws {
        // The problem is said only when the check fails: some are built from the very values the
        // check refuses (a number too large for Int traps).
        func check(_ ok: Bool, _ key: String, _ problem: @autoclosure () -> String) throws {
            if !ok { throw ConfigurationError(field: key, problem: problem()) }
        }
        do {
            switch env.kind {
            case .dungeon: _ = try TaskRegistry.task(named: env.task)
            case .nle: _ = try NetHackTask.named(env.task)
            case .server: break
            case .swift:
                do { _ = try EnvironmentRegistry.environment(named: env.task) } catch let error as EnvironmentRegistry.RegistryError {
                    throw EnvironmentRegistry.RegistryError(message: "\(error.message) (env.kind swift runs the Swift environment env.task names: --env swift:NAME)")
                }
            }
        } catch {
            throw ConfigurationError(field: "env.task", problem: "\(error)")
        }
        if let problem = TransportConfiguration.hostProblem(reward.annotator, ports: "transport.annotator_requests, transport.annotator_labels") {
            throw ConfigurationError(field: "reward.annotator", problem: problem)
        }
        // One rollout steps every env of an actor before a stop is seen: 10,000 Dungeon envs took
        // 4 GB and ignored SIGTERM for seconds. More envs go with more actors (env.actors).
        try check(env.envsPerActor >= 1, "env.envs", "must be at least 1")
        try check(env.envsPerActor <= Self.maxEnvsPerActor, "env.envs",
                  "must be at most \(Self.maxEnvsPerActor) per rollout actor, got \(env.envsPerActor) (for more envs, raise env.actors)")
        if env.kind == .server {
            try check(!env.serverEndpoints.isEmpty, "env.servers", "lists no env server (env.kind=server)")
            try check(env.serverSplits >= 1, "env.server_splits", "must be at least 1")
            let slices = env.serverEndpoints.count * env.serverSplits
            try check(slices >= env.actors, "env.servers", "has \(env.serverEndpoints.count) server(s) × \(env.serverSplits) split(s) = \(slices) slice(s) for \(env.actors) actors: each actor needs one (raise env.server_splits or lower env.actors)")
            try check(ObservationSpec(fingerprint: env.serverSpec) != nil, "env.server_spec", "is not a spec fingerprint: '\(env.serverSpec)'")
            try check(env.serverTimeout > 0, "env.server_timeout", "must be positive")
        }
        try check(env.actors >= 1 && env.actors <= Self.maxActors, "env.actors",
                  "must be in 1...\(Self.maxActors), got \(env.actors) (each actor steps its envs on one thread at a time: more actors than cores only add memory)")
        try check(env.rolloutLength >= 1, "env.rollout_length", "must be at least 1")
        try check(env.maxEpisodeSteps >= 0, "env.max_episode_steps", "must be 0 (the task's own limit) or more")
        try check(env.maxEpisodeSteps == 0 || env.kind == .dungeon || env.kind == .nle, "env.max_episode_steps",
                  "applies to dungeon and nle; \(env.kind == .server ? "an env server's env ends its episodes itself (a Gymnasium env: --serve-arg=--env-arg=max_episode_steps=N)" : "a Swift env ends its episodes itself")")
        try check(env.cropSize >= 1 && env.cropSize % 2 == 1 && env.cropSize <= 21, "env.crop_size", "must be odd, 1...21")
        try check(run.totalSteps >= 1, "run.total_steps", "must be at least 1")
        try check(run.logInterval > 0, "run.log_interval", "must be positive")
        try check(run.checkpointInterval > 0, "run.checkpoint_interval", "must be positive")
        try check(run.keepCheckpoints >= 1, "run.keep_checkpoints", "must be at least 1")
        try check(run.prometheusPort >= 0 && run.prometheusPort <= 65535, "run.prometheus_port", "must be in 0...65535")
        try check(PrometheusEndpoint.isIPv4(run.prometheusHost), "run.prometheus_host", "must be an IPv4 address such as 0.0.0.0 (every interface) or 127.0.0.1, got '\(run.prometheusHost)'")
        try check(batchSize >= env.rolloutLength, "learner.batch_size", "must be at least env.rollout_length (\(env.rolloutLength))")
        try check(batchSize <= Self.maxBatchSize, "learner.batch_size", "must be at most \(Self.maxBatchSize) samples, got \(batchSize)")
        try check(publishInterval >= 1, "learner.publish_interval", "must be at least 1")
        try check(replay.capacity >= 1, "replay.capacity", "must be at least 1")
        // The buffer can sample by priority, but no role computes priorities (the learner would
        // have to send each trajectory's TD error back): it would silently sample as uniform does.
        try check(replay.sampler != .prioritized, "replay.sampler",
                  "prioritized is not offered in a run: nothing sets priorities (the learner computes none), so it would sample as uniform does; use uniform")
        // Components validate their own configurations, naming their Swift properties: the
        // error names the keys that set them instead.
        func keyed(_ section: String, _ error: Error, also: [String] = []) -> ConfigurationError {
            let (text, key) = Self.table.withKeys("\(error)", sections: [section] + also)
            return ConfigurationError(field: key ?? section, problem: text)
        }
        do { try replayConfiguration.validate() } catch { throw keyed("replay", error) }
        // After the buffer's own checks, which refuse a max_times_sampled below 1 under its key.
        try check(replay.samplesPerInsert.isFinite && replay.samplesPerInsert >= 0, "replay.samples_per_insert",
                  "must be 0 (off) or a positive number, got \(replay.samplesPerInsert)")
        // Each item goes after `max_times_sampled` draws, so no ratio above it can hold: the limiter
        // would refuse inserts while the buffer empties, and the ratio fall to that number anyway.
        try check(replay.samplesPerInsert <= Double(replay.maxTimesSampled), "replay.samples_per_insert",
                  "is \(replay.samplesPerInsert), above replay.max_times_sampled (\(replay.maxTimesSampled)): an item goes after that many samples, so no more samples per insert can be drawn; raise replay.max_times_sampled to at least \(replay.samplesPerInsert < 1e15 ? String(Int(replay.samplesPerInsert.rounded(.up))) : "\(replay.samplesPerInsert)")")
        do { try resolvedLearner.validate() } catch { throw keyed("learner", error, also: ["model"]) }
        do { if env.kind == .dungeon { try observationSpec.validateForDungeon() } } catch {
            throw ConfigurationError(field: "env.map_rows/env.map_columns", problem: "\(error)")
        }
        do { try reward.models.validate() } catch { throw keyed("reward", error) }
        do { try reward.labeler.validate() } catch { throw Self.labelerError(error) }
        try check(reward.queriesPerUpdate >= 0, "reward.queries_per_update", "must be at least 0")
        try check(reward.trainSteps >= 0, "reward.train_steps", "must be at least 0")
        try transport.validate()
    }

    /// For a learner that labels in this process: makes its labeler, so that what only making it
    /// finds (an API key variable not set) is said at the start, under its key.
    public func checkInProcessLabeler() throws {
        guard reward.annotator.isEmpty, reward.models.model != .none else { return }
        do { _ = try reward.labeler.backend() } catch { throw Self.labelerError(error) }
    }

    /// A labeler setting's error under its configuration key (`reward.llm_url`, ...).
    private static func labelerError(_ error: AnnotatorError) -> ConfigurationError {
        guard case .invalidConfiguration(let field, let reason) = error else { return ConfigurationError(field: "reward.labeler", problem: "\(error)") }
        return ConfigurationError(field: "reward.\(field)", problem: reason)
    }

    /// Seconds of silence after which a remote annotator counts as unreachable (logged and shown by
    /// `yendor status learner`): the heartbeat timeout (`transport.heartbeat_interval` ×
    /// `transport.heartbeat_misses`), and at least 5 s, five of the annotator's 1 s heartbeats.
    public var annotatorTimeout: Double { max(transport.peerTimeout, 5) }

    /// The annotator goal for this run: `reward.goal`, or with `auto` the one the task declares
    /// (`score` for environment servers, whose tasks Yendor does not know).
    public var resolvedGoal: Goal {
        if case .goal(let goal) = reward.goal { return goal }
        switch env.kind {
        case .dungeon: return (try? TaskRegistry.task(named: env.task))?.annotatorGoal ?? .score
        case .nle: return (try? NetHackTask.named(env.task))?.annotatorGoal ?? .score
        case .server: return .score
        case .swift: return (try? EnvironmentRegistry.environment(named: env.task))?.goal ?? .score
        }
    }

    /// Whether this run's task can be won, so that a success rate means something: false for
    /// score-like tasks (Dungeon's and NLE's `score`, NLE's gold, eat, scout and challenge); true for
    /// environment servers, whose episodes carry the env's own word on success.
    public var taskDefinesSuccess: Bool {
        switch env.kind {
        case .dungeon: return (try? TaskRegistry.task(named: env.task))?.definesSuccess ?? true
        case .nle: return (try? NetHackTask.named(env.task))?.definesSuccess ?? true
        case .server: return true
        case .swift: return (try? EnvironmentRegistry.environment(named: env.task))?.definesSuccess ?? true
        }
    }

    /// Said at a learner's start when what is left of the budget cannot fill one batch: the run
    /// would end without an update (trial C7: `--steps 20000 --set learner.batch_size=65536` exited
    /// 0, "finished", with 0 updates). A sample is trained on `replay.max_times_sampled` times at most.
    /// Trajectories are taken whole until the budget is reached, so the last goes past it: what is
    /// left counts in this configuration's trajectories (trial G was told "no update" of a 1,000-step
    /// run of 1,024-step trajectories, which made one).
    public func budgetWarning(stepsTaken: UInt64) -> String? {
        let left = run.totalSteps > stepsTaken ? run.totalSteps - stepsTaken : 0
        // Env servers decide their env counts: then only the rollout length is known to divide them.
        let trajectory = UInt64(max(1, env.rolloutLength * (env.kind == .server ? 1 : env.envsPerActor)))
        let taken = (left + trajectory - 1) / trajectory * trajectory
        guard left > 0, Double(batchSize) > Double(taken) * Double(max(replay.maxTimesSampled, 1)) else { return nil }
        return "learner.batch_size (\(batchSize) samples) is more than the \(left) env steps left of run.total_steps (\(run.totalSteps)) can fill: the run will end before its first update"
    }

    /// A word for a goal that names no built-in one (`stiars`) is taken as free text, which is
    /// likely a typo: said at the learner's start. A sentence is taken as meant.
    public var goalWarning: String? {
        guard case .goal(.custom(let text)) = reward.goal, !text.contains(" ") else { return nil }
        return "reward.goal '\(text)' names no built-in goal (\(Goal.builtIn.map(\.description).joined(separator: ", "))): the annotator takes it as free text; write custom:<text> if that is meant"
    }

    /// LLM settings given to an in-process lexicon labeler, which asks no server: said at the
    /// learner's start (trial N set reward.llm_url and trained on the lexicon's labels unawares).
    public var labelerWarning: String? {
        let unused = reward.labeler.unusedLLMFields
        guard reward.annotator.isEmpty, reward.models.model != .none, !unused.isEmpty else { return nil }
        return "\(unused.map { "reward.\($0)" }.joined(separator: ", ")) set, but reward.labeler is lexicon: no LLM server is asked (set reward.labeler=openai to label with it)"
    }

    /// The most envs one rollout actor steps (`env.envs`).
    public static let maxEnvsPerActor = 4096
    /// The most rollout actors per process (`env.actors`): 65,536 took 14 GB before their first step.
    public static let maxActors = 1024
    /// The most samples per update (`learner.batch_size`), 2^20.
    public static let maxBatchSize = 1 << 20

    /// Every configurable field by dotted key.
    public static let table: ConfigurationTable<TrainingConfiguration> = {
        var t = ConfigurationTable<TrainingConfiguration>()
        t.add("run.dir", \.run.directory, "run directory (when none is named: train makes runs/<task>-<start time>, learner and replay use runs/learner and runs/replay, evaluate takes the newest run under runs/)")
        t.add("run.seed", \.run.seed, "run seed")
        t.add("run.total_steps", \.run.totalSteps, "env steps to train for")
        t.add("run.log_interval", \.run.logInterval, "seconds between metrics records")
        t.add("run.checkpoint_interval", \.run.checkpointInterval, "seconds between checkpoints")
        t.add("run.keep_checkpoints", \.run.keepCheckpoints, "newest checkpoints kept")
        t.add("run.milestone_steps", \.run.milestoneSteps, "env steps between milestone checkpoints, never removed (0 = none)")
        t.add("run.prometheus_port", \.run.prometheusPort, "Prometheus /metrics port of the learner or worker process (0 = off)")
        t.add("run.prometheus_host", \.run.prometheusHost, "IPv4 address /metrics listens on (0.0.0.0: every interface; 127.0.0.1: this host only)")
        t.add("env.kind", \.env.kind, "dungeon (built in), nle (real NetHack), server (env servers) or swift (registered by the program running Yendor)")
        t.add("env.task", \.env.task, "task of the environment (score, staircase, ...)")
        t.add("env.nle_dir", \.env.nleDirectory, "NLE's nle package directory (empty: find .venv)")
        t.add("env.servers", \.env.servers, "env servers for env.kind=server (comma-separated endpoints)")
        t.add("env.server_splits", \.env.serverSplits, "slices each env server's envs are cut into, stepped by different actors (1: whole)")
        t.add("env.server_spec", \.env.serverSpec, "the env servers' spec fingerprint (empty: ask the first server)")
        t.add("env.server_arguments", \.env.serverArguments, "what train --env gym:ID gave the env servers it started (--serve-arg), which a resume and evaluate give theirs")
        t.add("env.server_timeout", \.env.serverTimeout, "seconds without a reply before an env server counts as gone")
        t.add("env.envs", \.env.envsPerActor, "environments per rollout actor, at most 4096 (dungeon, nle; env servers host the number they were started with)")
        t.add("env.actors", \.env.actors, "rollout actors per worker process, at most 1024")
        t.add("env.rollout_length", \.env.rolloutLength, "steps per trajectory")
        t.add("env.max_episode_steps", \.env.maxEpisodeSteps, "steps after which an episode is cut, truncated (0: the task's own limit; dungeon, nle)")
        t.add("env.crop_size", \.env.cropSize, "egocentric crop size (dungeon, nle; env servers send their own)")
        t.add("env.map_rows", \.env.mapRows, "map rows (dungeon)")
        t.add("env.map_columns", \.env.mapColumns, "map columns (dungeon)")
        t.add("env.send_full_map", \.env.sendFullMap, "ship the full glyph map too")
        t.add("learner.batch_size", \.batchSize, "samples per update, at most 1048576")
        t.add("learner.publish_interval", \.publishInterval, "updates between weight publications")
        t.add("learner.learning_rate", \.learner.learningRate, "Adam learning rate")
        t.add("learner.learning_rate_schedule", \.learner.learningRateSchedule, "constant, or linear: from learning_rate at the start to learning_rate x learning_rate_final_fraction at run.total_steps")
        t.add("learner.learning_rate_final_fraction", \.learner.finalLearningRateFraction, "linear schedule: the rate at the budget as a fraction of learning_rate (0...1)")
        t.add("learner.gamma", \.learner.gamma, "discount")
        t.add("learner.rho_bar", \.learner.rhoBar, "V-trace rho-bar")
        t.add("learner.c_bar", \.learner.cBar, "V-trace c-bar")
        t.add("learner.ppo_clip", \.learner.ppoClip, "PPO clip epsilon")
        t.add("learner.value_clip", \.learner.valueClip, "value loss clip (0 = off)")
        t.add("learner.value_loss_coef", \.learner.valueLossCoefficient, "value loss weight")
        t.add("learner.entropy_coef", \.learner.entropyCoefficient, "entropy bonus weight")
        t.add("learner.normalize_advantages", \.learner.normalizeAdvantages, "normalise advantages per minibatch")
        t.add("learner.max_grad_norm", \.learner.maxGradientNorm, "gradient norm clip (0 = off)")
        t.add("learner.minibatch_size", \.learner.minibatchSize, "samples per minibatch")
        t.add("learner.epochs", \.learner.epochs, "passes over each batch, 1...10000")
        t.add("learner.max_policy_lag", \.learner.maxPolicyLag, "drop samples more versions behind than this")
        t.add("learner.ext_coef", \.learner.extrinsicCoefficient, "extrinsic reward weight")
        t.add("learner.int_coef", \.learner.intrinsicCoefficient, "intrinsic reward weight")
        t.add("learner.normalize_rewards", \.learner.normalizeRewards, "divide rewards by running std")
        t.add("learner.reward_clip", \.learner.rewardClip, "clip scaled rewards (0 = off)")
        t.add("learner.blas_threads", \.learner.blasThreads, "OpenBLAS threads, 1...256")
        t.add("model.core_width", \.learner.policy.coreWidth, "core MLP width (every width at most 65536, the network at most 2^28 parameters)")
        t.add("model.core_layers", \.learner.policy.coreLayers, "core MLP layers")
        t.add("model.core", \.learner.policy.core, "mlp, or gru for a recurrent core after the MLP layers")
        t.add("model.glyph_embedding", \.learner.policy.glyphEmbeddingDimension, "glyph embedding size")
        t.add("model.conv_channels", \.learner.policy.convolutionChannels, "channels of each 3x3 conv over the crop")
        t.add("model.blstats_features", \.learner.policy.blstatsFeatures, "blstats encoder output size")
        t.add("model.glyph_features", \.learner.policy.glyphFeatures, "crop encoder output size")
        t.add("model.caption_buckets", \.learner.policy.captionBuckets, "hashed caption vocabulary")
        t.add("model.caption_features", \.learner.policy.captionFeatures, "caption encoder output size")
        t.add("reward.model", \.reward.models.model, "none, retrieval, classification or ranking")
        t.add("reward.count_exponent", \.reward.models.countScaling.countExponent, "beta in r / N(caption)^beta")
        t.add("reward.goal", \.reward.goal, "annotator goal: auto (the task's), score, gold, combat, stairs, oracle, custom:<text> (other text is taken as custom:<text>)")
        t.add("reward.labeler", \.reward.labeler.kind, "lexicon, simulated or openai (in-process annotator; simulated wraps reward.llm_url when set)")
        t.add("reward.annotator", \.reward.annotator, "host of a remote yendor annotator (empty: in process)")
        t.add("reward.simulated_latency", \.reward.labeler.simulatedLatencySeconds, "simulated labeler: seconds per call")
        t.add("reward.simulated_failure_rate", \.reward.labeler.simulatedFailureRate, "simulated labeler: failure rate")
        t.add("reward.simulated_noise", \.reward.labeler.simulatedNoise, "simulated labeler: label noise rate")
        t.add("reward.llm_url", \.reward.labeler.llmURL, "OpenAI-compatible API root for reward.labeler=openai, e.g. http://HOST:PORT/v1")
        t.add("reward.llm_model", \.reward.labeler.model, "model name for reward.labeler=openai")
        t.add("reward.llm_api_key_env", \.reward.labeler.apiKeyEnvironmentVariable, "environment variable holding the LLM server's API key")
        t.add("reward.llm_endpoint", \.reward.labeler.endpoint, "chat (one prompt per call) or completions (several)")
        t.add("reward.llm_prompts_per_request", \.reward.labeler.promptsPerRequest, "completions endpoint: prompts per HTTP request")
        t.add("reward.llm_max_concurrent_requests", \.reward.labeler.maxConcurrentRequests, "HTTP requests in flight at once")
        t.add("reward.llm_connect_timeout_s", \.reward.labeler.connectTimeoutSeconds, "seconds to connect and send a request")
        t.add("reward.llm_request_timeout_s", \.reward.labeler.requestTimeoutSeconds, "seconds from a request sent to its whole answer")
        t.add("reward.llm_max_retries", \.reward.labeler.maxRetries, "retries per request on timeouts, 429, 5xx, bad JSON")
        t.add("reward.llm_max_tokens", \.reward.labeler.maxTokens, "max_tokens per answer")
        t.add("reward.llm_prompt_set", \.reward.labeler.prompts, "built-in prompts: yendor or oni")
        t.add("reward.llm_prompts", \.reward.labeler.promptsFile, "prompt file (JSON, docs/annotator.md) replacing the built-in prompts")
        t.add("reward.queries_per_update", \.reward.queriesPerUpdate, "label queries per learner update")
        t.add("reward.query_retry_s", \.reward.models.queryRetrySeconds, "seconds a label query may go unanswered before it is asked again",
              property: "reward.models.queryRetrySeconds")
        t.add("reward.train_steps", \.reward.trainSteps, "reward-model steps per learner update")
        // What a long run's reward model holds grows with the captions it has seen, up to these.
        t.add("reward.retrieval_max_labels", \.reward.models.retrieval.maxLabels, "retrieval: labels kept (the oldest forgotten beyond; memory and rewards.ckpt grow with them)")
        t.add("reward.classification_max_labels", \.reward.models.classification.maxLabels, "classification: training labels kept (the most recent)")
        t.add("reward.ranking_max_preferences", \.reward.models.ranking.maxPreferences, "ranking: training preferences kept (the most recent)")
        t.add("replay.capacity", \.replay.capacity, "trajectories buffered")
        t.add("replay.full_policy", \.replay.fullPolicy, "block or drop-oldest")
        t.add("replay.sampler", \.replay.sampler, "fifo or uniform (prioritized is refused: nothing in a run sets priorities)")
        t.add("replay.max_times_sampled", \.replay.maxTimesSampled, "samples of one item before removal")
        t.add("replay.samples_per_insert", \.replay.samplesPerInsert, "rate limiter target (0 = off)")
        t.add("replay.checkpoint", \.replay.checkpoint, "checkpoint the buffer contents")
        t.add("transport.trajectories", \.transport.trajectories, "learner PULL endpoint")
        t.add("transport.weights", \.transport.weights, "learner PUB endpoint")
        t.add("transport.replay", \.transport.replay, "standalone replay PULL endpoint")
        t.add("transport.annotator_requests", \.transport.annotatorRequests, "annotator ROUTER endpoint")
        t.add("transport.annotator_labels", \.transport.annotatorLabels, "annotator PUB endpoint")
        t.add("transport.heartbeat_interval", \.transport.heartbeatInterval, "seconds between heartbeats")
        t.add("transport.heartbeat_misses", \.transport.heartbeatMisses, "missed heartbeats before a peer is gone")
        t.add("transport.queue_capacity", \.transport.queueCapacity, "trajectory messages queued per socket, 1...1024")
        t.add("transport.leave_timeout_s", \.transport.leaveTimeout, "seconds a stopping worker waits for the learner to take its last trajectories")
        t.add("transport.keepalive_s", \.transport.keepaliveSeconds, "seconds a TCP trajectory connection may be silent before the receiver probes the peer; a vanished node's connection closes about 1.75x this later (0 = off)")
        t.add("transport.socket_buffer_kib", \.transport.socketBufferKiB, "kernel buffer of each TCP trajectory connection, KiB (0 = system's autotuning)")
        t.add("transport.weights_precision", \.transport.weightsPrecision, "f32 or f16: precision of the weights published to workers (f16 sends half the bytes)")
        t.add("transport.max_message_mib", \.transport.maxMessageMiB, "largest accepted message, MiB, 1...4096")
        t.add("transport.reconnect_ms", \.transport.reconnectMilliseconds, "first wait before a lost connection is tried again, ms; doubles each try")
        t.add("transport.reconnect_max_ms", \.transport.reconnectMaxMilliseconds, "longest wait between tries to reconnect, ms")
        t.add("transport.connect_timeout_ms", \.transport.connectTimeoutMilliseconds, "longest wait for a TCP connection to open before it is tried again, ms (a healed network cut is noticed within this plus the reconnect wait)")
        t.add("transport.curve_secret_key_file", \.transport.curveSecretKeyFile, "CURVE secret key file")
        t.add("transport.curve_server_key", \.transport.curveServerKey, "CURVE server public key")
        t.add("transport.curve_annotator_key", \.transport.curveAnnotatorKey, "CURVE annotator public key")
        t.add("transport.curve_allowed_clients", \.transport.curveAllowedClients, "directory of allowed client keys")
        t.add("transport.curve_allow_any", \.transport.curveAllowAny, "CURVE without an allow-list: admit any client with the server key")
        t.add("transport.evict_after_bad_batches", \.transport.evictAfterBadBatches, "rejected trajectories in a row that evict a worker (0 = never)")
        t.add("transport.in_process", \.inProcessLink, "yendor train: learner and worker linked by zeromq (inproc:// sockets, full wire path) or memory (bounded queues)")
        return t
    }()
}

/// How the roles of one process are connected (`transport.in_process`).
public enum InProcessLink: String, Sendable, CaseIterable {
    /// `InMemoryNetwork`: bounded queues of values.
    case memory
    /// ZeroMQ `inproc://` sockets: the same encode, checksum, decode and socket threads as across processes.
    case zeromq
}

extension InProcessLink: ConfigEnum {}
extension PolicyCore: ConfigEnum {}
extension LearningRateSchedule: ConfigEnum {}
extension EnvironmentKind: ConfigEnum {}
extension ReplayBuffer.FullPolicy: ConfigEnum {}
extension ReplayBuffer.Sampler.Kind: ConfigEnum {}
extension RewardModelKind: ConfigEnum {}
extension LabelerKind: ConfigEnum {}
extension LabelerChoice.Endpoint: ConfigEnum {}
extension LabelerChoice.Prompts: ConfigEnum {}
