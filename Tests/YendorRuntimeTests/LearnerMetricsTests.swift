import Testing
import YendorMetrics
import YendorReplay
import YendorWire
import Metrics
import YendorRewards
import YendorLearner
@testable import YendorRuntime

@Suite struct LearnerMetricsTests {
    /// A resumed run's window of recent episodes sets the gauges at once: the progress line read
    /// the window (return 51.23) while metrics.jsonl and status had no return until a new episode.
    @Test func aRestoredEpisodeWindowSetsTheReturnAndSuccessGauges() async {
        let registry = MetricsRegistry(forwarding: .none)
        let status = LearnerStatus(heartbeatTimeout: 5, inboxCapacity: 4, metrics: LearnerMetrics(registry: registry, recordsSuccess: true))
        #expect(!registry.snapshot().contains { $0.name == "rollout/mean_return" })
        await status.restore(recent: (returns: [1, 2, 6], successes: [true, false, false], lengths: [10, 20, 60]))
        #expect(registry["rollout/mean_return"] == 3)
        #expect(abs(registry["rollout/success_rate"] - 1.0 / 3) < 1e-12)
        #expect(registry["rollout/mean_length"] == 30)
    }

    /// The mean episode length is over the same window as the return, and an older checkpoint
    /// without lengths leaves it unset until episodes arrive (not 0, which reads as a fact).
    @Test func theMeanEpisodeLengthIsOverTheRecentEpisodesReceived() async {
        let registry = MetricsRegistry(forwarding: .none)
        let status = LearnerStatus(heartbeatTimeout: 5, inboxCapacity: 4, metrics: LearnerMetrics(registry: registry))
        await status.restore(recent: (returns: [1, 2], successes: [false, false], lengths: nil))
        #expect(registry["rollout/mean_return"] == 1.5)
        #expect(!registry.snapshot().contains { $0.name == "rollout/mean_length" })
        var batch = ZeroMQLearnerLinkTests.trajectory()
        batch.episodes = [EpisodeSummary(env: 0, episodeReturn: 4, length: 7, success: false),
                          EpisodeSummary(env: 1, episodeReturn: 0, length: 12, success: false)]
        await status.received(.value(batch), now: 0)
        #expect(registry["rollout/mean_return"] == 7.0 / 4)
        #expect(registry["rollout/mean_length"] == 9.5)
    }

    /// Joins, leaves and timeouts reach the metrics as counters (they were only log lines), each
    /// reading adding what changed since the last, on top of what a checkpoint restored.
    @Test func joinsLeavesAndTimeoutsBecomeCountersThatAdvanceByWhatChanged() async {
        let registry = MetricsRegistry(forwarding: .none)
        let status = LearnerStatus(heartbeatTimeout: 5, inboxCapacity: 4, metrics: LearnerMetrics(registry: registry))
        Counter(label: "membership/joins", factory: registry).increment(by: 10)  // as restored from a checkpoint
        for id in ["a", "b", "c"] { _ = await status.hello(Hello(role: "worker", id: id), now: 0) }
        #expect(await status.goodbye("a", now: 1) == 0, "a member: the trajectories taken from it")
        #expect(await status.goodbye("nobody", now: 1) == nil)
        await status.recordMembershipTotals()
        #expect(registry["membership/joins"] == 13)
        #expect(registry["membership/leaves"] == 1)
        #expect(registry["membership/timeouts"] == 0)
        await status.recordMembershipTotals()
        #expect(registry["membership/joins"] == 13, "a second reading adds nothing")
        // Silent past the timeout, on the wall clock and the listening clock alike.
        let gone = await status.prune(now: 100)
        #expect(gone.map(\.id).sorted() == ["b", "c"])
        _ = await status.hello(Hello(role: "worker", id: "a"), now: 100)
        await status.recordMembershipTotals()
        #expect(registry["membership/timeouts"] == 2)
        #expect(registry["membership/joins"] == 14)
        #expect(registry["membership/leaves"] == 1)
    }

