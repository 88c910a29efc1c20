import Metrics
import YendorMetrics
import YendorReplay
import YendorRewards

/// The learner's metrics, as swift-metrics handles in the role's `MetricsRegistry`: what the
/// metrics file, TensorBoard, `Stats` messages and `/metrics` show. Made once, at start, so every
/// counter is in the first record (one that never counted reads 0); a gauge is in the records from
/// its first value on (`MetricsRegistry.snapshot`), though `/metrics` shows it as 0 before.
struct LearnerMetrics: Sendable {
    let registry: MetricsRegistry

    /// Env steps taken in (the budget's unit), restored from a checkpoint at start.
    let envSteps: Counter
    /// Env steps per second between two records (set by the report loop).
    let stepsPerSecond: Gauge
    let episodes: Counter
    /// Over the last 200 episodes received.
    let meanReturn: Gauge
    /// Env steps per episode over the last 200 episodes received: dying early or running into the
    /// step limit, while the return alone cannot tell.
    let meanLength: Gauge
    /// Over the last 200 episodes received; nil (no `rollout/success_rate` at all) for a task that
    /// cannot be won, where it would read 0 forever.
    let successRate: Gauge?
    let updates: Counter
    /// `learner/checkpoint_failures`: periodic checkpoints that could not be written.
    let checkpointFailures: Counter
    let policyVersion: Gauge
    /// The last update's mean policy lag, in versions.
    let policyLag: Gauge
    // APPO's loss terms and diagnostics of the last update (`APPOLearner.UpdateStats`).
    let policyLoss: Gauge
    let valueLoss: Gauge
    let entropy: Gauge
    let gradientNorm: Gauge
    let clipFraction: Gauge
    let importanceRatio: Gauge
    let valueTarget: Gauge
    let learningRate: Gauge
    let meanReward: Gauge
    /// Samples not trained on because they were beyond the lag limit.
    let samplesDroppedForLag: Counter
    /// Frames dropped, all reasons (each reason also has its own counter, see `dropped(_:)`).
    let framesDropped: Counter
    let workers: Gauge
    /// Workers that joined (again after leaving or timing out), said Goodbye, timed out.
    let joins: Counter, leaves: Counter, timeouts: Counter
    let evictions: Counter
    let hellosRefused: Counter
    /// Hellos ignored because their process had already said Goodbye.
    let hellosStale: Counter
    /// Times the weights were published again for workers all of whose trajectories were too stale.
    let weightsResent: Counter
    /// Trajectories that came once the budget was reached, not taken (workers send until they hear
    /// the learner has finished).
    let afterBudget: Counter
    /// Labels (and preferences) handed to the reward model.
    let labelsReceived: Counter
    /// Label queries not sent because the bridge's queue was full.
    let queriesUnsent: Counter
    /// Label queries waiting in the bridge.
    let queryQueueDepth: Gauge
    /// The replay buffer's sizes and running totals (`replay/…`).
    let replay: ReplayMetrics

    init(registry: MetricsRegistry, recordsSuccess: Bool = true) {
        self.registry = registry
        func counter(_ label: String) -> Counter { Counter(label: label, factory: registry) }
        func gauge(_ label: String) -> Gauge { Gauge(label: label, factory: registry) }
        envSteps = counter("env_steps")
        stepsPerSecond = gauge("rollout/sps")
        episodes = counter("rollout/episodes")
        meanReturn = gauge("rollout/mean_return")
        meanLength = gauge("rollout/mean_length")
        successRate = recordsSuccess ? gauge("rollout/success_rate") : nil
        updates = counter("learner/updates")
        checkpointFailures = counter("learner/checkpoint_failures")
        policyVersion = gauge("learner/policy_version")
        policyLag = gauge("learner/policy_lag")
        policyLoss = gauge("learner/loss/policy")
        valueLoss = gauge("learner/loss/value")
        entropy = gauge("learner/entropy")
        gradientNorm = gauge("learner/grad_norm")
        clipFraction = gauge("learner/clip_fraction")
        importanceRatio = gauge("learner/importance_ratio")
        valueTarget = gauge("learner/value_target")
        learningRate = gauge("learner/learning_rate")
        meanReward = gauge("learner/mean_reward")
        samplesDroppedForLag = counter("learner/samples_dropped_lag")
        framesDropped = counter("transport/frames_dropped")
        workers = gauge("membership/workers")
        joins = counter("membership/joins")
        leaves = counter("membership/leaves")
        timeouts = counter("membership/timeouts")
        evictions = counter("membership/evictions")
        hellosRefused = counter("membership/hellos_refused")
        hellosStale = counter("membership/hellos_stale")
        weightsResent = counter("learner/weights_resent")
        afterBudget = counter("learner/trajectories_after_budget")
        labelsReceived = counter("rewards/labels_received")
        queriesUnsent = counter("rewards/queries_unsent")
        queryQueueDepth = gauge("rewards/query_queue_depth")
        replay = ReplayMetrics(registry: registry)
        // Levels that are 0 at start have a value from the start (a never-set gauge reads as absent).
        workers.record(0)
        queryQueueDepth.record(0)
    }

