import Foundation
import YendorSupport
import YendorLearner
import YendorRewards
import YendorWire

/// The learner's bookkeeping shared by its receive, train and heartbeat loops: membership, the
/// counts a checkpoint keeps, recent episodes. What it counts is recorded as it happens in the
/// role's metrics (`LearnerMetrics`); it keeps only what the learner's logic reads back.
actor LearnerStatus {
    var membership: Membership
    let metrics: LearnerMetrics
    /// Env steps the learner took in, the budget's unit: T·B of every trajectory admitted, once
    /// (trained on, reused, or dropped later as too stale).
    var envSteps: UInt64 = 0
    var episodes = 0
    var updates = 0
    var policyVersion: Int64 = 0
    /// Rejected trajectories in a row per worker, and evictions.
    private var strikes: BadBatchStrikes
    private var dropLog = LogThrottle()
    /// How many of the latest episodes `rollout/mean_return` and `rollout/success_rate` are over.
    static let recentWindowSize = 200
    /// The last `recentWindowSize` episodes' returns, outcomes and lengths (fewer lengths after a
    /// resume from a checkpoint written before they were kept).
    private var recentReturns: [Float] = []
    private var recentSuccesses: [Bool] = []
    private var recentLengths: [Int32] = []

    /// Labels handed to the reward model and queries it could not send, after an update.
    func rewards(metrics rewardMetrics: [RewardMetric: Double], received: Int, unsent: Int, queueDepth: Int) {
        metrics.labelsReceived.increment(by: received)
        metrics.queriesUnsent.increment(by: unsent)
        metrics.queryQueueDepth.record(queueDepth)
        metrics.record(rewardMetrics)
    }

    /// Trajectories that came before their worker's Hello: the two come on separate connections,
    /// and a trajectory can overtake the Hello (a learner behind on reading takes its connections
    /// in turn; a learner started again hears a worker's queued trajectories before its next
    /// Hello). Held a heartbeat timeout at most, up to `awaitingHelloBytes` of frames (some 230
    /// default trajectories), `awaitingHelloPerWorker` trajectories of one worker and
    /// `awaitingHelloCount` in all: with 4 at most, a learner killed and started again dropped 6–42
    /// of its two workers' trajectories; with 256 in all, small trajectories (64 steps, 700 a second
    /// per worker) of two workers 300–560, while one worker's could fill the hold for all.
    private var awaitingHello: [(trajectory: ReceivedTrajectory, at: Double)] = []
    private var heldBytes = 0
    private var heldPerWorker: [String: Int] = [:]
    static let awaitingHelloBytes = 64 << 20, awaitingHelloPerWorker = 256, awaitingHelloCount = 4096
    private let heartbeatTimeout: Double

    /// Holds `trajectory` until its worker's Hello (false: the hold is full). Returns also the
    /// ids of held trajectories that waited too long: dropped now, counted as `not_admitted`.
    /// Held by the listening clock (`Membership.listeningTime`): while the learner does not read
    /// its socket (backpressure), the Hellos behind are not late. A banned id's are not held.
    func holdForHello(_ trajectory: ReceivedTrajectory, now: Double) -> (held: Bool, expired: [String]) {
        let expired = expireAwaitingHello(now: now)
        let bytes = trajectory.byteCount, id = trajectory.workerID
        guard awaitingHello.count < Self.awaitingHelloCount, heldBytes + bytes <= Self.awaitingHelloBytes,
              heldPerWorker[id, default: 0] < Self.awaitingHelloPerWorker,
              banRemaining(id, now: now) == nil else { return (false, expired) }
        awaitingHello.append((trajectory, membership.listeningTime(now)))
        heldBytes += bytes
        heldPerWorker[id, default: 0] += 1
        return (true, expired)
    }

    /// Drops, counted as `not_admitted`, the held trajectories that waited a heartbeat timeout
    /// (listening) for their worker's Hello; returns their workers' ids.
    func expireAwaitingHello(now: Double) -> [String] {
        let listening = membership.listeningTime(now)
        let expired = take { listening - $0.at > heartbeatTimeout }.map(\.workerID)
        for id in expired { droppedUnadmitted(id, now: now) }
        return expired
    }

    /// The held trajectories of `id`, taken out, oldest first (its Hello admitted it).
    func takeAwaitingHello(_ id: String) -> [ReceivedTrajectory] { take { $0.trajectory.workerID == id } }

    /// Removes and returns the held trajectories that `which` picks, oldest first.
    private func take(_ which: ((trajectory: ReceivedTrajectory, at: Double)) -> Bool) -> [ReceivedTrajectory] {
        let taken = awaitingHello.filter(which).map(\.trajectory)
        guard !taken.isEmpty else { return [] }
        awaitingHello.removeAll(where: which)
        heldBytes -= taken.reduce(0) { $0 + $1.byteCount }
        for t in taken {
            heldPerWorker[t.workerID, default: 0] -= 1
            if heldPerWorker[t.workerID] == 0 { heldPerWorker[t.workerID] = nil }
        }
        return taken
    }

    init(heartbeatTimeout: Double, inboxCapacity: Int, evictAfterBadBatches: Int = 0, metrics: LearnerMetrics) {
        self.heartbeatTimeout = heartbeatTimeout
        membership = Membership(timeout: heartbeatTimeout, inboxCapacity: inboxCapacity)
        strikes = BadBatchStrikes(limit: evictAfterBadBatches)
        self.metrics = metrics
    }

    func drop(_ reason: String) { metrics.dropped(reason) }

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
        metrics.evictions.increment()
        return true
    }

    /// Seconds `id` is still barred from joining after an eviction, or nil.
    func banRemaining(_ id: String, now: Double) -> Double? { strikes.banRemaining(id, now: now) }

    /// A Hello ignored for an id that breaks `PeerID`'s rule (counted as refused and as a dropped frame).
    func refusedInvalidID() {
        metrics.hellosRefused.increment()
        drop("peer_id")
    }

    /// A Hello refused that claimed the id of a live member from another process; the member stays.
    func refusedClaimant() {
        metrics.hellosRefused.increment()
    }

    /// The `instance` tag of the live member `id`, if it is one and sent a tag.
    func memberInstance(_ id: String) -> String? { membership.members[id]?.instance }

    /// Removes a worker whose Hello was refused, so its trajectories are no longer admitted.
    func refused(_ id: String) {
        metrics.hellosRefused.increment()
        membership.evict(id)
        strikes.forget(id)
        // What it sent before the Hello is not for this learner either (nor for the same id
        // admitted later with another configuration, where each would count as a strike).
        for _ in take({ $0.trajectory.workerID == id }) { drop("not_admitted") }
    }

    /// Whether to log a drop with this key now; see `LogThrottle`.
    func shouldLog(_ key: String, now: Double) -> Int? { dropLog.shouldLog(key, now: now) }
    /// The drops with this key not logged since the last one logged; see `LogThrottle.flush`.
    func unloggedDrops(_ key: String) -> Int { dropLog.flush(key) }

    func isMember(_ id: String) -> Bool { membership.isMember(id) }
    /// The workers that have not left: the live members and those that timed out without a Goodbye
    /// and have not been heard since (a stalled one may come back), sorted.
    var workersNotLeft: [String] { (membership.members.keys.sorted() + membership.timedOutIDs) }

    func received(_ trajectory: ReceivedTrajectory, now: Double) {
        strikes.clear(trajectory.workerID)
        // Workers send no heartbeats: their trajectories say which policy they act with.
        membership.seen(trajectory.workerID, now: now, policyVersion: trajectory.policyVersion, batch: true)
        // The budget counts env steps as they are taken in, each once: a replay role's reuse
        // (marked) was counted, episodes too, when it was first delivered; the learner's own
        // buffer's reuse never comes through here.
        guard !trajectory.redelivered else { return }
        envSteps += UInt64(trajectory.sampleCount)
        metrics.envSteps.increment(by: trajectory.sampleCount)
        let episodes = trajectory.episodes
        guard !episodes.isEmpty else { return }
        for e in episodes {
            recentReturns.append(e.episodeReturn)
            recentSuccesses.append(e.success)
            recentLengths.append(e.length)
        }
        recentReturns = recentReturns.suffix(Self.recentWindowSize)
        recentSuccesses = recentSuccesses.suffix(Self.recentWindowSize)
        recentLengths = recentLengths.suffix(Self.recentWindowSize)
        self.episodes += episodes.count
        metrics.episodes.increment(by: episodes.count)
        recordEpisodeGauges()
    }

    /// The recent window's gauges: mean return, success rate, mean length.
    private func recordEpisodeGauges() {
        metrics.meanReturn.record(meanReturn)
        if let successRate { metrics.successRate?.record(successRate) }
        if !recentLengths.isEmpty { metrics.meanLength.record(Double(recentLengths.reduce(0) { $0 + Int($1) }) / Double(recentLengths.count)) }
    }

    /// One update at mean policy lag `lag`: its figures become the learner's gauges.
    func trained(lag: Double, stats: UpdateStats) {
        updates += 1
        policyVersion = stats.policyVersion
        metrics.updates.increment()
        metrics.policyVersion.record(stats.policyVersion)
        metrics.policyLag.record(lag)
        metrics.samplesDroppedForLag.increment(by: stats.samplesDroppedForLag)
        metrics.policyLoss.record(stats.policyLoss)
        metrics.valueLoss.record(stats.valueLoss)
        metrics.entropy.record(stats.entropy)
        metrics.gradientNorm.record(stats.gradientNorm)
        metrics.clipFraction.record(stats.clipFraction)
        metrics.importanceRatio.record(stats.meanImportanceRatio)
        metrics.valueTarget.record(stats.meanValueTarget)
        metrics.learningRate.record(stats.learningRate)
        metrics.meanReward.record(stats.meanReward)
    }

    /// A whole trajectory of `samples` dropped as too stale before training (its env steps were
    /// counted when it was taken in).
    func droppedStale(samples: Int, worker: String) {
        metrics.samplesDroppedForLag.increment(by: samples)
        membership.droppedStale(worker, samples: samples)
    }

    /// A trajectory acted with a policy version newer than the learner's.
    func actedAhead(worker: String) { membership.actedAhead(worker) }

    /// The current weights were published again for workers whose trajectories were all too stale.
    func resentWeights() { metrics.weightsResent.increment() }

    /// A trajectory that came once the budget was reached, not taken.
    func cameAfterBudget() {
        metrics.afterBudget.increment()
        trajectoriesAfterBudget += 1
    }
    private(set) var trajectoriesAfterBudget = 0

    /// The recent-episode window, saved with a checkpoint so that a resumed run's
    /// `rollout/mean_return` goes on from it instead of from a handful of episodes.
    var recentWindow: (returns: [Float], successes: [Bool], lengths: [Int32]) { (recentReturns, recentSuccesses, recentLengths) }

    /// The window a checkpoint saved (one whose returns and outcomes differ in number is not
    /// taken; lengths are nil in checkpoints written before they were kept).
    func restore(recent: (returns: [Float], successes: [Bool], lengths: [Int32]?)) {
        guard recent.returns.count == recent.successes.count else { return }
        recentReturns = Array(recent.returns.suffix(Self.recentWindowSize))
        recentSuccesses = Array(recent.successes.suffix(Self.recentWindowSize))
        recentLengths = Array((recent.lengths ?? []).suffix(Self.recentWindowSize))
        // The gauges too, at once: the progress line reads the window, the metrics file and
        // Stats the gauges, which showed no return until the first new episode ended.
        guard !recentReturns.isEmpty else { return }
        recordEpisodeGauges()
    }

    /// The counts of the checkpoint the learner resumed from; the counters continue from them.
    func restore(envSteps: UInt64, episodes: Int, updates: Int, version: Int64) {
        if envSteps > self.envSteps { metrics.envSteps.increment(by: envSteps - self.envSteps) }
        metrics.episodes.increment(by: max(0, episodes - self.episodes))
        metrics.updates.increment(by: max(0, updates - self.updates))
        metrics.policyVersion.record(version)
        self.envSteps = envSteps
        self.episodes = episodes
        self.updates = updates
        policyVersion = version
    }

    var recentEpisodes: Int { recentReturns.count }
    var meanReturn: Double { recentReturns.isEmpty ? 0 : Double(recentReturns.reduce(0, +)) / Double(recentReturns.count) }
    /// nil for a task that cannot be won (no success rate is recorded for it).
    var successRate: Double? {
        guard metrics.successRate != nil else { return nil }
        return recentSuccesses.isEmpty ? 0 : Double(recentSuccesses.filter { $0 }.count) / Double(recentSuccesses.count)
    }

    func hello(_ h: Hello, now: Double) -> Bool {
        let stale = membership.staleHellos
        defer { if membership.staleHellos > stale { metrics.hellosStale.increment() } }
        return membership.hello(h, now: now)
    }
    /// Records a member's Goodbye; returns the trajectories taken from it, nil if it was no member.
    @discardableResult
    func goodbye(_ id: String, now: Double) -> Int? {
        let taken = membership.members[id]?.batches
        membership.goodbye(id, now: now)
        strikes.forget(id)
        return taken
    }
    func lateAdmission(_ id: String, now: Double) -> Membership.LateAdmission? { membership.lateAdmission(id, now: now) }
    func recentlyDeparted(now: Double) -> [(id: String, instance: String)] { membership.recentlyDeparted(now: now) }
    func seen(_ id: String, now: Double, policyVersion: UInt64) { membership.seen(id, now: now, policyVersion: policyVersion) }
    /// Members silent past the timeout, removed, with the trajectories taken from each.
    func prune(now: Double) -> [(id: String, taken: Int)] {
        let before = membership.members
        let gone = membership.prune(now: now)
        for id in gone { strikes.forget(id) }
        return gone.map { ($0, before[$0]?.batches ?? 0) }
    }
    /// Advances `membership/joins`, `…/leaves` and `…/timeouts` by what changed since the last call.
    func recordMembershipTotals() {
        let totals = (membership.joins, membership.leaves, membership.timeouts)
        metrics.joins.increment(by: totals.0 - recordedTotals.joins)
        metrics.leaves.increment(by: totals.1 - recordedTotals.leaves)
        metrics.timeouts.increment(by: totals.2 - recordedTotals.timeouts)
        recordedTotals = totals
    }
    private var recordedTotals = (joins: 0, leaves: 0, timeouts: 0)

    func stopListening(now: Double) { membership.stopListening(now: now) }
    func startListening(now: Double) { membership.startListening(now: now) }
}
