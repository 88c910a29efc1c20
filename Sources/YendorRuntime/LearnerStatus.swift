import Foundation
import YendorWire

/// The learner's bookkeeping shared by its receive, train and heartbeat loops: membership, counters,
/// recent episodes. Metric names are namespaced (`rollout/…`, `learner/…`, `transport/…`).
actor LearnerStatus {
    var membership: Membership
    /// Env steps the learner took in, the budget's unit: T·B of every batch trained on, including
    /// samples dropped there as too stale, and of every trajectory dropped whole as too stale.
    var envSteps: UInt64 = 0
    var episodes = 0
    var updates = 0
    var policyVersion: Int64 = 0
    var batchesReceived = 0
    /// Frames dropped, by reason: `decode_<error kind>`, `not_admitted`, a `TrajectoryValidator.Reason`,
    /// `unexpected_<kind>`, `replay` (exported as `transport/frames_dropped/<reason>`).
    var dropped: [String: Int] = [:]
    /// Rejected trajectories in a row per worker, and evictions.
    private var strikes: BadBatchStrikes
    private var dropLog = DropLogThrottle()
    var samplesDroppedForLag = 0
    private var recentReturns: [Float] = []
    private var recentSuccesses: [Bool] = []
    private var lagSum = 0.0, lagCount = 0
    var lastStats = UpdateSummary()
    /// The reward model's metrics and label traffic (`rewards/…`, `annotator/…`).
    var rewardMetrics: [String: Double] = [:]
    private var labelsReceived = 0, queriesUnsent = 0

    func rewards(metrics: [String: Double], received: Int, unsent: Int, queueDepth: Int) {
        labelsReceived += received
        queriesUnsent += unsent
        rewardMetrics = metrics
        rewardMetrics["rewards/labels_received"] = Double(labelsReceived)
        rewardMetrics["annotator/queries_unsent"] = Double(queriesUnsent)
        rewardMetrics["annotator/queue_depth"] = Double(queueDepth)
    }

    struct UpdateSummary: Sendable {
        var policyLoss: Float = 0, valueLoss: Float = 0, entropy: Float = 0, gradientNorm: Float = 0
        var clipFraction: Float = 0, learningRate: Float = 0, meanReward: Float = 0
    }

    init(heartbeatTimeout: Double, inboxCapacity: Int, evictAfterBadBatches: Int = 0) {
        membership = Membership(timeout: heartbeatTimeout, inboxCapacity: inboxCapacity)
        strikes = BadBatchStrikes(limit: evictAfterBadBatches)
    }

    func drop(_ reason: String) { dropped[reason, default: 0] += 1 }

    /// A trajectory from a sender that is not an admitted member: counted as `not_admitted`; the read
    /// still counts for membership's reads bar.
    func droppedUnadmitted(_ id: String, now: Double) {
        drop("not_admitted")
        membership.seen(id, now: now)
    }

    /// A member's trajectory failed validation: counted by reason. Returns true when that was the
    /// worker's last chance and it is now evicted (removed from membership and banned for a while).
    func rejected(_ id: String, reason: String, now: Double) -> Bool {
        drop(reason)
        membership.seen(id, now: now)
        guard strikes.strike(id, now: now) else { return false }
        membership.evict(id)
        return true
    }

    /// Seconds `id` is still barred from joining after an eviction, or nil.
    func banRemaining(_ id: String, now: Double) -> Double? { strikes.banRemaining(id, now: now) }

    /// Hellos refused (wrong protocol version or fingerprints, or an evicted worker), in total.
    private(set) var hellosRefused = 0

    /// A Hello ignored for an id that breaks `PeerID`'s rule (counted as refused and as a dropped frame).
    func refusedInvalidID() {
        hellosRefused += 1
        drop("peer_id")
    }

    /// A Hello refused that claimed the id of a live member from another process; the member stays.
    func refusedClaimant() {
        hellosRefused += 1
    }

    /// The `instance` tag of the live member `id`, if it is one and sent a tag.
    func memberInstance(_ id: String) -> String? { membership.members[id]?.instance }

    /// Removes a worker whose Hello was refused, so its trajectories are no longer admitted.
    func refused(_ id: String) {
        hellosRefused += 1
        membership.evict(id)
        strikes.forget(id)
    }

    var evictions: Int { strikes.evictions }

    /// Whether to log a drop with this key now; see `DropLogThrottle`.
    func shouldLog(_ key: String, now: Double) -> Int? { dropLog.shouldLog(key, now: now) }

    func isMember(_ id: String) -> Bool { membership.isMember(id) }

    func received(_ batch: TrajectoryBatch, now: Double) {
        batchesReceived += 1
        strikes.clear(batch.workerID)
        membership.seen(batch.workerID, now: now, batch: true)
        for e in batch.episodes {
            episodes += 1
            recentReturns.append(e.episodeReturn)
            recentSuccesses.append(e.success)
        }
        if recentReturns.count > 200 {
            recentReturns.removeFirst(recentReturns.count - 200)
            recentSuccesses.removeFirst(recentSuccesses.count - 200)
        }
    }

    func trained(steps: Int, lag: Double, stats: UpdateSummary, version: Int64, droppedForLag: Int) {
        envSteps += UInt64(steps)
        updates += 1
        lagSum += lag
        lagCount += 1
        lastStats = stats
        policyVersion = version
        samplesDroppedForLag += droppedForLag
    }

    /// A whole trajectory dropped as too stale before training.
    func droppedStale(samples: Int) {
        envSteps += UInt64(samples)
        samplesDroppedForLag += samples
    }

    /// Times the current weights were published again for workers whose trajectories were all too stale.
    private(set) var weightsResent = 0

    func resentWeights() { weightsResent += 1 }

    func restore(envSteps: UInt64, episodes: Int, updates: Int, version: Int64) {
        self.envSteps = envSteps
        self.episodes = episodes
        self.updates = updates
        policyVersion = version
    }

    var meanReturn: Double { recentReturns.isEmpty ? 0 : Double(recentReturns.reduce(0, +)) / Double(recentReturns.count) }
    var successRate: Double { recentSuccesses.isEmpty ? 0 : Double(recentSuccesses.filter { $0 }.count) / Double(recentSuccesses.count) }

    /// Mean policy lag since the last call, then resets the window.
    func takeMeanLag() -> Double {
        defer { lagSum = 0; lagCount = 0 }
        return lagCount == 0 ? 0 : lagSum / Double(lagCount)
    }

    func hello(_ h: Hello, now: Double) -> Bool { membership.hello(h, now: now) }
    func goodbye(_ id: String) {
        membership.goodbye(id)
        strikes.forget(id)
    }
    func seen(_ id: String, now: Double, policyVersion: UInt64) { membership.seen(id, now: now, policyVersion: policyVersion) }
    func prune(now: Double) -> [String] {
        let gone = membership.prune(now: now)
        for id in gone { strikes.forget(id) }
        return gone
    }
    func stopListening(now: Double) { membership.stopListening(now: now) }
    func startListening(now: Double) { membership.startListening(now: now) }
    var liveWorkers: [String] { membership.members.keys.sorted() }
    /// Hellos ignored because their process had already said Goodbye (`Membership.hello`).
    var staleHellos: Int { membership.staleHellos }
}
