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
    // run
    /// Run directory: resolved config, checkpoints, logs, metrics.jsonl.
    public var runDirectory = "runs/default"
    /// Run seed; per-worker, per-actor and per-env seeds derive from it.
    public var seed: UInt64 = 1
    /// Env steps to train for (the budget).
    public var totalSteps: UInt64 = 2_000_000
    /// Seconds between metrics records and progress updates.
    public var logInterval = 5.0
    /// Seconds between checkpoints (one is also written on shutdown).
    public var checkpointInterval = 60.0
    /// Port of this process's Prometheus endpoint (`GET /metrics`: the learner's, or a worker's); 0 = off.
    public var prometheusPort = 0
    /// How `yendor train` connects the learner and the worker in its one process: `zeromq`
    /// (`inproc://` sockets with the full wire path, as between processes; the default, because it
    /// measured as fast or faster here, docs/benchmarks.md) or `memory` (values through bounded
    /// queues: no encoding, checksum or socket thread).
    public var inProcessLink = InProcessLink.zeromq

    // env
    /// Environment family: `dungeon` (Yendor's own game, the default) or `nle` (real NetHack).
    public var envKind = EnvironmentKind.dungeon
    /// Task in that family (`yendor play --help` lists Dungeon's; docs/environments.md NLE's).
    public var task = "score"
    /// NLE's `nle` package directory (empty: search `.venv`, see docs/environments.md).
    public var nleDirectory = ""
    /// Environment servers (`env.kind=server`), comma-separated endpoints, e.g.
    /// `tcp://10.0.0.5:5600,tcp://10.0.0.5:5601`; the worker's actors share them out.
    public var envServers = ""
    /// Slices each env server's envs are cut into, each stepped by its own connection: with 2, the
    /// server steps one slice while the worker computes the other's actions (its Python process
    /// never waits for the worker). 1 steps the whole server at once (needed for a 1-env server).
    public var envServerSplits = 2
    /// The servers' observation spec fingerprint; empty: asked from the first server at start.
    public var envServerSpec = ""
    /// Seconds without a reply after which an env server counts as gone.
    public var envServerTimeout = 10.0
    /// Environments per rollout actor.
    public var envsPerActor = 32
    /// Rollout actors per worker process (2 lets env stepping and inference alternate on 2 cores).
    public var actors = 2
    /// Steps per trajectory (T).
    public var rolloutLength = 32
    /// Egocentric crop size (odd).
    public var cropSize = 9
    /// Map rows (NetHack's 21; smaller maps make tasks easier and faster).
    public var mapRows = 21
    /// Map columns (NetHack's 79).
    public var mapColumns = 79
    /// Also ship the full 21×79 glyph map in trajectories (the policy does not use it).
    public var sendFullMap = false

    // learner
    /// APPO hyperparameters and network sizes (see docs/learner.md).
    public var learner = APPOLearner.Configuration()
    /// Samples (T·B summed over trajectories) per learner update. Equal to the minibatch size
    /// by default: one epoch, one minibatch, so the batch goes through the network once
    /// (`APPOLearner` reuses its evaluation pass for the update).
    public var batchSize = 1024
    /// Updates between weight publications.
    public var publishInterval = 1
    /// Trajectories the replay buffer holds before inserts wait (backpressure) or evict.
    public var replayCapacity = 2
    /// When full: `block` (wait; nothing is lost) or `drop-oldest` (evict and count).
    public var replayFullPolicy = ReplayBuffer.FullPolicy.block
    /// `fifo` (APPO: each trajectory used once), `uniform`, or `prioritized`.
    public var replaySampler = ReplayBuffer.Sampler.Kind.fifo
    /// Times an item may be sampled before removal (fifo: 1).
    public var replayMaxTimesSampled = 1
    /// Samples per insert the rate limiter aims for (0 = no limit), as in Reverb.
    public var replaySamplesPerInsert = 0.0
    /// Prioritised replay exponents α and β.
    public var replayAlpha = 0.6, replayBeta = 0.4
    /// Save the buffer's contents with every checkpoint and restore them on resume.
    public var replayCheckpoint = true

    // intrinsic rewards (ONI)
    /// Reward model (`none`, `retrieval`, `classification`, `ranking`) and its options; see docs/rewards.md.
    public var rewards = RewardModelRegistry.Configuration()
    /// The annotator goal (`score`, `gold`, `combat`, `stairs`, `custom:<text>` or free text); `auto`
    /// takes the goal the task declares (`DungeonTask.annotatorGoal`, `NetHackTask.annotatorGoal`).
    public var rewardGoal = "auto"
    /// Labeler of the in-process annotator (`reward.labeler`, `reward.llm_*`, `reward.simulated_*`):
    /// `lexicon` (rule-based stand-in for an LLM), `simulated` (LLM-like latency, failures and noise
    /// around the lexicon, or around `reward.llm_url` when set) or `openai` (`reward.llm_url`). The
    /// same type `yendor annotator`'s flags fill; the seed is `run.seed`.
    public var labeler: LabelerChoice = {
        var c = LabelerChoice()
        c.simulatedFailureRate = 0.05
        c.simulatedNoise = 0.1
        return c
    }()
    /// Host of a remote `yendor annotator` (its configured ports); empty = annotator in this process.
    public var rewardAnnotator = ""
    /// Label queries the learner may send per update (bounds annotator traffic).
    public var queriesPerUpdate = 256
    /// Reward-model optimiser steps per learner update (classification and ranking).
    public var rewardTrainSteps = 4

    // transport
    public var transport = TransportConfiguration()

    public init() {
        learner.minibatchSize = 1024
        rewards.model = .retrieval
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
    public var envLayout: ObservationSpec {
        switch envKind {
        case .dungeon: return .dungeon(rows: mapRows, columns: mapColumns, cropSize: cropSize)
        case .nle: return .nle(cropSize: cropSize, actions: (try? NetHackTask.named(task))?.actions ?? .task)
        case .server:
            return ObservationSpec(fingerprint: envServerSpec)
                ?? ObservationSpec(environment: "unknown", mapRows: 1, mapColumns: 1, cropSize: 1, glyphCount: 1,
                                   blstatsCount: 0, captionBytes: 0, actionCount: 2)
        }
    }

    /// The spec the policy reads: the environment's.
    public var policyLayout: ObservationSpec { envLayout }

    /// What rollout actors host.
    public var environment: EnvironmentConfiguration {
        var e = EnvironmentConfiguration(kind: envKind, task: task, spec: envLayout, writeFullMap: sendFullMap,
                                         nleDirectory: nleDirectory.isEmpty ? nil : nleDirectory)
        e.servers = serverEndpoints.map { EnvServerSlice(endpoint: $0) }
        e.serverTimeout = envServerTimeout
        return e
    }

    /// `env.servers` as a list.
    public var serverEndpoints: [String] {
        envServers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The env-server slices actor `a` of `actors` steps (`EnvServerSlice.shares`).
    public func servers(forActor a: Int) -> [EnvServerSlice] {
        EnvServerSlice.shares(of: serverEndpoints, splits: envServerSplits, actors: actors)[a]
    }

    /// Learner configuration with the layout, action count and seed filled in.
    public var resolvedLearner: APPOLearner.Configuration {
        var c = learner
        c.policy.observation = policyLayout
        c.seed = seed
        c.policy.seed = seed
        return c
    }

    /// Describes the network and observation layout; peers with a different one are refused.
    public var modelSignature: String {
        let p = resolvedLearner.policy
        return "policy-v1 \(envLayout.fingerprint) emb=\(p.glyphEmbeddingDimension) conv=\(p.convolutionChannels) "
            + "k=\(p.convolutionKernel) core=\(p.coreWidth)x\(p.coreLayers) ln=\(p.coreLayerNorm) "
            + (p.core == .mlp ? "" : "recurrent=\(p.core.rawValue) ")
            + "buckets=\(p.captionBuckets) caption=\(p.captionFeatures) blstats=\(p.blstatsFeatures) glyphf=\(p.glyphFeatures)"
    }

    /// The replay buffer's configuration from the `replay.*` fields.
    public var replayConfiguration: ReplayBuffer.Configuration {
        let sampler = ReplayBuffer.Sampler(replaySampler, alpha: replayAlpha, beta: replayBeta)
        let limiter = replaySamplesPerInsert > 0
            ? RateLimiter(samplesPerInsert: replaySamplesPerInsert, errorBuffer: max(1, replaySamplesPerInsert) * 2, minSizeToSample: 1)
            : .unlimited
        return ReplayBuffer.Configuration(capacity: replayCapacity, fullPolicy: replayFullPolicy,
                                          sampler: sampler, maxTimesSampled: replayMaxTimesSampled, rateLimiter: limiter, seed: seed)
    }

    /// Checks every field up front, naming the first bad one.
    public func validate() throws {
        func check(_ ok: Bool, _ key: String, _ problem: String) throws {
            if !ok { throw ConfigurationError(field: key, problem: problem) }
        }
        do {
            switch envKind {
            case .dungeon: _ = try TaskRegistry.task(named: task)
            case .nle: _ = try NetHackTask.named(task)
            case .server: break
            }
        } catch {
            throw ConfigurationError(field: "env.task", problem: "\(error)")
        }
        try check(envsPerActor >= 1, "env.envs", "must be at least 1")
        if envKind == .server {
            try check(!serverEndpoints.isEmpty, "env.servers", "lists no env server (env.kind=server)")
            try check(envServerSplits >= 1, "env.server_splits", "must be at least 1")
            let slices = serverEndpoints.count * envServerSplits
            try check(slices >= actors, "env.servers", "has \(serverEndpoints.count) server(s) × \(envServerSplits) split(s) = \(slices) slice(s) for \(actors) actors: each actor needs one (raise env.server_splits or lower env.actors)")
            try check(ObservationSpec(fingerprint: envServerSpec) != nil, "env.server_spec", "is not a spec fingerprint: '\(envServerSpec)'")
            try check(envServerTimeout > 0, "env.server_timeout", "must be positive")
        }
        try check(actors >= 1, "env.actors", "must be at least 1")
        try check(rolloutLength >= 1, "env.rollout_length", "must be at least 1")
        try check(cropSize >= 1 && cropSize % 2 == 1 && cropSize <= 21, "env.crop_size", "must be odd, 1...21")
        try check(totalSteps >= 1, "run.total_steps", "must be at least 1")
        try check(logInterval > 0, "run.log_interval", "must be positive")
        try check(checkpointInterval > 0, "run.checkpoint_interval", "must be positive")
        try check(prometheusPort >= 0 && prometheusPort <= 65535, "run.prometheus_port", "must be in 0...65535")
        try check(batchSize >= rolloutLength, "learner.batch_size", "must be at least env.rollout_length (\(rolloutLength))")
        try check(publishInterval >= 1, "learner.publish_interval", "must be at least 1")
        try check(replayCapacity >= 1, "replay.capacity", "must be at least 1")
        do { try replayConfiguration.validate() } catch {
            throw ConfigurationError(field: "replay", problem: "\(error)")
        }
        do { try resolvedLearner.validate() } catch {
            throw ConfigurationError(field: "learner", problem: "\(error)")
        }
        do { if envKind == .dungeon { try envLayout.validateForDungeon() } } catch {
            throw ConfigurationError(field: "env.map_rows/env.map_columns", problem: "\(error)")
        }
        do { try rewards.validate() } catch {
            throw ConfigurationError(field: "reward", problem: "\(error)")
        }
        do { try labeler.validate() } catch {
            guard case .invalidConfiguration(let field, let reason) = error else { throw ConfigurationError(field: "reward.labeler", problem: "\(error)") }
            throw ConfigurationError(field: "reward.\(field)", problem: reason)
        }
        do { if rewardGoal != "auto" { _ = try Goal(wireText: rewardGoal) } } catch {
            throw ConfigurationError(field: "reward.goal", problem: "\(error) (auto, score, gold, combat, stairs, custom:<text> or free text)")
        }
        try check(queriesPerUpdate >= 0, "reward.queries_per_update", "must be at least 0")
        try transport.validate()
    }

    /// Seconds of silence after which a remote annotator counts as unreachable (logged and shown by
    /// `yendor status learner`): the heartbeat timeout (`transport.heartbeat_interval` ×
    /// `transport.heartbeat_misses`), and at least 5 s, five of the annotator's 1 s heartbeats.
    public var annotatorTimeout: Double { max(transport.heartbeatInterval * Double(transport.heartbeatMisses), 5) }

    /// The annotator goal for this run: `reward.goal`, or with `auto` the one the task declares
    /// (`score` for environment servers, whose tasks Yendor does not know).
    public var resolvedGoal: Goal {
        guard rewardGoal == "auto" else { return (try? Goal(wireText: rewardGoal)) ?? .score }
        switch envKind {
        case .dungeon: return (try? TaskRegistry.task(named: task))?.annotatorGoal ?? .score
        case .nle: return (try? NetHackTask.named(task))?.annotatorGoal ?? .score
        case .server: return .score
        }
    }

    /// Every configurable field by dotted key.
    public static let table: ConfigurationTable<TrainingConfiguration> = {
        var t = ConfigurationTable<TrainingConfiguration>()
        t.add("run.dir", \.runDirectory, "run directory")
        t.add("run.seed", \.seed, "run seed")
        t.add("run.total_steps", \.totalSteps, "env steps to train for")
        t.add("run.log_interval", \.logInterval, "seconds between metrics records")
        t.add("run.checkpoint_interval", \.checkpointInterval, "seconds between checkpoints")
        t.add("run.prometheus_port", \.prometheusPort, "Prometheus /metrics port of the learner or worker process (0 = off)")
        t.add("env.kind", \.envKind, "dungeon (built in), nle (real NetHack) or server (env servers)")
        t.add("env.task", \.task, "task of the environment (score, staircase, ...)")
        t.add("env.nle_dir", \.nleDirectory, "NLE's nle package directory (empty: find .venv)")
        t.add("env.servers", \.envServers, "env servers for env.kind=server (comma-separated endpoints)")
        t.add("env.server_splits", \.envServerSplits, "slices each env server's envs are cut into, stepped by different actors (1: whole)")
        t.add("env.server_spec", \.envServerSpec, "the env servers' spec fingerprint (empty: ask the first server)")
        t.add("env.server_timeout", \.envServerTimeout, "seconds without a reply before an env server counts as gone")
        t.add("env.envs", \.envsPerActor, "environments per rollout actor")
        t.add("env.actors", \.actors, "rollout actors per worker process")
        t.add("env.rollout_length", \.rolloutLength, "steps per trajectory")
        t.add("env.crop_size", \.cropSize, "egocentric crop size")
        t.add("env.map_rows", \.mapRows, "map rows")
        t.add("env.map_columns", \.mapColumns, "map columns")
        t.add("env.send_full_map", \.sendFullMap, "ship the full glyph map too")
        t.add("learner.batch_size", \.batchSize, "samples per update")
        t.add("learner.publish_interval", \.publishInterval, "updates between weight publications")
        t.add("learner.learning_rate", \.learner.learningRate, "Adam learning rate")
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
        t.add("learner.epochs", \.learner.epochs, "passes over each batch")
        t.add("learner.max_policy_lag", \.learner.maxPolicyLag, "drop samples more versions behind than this")
        t.add("learner.ext_coef", \.learner.extrinsicCoefficient, "extrinsic reward weight")
        t.add("learner.int_coef", \.learner.intrinsicCoefficient, "intrinsic reward weight")
        t.add("learner.normalize_rewards", \.learner.normalizeRewards, "divide rewards by running std")
        t.add("learner.reward_clip", \.learner.rewardClip, "clip scaled rewards (0 = off)")
        t.add("learner.blas_threads", \.learner.blasThreads, "OpenBLAS threads")
        t.add("model.core_width", \.learner.policy.coreWidth, "core MLP width")
        t.add("model.core_layers", \.learner.policy.coreLayers, "core MLP layers")
        t.add("model.core", \.learner.policy.core, "mlp, or gru for a recurrent core after the MLP layers")
        t.add("model.glyph_embedding", \.learner.policy.glyphEmbeddingDimension, "glyph embedding size")
        t.add("model.conv_channels", \.learner.policy.convolutionChannels, "channels of each 3x3 conv over the crop")
        t.add("model.blstats_features", \.learner.policy.blstatsFeatures, "blstats encoder output size")
        t.add("model.glyph_features", \.learner.policy.glyphFeatures, "crop encoder output size")
        t.add("model.caption_buckets", \.learner.policy.captionBuckets, "hashed caption vocabulary")
        t.add("model.caption_features", \.learner.policy.captionFeatures, "caption encoder output size")
        t.add("reward.model", \.rewards.model, "none, retrieval, classification or ranking")
        t.add("reward.count_exponent", \.rewards.countScaling.countExponent, "beta in r / N(caption)^beta")
        t.add("reward.goal", \.rewardGoal, "annotator goal: auto (the task's), score, gold, combat, stairs, custom:<text>")
        t.add("reward.labeler", \.labeler.kind, "lexicon, simulated or openai (in-process annotator; simulated wraps reward.llm_url when set)")
        t.add("reward.annotator", \.rewardAnnotator, "host of a remote yendor annotator (empty: in process)")
        t.add("reward.simulated_latency", \.labeler.simulatedLatencySeconds, "simulated labeler: seconds per call")
        t.add("reward.simulated_failure_rate", \.labeler.simulatedFailureRate, "simulated labeler: failure rate")
        t.add("reward.simulated_noise", \.labeler.simulatedNoise, "simulated labeler: label noise rate")
        t.add("reward.llm_url", \.labeler.llmURL, "OpenAI-compatible API root for reward.labeler=openai, e.g. http://HOST:PORT/v1")
        t.add("reward.llm_model", \.labeler.model, "model name for reward.labeler=openai")
        t.add("reward.llm_api_key_env", \.labeler.apiKeyEnvironmentVariable, "environment variable holding the LLM server's API key")
        t.add("reward.llm_endpoint", \.labeler.endpoint, "chat (one prompt per call) or completions (several)")
        t.add("reward.llm_prompts_per_request", \.labeler.promptsPerRequest, "completions endpoint: prompts per HTTP request")
        t.add("reward.llm_max_concurrent_requests", \.labeler.maxConcurrentRequests, "HTTP requests in flight at once")
        t.add("reward.llm_connect_timeout_s", \.labeler.connectTimeoutSeconds, "seconds to connect and send a request")
        t.add("reward.llm_request_timeout_s", \.labeler.requestTimeoutSeconds, "seconds from a request sent to its whole answer")
        t.add("reward.llm_max_retries", \.labeler.maxRetries, "retries per request on timeouts, 429, 5xx, bad JSON")
        t.add("reward.llm_max_tokens", \.labeler.maxTokens, "max_tokens per answer")
        t.add("reward.llm_prompt_set", \.labeler.prompts, "built-in prompts: yendor or oni")
        t.add("reward.llm_prompts", \.labeler.promptsFile, "prompt file (JSON, docs/annotator.md) replacing the built-in prompts")
        t.add("reward.queries_per_update", \.queriesPerUpdate, "label queries per learner update")
        t.add("reward.train_steps", \.rewardTrainSteps, "reward-model steps per learner update")
        t.add("replay.capacity", \.replayCapacity, "trajectories buffered")
        t.add("replay.full_policy", \.replayFullPolicy, "block or drop-oldest")
        t.add("replay.sampler", \.replaySampler, "fifo, uniform or prioritized")
        t.add("replay.max_times_sampled", \.replayMaxTimesSampled, "samples of one item before removal")
        t.add("replay.samples_per_insert", \.replaySamplesPerInsert, "rate limiter target (0 = off)")
        t.add("replay.alpha", \.replayAlpha, "prioritised replay alpha")
        t.add("replay.beta", \.replayBeta, "prioritised replay beta")
        t.add("replay.checkpoint", \.replayCheckpoint, "checkpoint the buffer contents")
        t.add("transport.trajectories", \.transport.trajectories, "learner PULL endpoint")
        t.add("transport.weights", \.transport.weights, "learner PUB endpoint")
        t.add("transport.replay", \.transport.replay, "standalone replay PULL endpoint")
        t.add("transport.annotator_requests", \.transport.annotatorRequests, "annotator ROUTER endpoint")
        t.add("transport.annotator_labels", \.transport.annotatorLabels, "annotator PUB endpoint")
        t.add("transport.heartbeat_interval", \.transport.heartbeatInterval, "seconds between heartbeats")
        t.add("transport.heartbeat_misses", \.transport.heartbeatMisses, "missed heartbeats before a peer is gone")
        t.add("transport.queue_capacity", \.transport.queueCapacity, "messages queued per socket")
        t.add("transport.max_message_mib", \.transport.maxMessageMiB, "largest accepted message")
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
extension EnvironmentKind: ConfigEnum {}
extension ReplayBuffer.FullPolicy: ConfigEnum {}
extension ReplayBuffer.Sampler.Kind: ConfigEnum {}
extension RewardModelKind: ConfigEnum {}
extension LabelerKind: ConfigEnum {}
extension LabelerChoice.Endpoint: ConfigEnum {}
extension LabelerChoice.Prompts: ConfigEnum {}