    /// A frame dropped for `reason` (`decode_<error kind>`, `not_admitted`, a
    /// `TrajectoryValidator.Reason`, `unexpected_<kind>`, `replay`, `assemble`, `peer_id`):
    /// counted in `transport/frames_dropped` and `transport/frames_dropped/<reason>`.
    func dropped(_ reason: String) {
        framesDropped.increment()
        Counter(label: "transport/frames_dropped/\(reason)", factory: registry).increment()
    }

    /// The reward source's readings, as gauges named by `RewardMetric`. A gauge is made on its
    /// first reading (the registry keeps one per name), so readings a model never defines stay out.
    func record(_ readings: [RewardMetric: Double]) {
        for (metric, value) in readings { Gauge(label: metric.rawValue, factory: registry).record(value) }
    }

    /// A remote annotator's liveness as the bridge last saw it: `annotator/reachable` (1 or 0) and
    /// `annotator/last_heard_s`. Made on the first reading: only learners with a remote annotator have them.
    func record(_ liveness: LabelBridge.AnnotatorLiveness) {
        Gauge(label: "annotator/reachable", factory: registry).record(liveness.reachable ? 1 : 0)
        Gauge(label: "annotator/last_heard_s", factory: registry).record(liveness.silentSeconds)
    }

    /// Each member as the learner sees it, one series per worker (dimension `worker`):
    /// `membership/worker_envs`, `…_trajectories`, `…_samples_dropped_lag`, `…_policy_version`, `…_last_heard_s` and, for one
    /// that steps env servers, `…_env_server_failures`. A worker no longer a member loses its
    /// series. Only `/metrics` shows these; `Stats` carry the same figures as `worker/<id>/<name>`.
    func record(members: [Membership.Member], now: Double) {
        let present = Set(members.map(\.id))
        for name in Self.memberFigureNames {
            let label = "membership/worker_\(name)"
            for dimensions in registry.series(label) where !present.contains(dimensions.first { $0.0 == "worker" }?.1 ?? "") {
                Gauge(label: label, dimensions: dimensions, factory: registry).destroy()
            }
        }
        for m in members {
            for (name, value) in Self.figures(of: m, now: now) {
                Gauge(label: "membership/worker_\(name)", dimensions: [("worker", m.id)], factory: registry).record(value)
            }
        }
    }

    /// A member's figures by name (`memberFigureNames`).
    static func figures(of m: Membership.Member, now: Double) -> [(name: String, value: Double)] {
        var figures = [("envs", Double(m.capabilities["envs"] ?? "") ?? 0),
                       ("last_heard_s", max(0, now - m.lastSeen)),
                       ("trajectories", Double(m.batches)),
                       ("samples_dropped_lag", Double(m.staleSamples)),
                       ("trajectories_ahead", Double(m.aheadTrajectories)),
                       ("policy_version", Double(m.policyVersion))]
        if let failures = m.capabilities["env_server_failures"].flatMap(Double.init) {
            figures.append(("env_server_failures", failures))
        }
        return figures
    }

    static let memberFigureNames = ["envs", "last_heard_s", "trajectories", "samples_dropped_lag", "trajectories_ahead", "policy_version",
                                    "env_server_failures"]

    /// The replay buffer's counts (`ReplayStatistics`, the buffer's own state, which the rate limiter
    /// reads and checkpoints keep): sizes as gauges, the running totals as counters advanced by
    /// what changed since the last reading.
    func record(_ replay: ReplayStatistics) {
        self.replay.record(replay)
    }
}