    /// The hold for Hellos is shared: one worker's trajectories (a learner started again hears up
    /// to a heartbeat interval of them) may not fill it for the others.
    @Test func oneWorkersTrajectoriesAwaitingItsHelloLeaveRoomForTheOthers() async {
        let status = LearnerStatus(heartbeatTimeout: 5, inboxCapacity: 4, metrics: LearnerMetrics(registry: MetricsRegistry(forwarding: .none)))
        func trajectory(_ id: String) -> ReceivedTrajectory {
            var batch = ZeroMQLearnerLinkTests.trajectory()
            batch.workerID = id
            return .value(batch)
        }
        let cap = LearnerStatus.awaitingHelloPerWorker
        for _ in 0..<cap { #expect(await status.holdForHello(trajectory("busy"), now: 0).held) }
        #expect(await !status.holdForHello(trajectory("busy"), now: 0).held)
        #expect(await status.holdForHello(trajectory("other"), now: 0).held)
        #expect(await status.takeAwaitingHello("busy").count == cap)
        #expect(await status.holdForHello(trajectory("busy"), now: 0).held, "room again once taken")
        #expect(await status.takeAwaitingHello("other").count == 1)
    }

    /// Each figure of an update reaches the gauge named for it (the importance ratio and the value
    /// target were worked out on every update and recorded nowhere).
    @Test func anUpdatesFiguresReachTheGaugesNamedForThem() async {
        let registry = MetricsRegistry(forwarding: .none)
        let status = LearnerStatus(heartbeatTimeout: 5, inboxCapacity: 4, metrics: LearnerMetrics(registry: registry))
        var stats = UpdateStats()
        (stats.policyVersion, stats.policyLoss, stats.valueLoss, stats.entropy, stats.gradientNorm) = (7, -0.25, 1.5, 2.75, 3.5)
        (stats.clipFraction, stats.meanImportanceRatio, stats.meanValueTarget, stats.learningRate, stats.meanReward) = (0.125, 1.0625, 4.5, 0.0005, 0.375)
        await status.trained(lag: 2.5, stats: stats)
        let expected: [(String, Double)] = [
            ("learner/policy_version", 7), ("learner/policy_lag", 2.5), ("learner/loss/policy", -0.25), ("learner/loss/value", 1.5),
            ("learner/entropy", 2.75), ("learner/grad_norm", 3.5), ("learner/clip_fraction", 0.125), ("learner/importance_ratio", 1.0625),
            ("learner/value_target", 4.5), ("learner/learning_rate", Double(Float(0.0005))), ("learner/mean_reward", 0.375), ("learner/updates", 1)]
        for (name, value) in expected { #expect(registry[name] == value, "\(name): \(registry[name])") }
    }

    /// Samples dropped whole as too stale are counted for the run and for the worker that sent them.
    @Test func samplesDroppedAsTooStaleAreCountedPerWorker() async {
        let registry = MetricsRegistry(forwarding: .none)
        let status = LearnerStatus(heartbeatTimeout: 5, inboxCapacity: 4, metrics: LearnerMetrics(registry: registry))
        for id in ["big", "small"] { _ = await status.hello(Hello(role: "worker", id: id), now: 0) }
        await status.droppedStale(samples: 64, worker: "small")
        await status.droppedStale(samples: 64, worker: "small")
        await status.droppedStale(samples: 64, worker: "gone")  // no member: the run's count only
        #expect(registry["learner/samples_dropped_lag"] == 192)
        let members = await status.membership.members
        #expect(members["small"]?.staleSamples == 128 && members["big"]?.staleSamples == 0)
        let figures = Dictionary(uniqueKeysWithValues: LearnerMetrics.figures(of: members["small"]!, now: 0).map { ($0.name, $0.value) })
        #expect(figures["samples_dropped_lag"] == 128)
    }

    @Test func replayTotalsBecomeCountersThatAdvanceByWhatChanged() {
        let registry = MetricsRegistry(forwarding: .none)
        let metrics = LearnerMetrics(registry: registry)
        // A buffer restored from a checkpoint: its first reading brings the restored totals.
        var s = ReplayStatistics()
        s.size = 4; s.steps = 64; s.inserted = 10; s.sampled = 5; s.evicted = 2; s.refusedFull = 1
        metrics.record(s)
        #expect(registry["replay/size"] == 4)
        #expect(registry["replay/steps"] == 64)
        #expect(registry["replay/inserted"] == 10)
        #expect(registry["replay/sampled"] == 5)
        #expect(registry["replay/evicted"] == 2)
        #expect(registry["replay/refused_full"] == 1)
        #expect(registry["replay/sample_per_insert"] == 0.5)
        // Reading the same statistics again adds nothing; a later reading adds the difference.
        metrics.record(s)
        #expect(registry["replay/inserted"] == 10)
        s.size = 3; s.inserted = 13; s.sampled = 9; s.consumed = 1
        metrics.record(s)
        #expect(registry["replay/size"] == 3)
        #expect(registry["replay/inserted"] == 13)
        #expect(registry["replay/sampled"] == 9)
        #expect(registry["replay/consumed"] == 1)
        #expect(registry["replay/evicted"] == 2)
        let kinds = Dictionary(uniqueKeysWithValues: registry.labels.map { ($0.label, $0.kind) })
        #expect(kinds["replay/inserted"] == .counter)
        #expect(kinds["replay/size"] == .gauge)
    }

    @Test func rewardReadingsAreGaugesNamedByTheirMetricAndUndefinedOnesStayOut() {
        let registry = MetricsRegistry(forwarding: .none)
        let metrics = LearnerMetrics(registry: registry)
        metrics.record([.coverage: 0.25, .labels: 7])
        #expect(registry["rewards/coverage"] == 0.25)
        #expect(registry["rewards/labels"] == 7)
        #expect(registry.value(RewardMetric.rankingAccuracy.rawValue) == nil)
        metrics.record([.coverage: 0.5])
        #expect(registry["rewards/coverage"] == 0.5)
        #expect(registry["rewards/labels"] == 7, "a gauge keeps its latest reading")
    }

    @Test func aTaskThatCannotBeWonRecordsNoSuccessRate() {
        let won = MetricsRegistry(forwarding: .none)
        _ = LearnerMetrics(registry: won)
        #expect(won.labels.contains { $0.label == "rollout/success_rate" })
        let scored = MetricsRegistry(forwarding: .none)
        _ = LearnerMetrics(registry: scored, recordsSuccess: false)
        #expect(!scored.labels.contains { $0.label == "rollout/success_rate" })
        #expect(scored.labels.contains { $0.label == "rollout/mean_return" })
    }
}
