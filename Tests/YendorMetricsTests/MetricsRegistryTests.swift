import CoreMetrics
import MetricsTestKit
import Testing
import YendorMetrics

@Suite struct MetricsRegistryTests {
    @Test func countersSumGaugesKeepTheLatestValueAndALabelMadeTwiceIsOneMetric() {
        let registry = MetricsRegistry(forwarding: .none)
        let frames = Counter(label: "transport/frames", factory: registry)
        frames.increment(by: 3)
        Counter(label: "transport/frames", factory: registry).increment()
        FloatingPointCounter(label: "rewards/total", factory: registry).increment(by: 0.25)
        FloatingPointCounter(label: "rewards/total", factory: registry).increment(by: 0.5)
        let depth = Meter(label: "annotator/queue_depth", factory: registry)
        depth.set(7)
        depth.increment(by: 2)
        depth.decrement(by: 4)
        Gauge(label: "learner/loss/policy", factory: registry).record(1.5)
        Gauge(label: "learner/loss/policy", factory: registry).record(-0.5)
        #expect(registry["transport/frames"] == 4)
        #expect(registry["rewards/total"] == 0.75)
        #expect(registry["annotator/queue_depth"] == 5)
        #expect(registry["learner/loss/policy"] == -0.5)
        #expect(registry.value("never/made") == nil && registry["never/made"] == 0)
        #expect(registry.snapshot().map(\.name) == ["annotator/queue_depth", "learner/loss/policy", "rewards/total", "transport/frames"])
    }

    /// A gauge or timer with nothing recorded has no value yet: a record leaves it out rather than
    /// say 0 (the learner's first record said mean return 0 and learning rate 0 at step 0).
    @Test func aGaugeOrTimerNeverRecordedIsLeftOutOfASnapshotAndACounterReadsZero() {
        let registry = MetricsRegistry(forwarding: .none)
        let meanReturn = Gauge(label: "rollout/mean_return", factory: registry)
        _ = Timer(label: "annotator/latency", factory: registry)
        _ = Counter(label: "rollout/episodes", factory: registry)
        #expect(registry.snapshot().map(\.name) == ["rollout/episodes"])
        meanReturn.record(0)
        #expect(registry.snapshot().map(\.name) == ["rollout/episodes", "rollout/mean_return"])
    }

    @Test func aCounterNeverGoesDownAndIgnoresNonFiniteIncrements() {
        let registry = MetricsRegistry(forwarding: .none)
        let counter = FloatingPointCounter(label: "c", factory: registry)
        counter.increment(by: 2)
        counter.increment(by: -1.0)
        counter.increment(by: Double.nan)
        counter.increment(by: Double.infinity)
        counter.reset()
        #expect(registry["c"] == 2)
    }

    @Test func aTimerReadsAsItsPercentilesInSecondsWithinAThousandth() {
        let registry = MetricsRegistry(forwarding: .none)
        let timer = Timer(label: "annotator/latency", factory: registry)
        for ms in 1...100 { timer.recordMilliseconds(ms) }
        let values = Dictionary(uniqueKeysWithValues: registry.snapshot().map { ($0.name, $0.value) })
        // Nearest rank over 1…100 ms: p50 = 50 ms, p90 = 90 ms, p99 = 99 ms.
        for (name, expected) in [("annotator/latency_p50_seconds", 0.050), ("annotator/latency_p90_seconds", 0.090),
                                 ("annotator/latency_p99_seconds", 0.099)] {
            let value = values[name] ?? -1
            #expect(abs(value - expected) <= expected * 0.001, "\(name) = \(value)")
        }
        #expect(registry.labels.map(\.kind) == [.timer])
    }

    @Test func everyHandleIsForwardedWithTheRegistrysDimensionsAdded() throws {
        let backend = TestMetrics()
        let registry = MetricsRegistry(role: "worker", dimensions: [("worker", "w-1")], forwarding: .to(backend))
        Counter(label: "env_steps", factory: registry).increment(by: 64)
        Gauge(label: "rollout/sps", factory: registry).record(1234)
        Meter(label: "rollout/outbox_depth", factory: registry).set(3)
        let dims = [("role", "worker"), ("worker", "w-1")]
        #expect(try backend.expectCounter("env_steps", dims).lastValue == 64)
        #expect(try backend.expectRecorder("rollout/sps", dims).lastValue == 1234)
        #expect(try backend.expectMeter("rollout/outbox_depth", dims).lastValue == 3)
        #expect(registry["env_steps"] == 64)
    }

    /// A backend shows a handle from the moment it is made, as 0 for a gauge: a Prometheus scrape of
    /// a learner on a task without success said `rollout/success_rate` 0. Gauges and timers reach the
    /// backend with their first value; counters at once (a counter that never counted is 0).
    @Test func aGaugeOrTimerReachesTheBackendWithItsFirstValueOnly() throws {
        let backend = TestMetrics()
        let registry = MetricsRegistry(role: "learner", forwarding: .to(backend))
        let success = Gauge(label: "rollout/success_rate", factory: registry)
        let depth = Meter(label: "learner/queue_depth", factory: registry)
        let update = Timer(label: "learner/update_seconds", factory: registry)
        _ = Counter(label: "learner/updates", factory: registry)
        #expect(backend.recorders.isEmpty && backend.meters.isEmpty && backend.timers.isEmpty)
        #expect(try backend.expectCounter("learner/updates", [("role", "learner")]).totalValue == 0)
        success.record(0.25)
        depth.set(3)
        update.recordNanoseconds(2_000_000)
        success.record(0.5)
        #expect(try backend.expectRecorder("rollout/success_rate", [("role", "learner")]).values == [0.25, 0.5])
        #expect(try backend.expectMeter("learner/queue_depth", [("role", "learner")]).lastValue == 3)
        #expect(try backend.expectTimer("learner/update_seconds", [("role", "learner")]).lastValue == 2_000_000)
    }

    /// The learner's view of each worker: one series per worker on `/metrics`, none in the role's
    /// own record (which has one value per label), and gone, downstream too, once destroyed.
    @Test func aSeriesWithDimensionsOfItsOwnIsForwardedReadBackAndRemovedWhenDestroyed() throws {
        let backend = TestMetrics()
        let registry = MetricsRegistry(role: "learner", forwarding: .to(backend))
        Gauge(label: "membership/workers", factory: registry).record(2)
        Gauge(label: "membership/worker_trajectories", dimensions: [("worker", "a")], factory: registry).record(5)
        Gauge(label: "membership/worker_trajectories", dimensions: [("worker", "b")], factory: registry).record(7)
        Gauge(label: "membership/worker_trajectories", dimensions: [("worker", "a")], factory: registry).record(6)
        #expect(registry.snapshot().map(\.name) == ["membership/workers"])
        #expect(registry.value("membership/worker_trajectories", dimensions: [("worker", "a")]) == 6)
        #expect(registry.value("membership/worker_trajectories", dimensions: [("worker", "b")]) == 7)
        #expect(registry.value("membership/worker_trajectories") == nil)
        #expect(registry.series("membership/worker_trajectories").map { $0.map(\.1) }.sorted { $0[0] < $1[0] } == [["a"], ["b"]])
        #expect(try backend.expectRecorder("membership/worker_trajectories", [("role", "learner"), ("worker", "a")]).values == [5, 6])
        #expect(registry.labels.map(\.label) == ["membership/worker_trajectories", "membership/workers"])

        Gauge(label: "membership/worker_trajectories", dimensions: [("worker", "a")], factory: registry).destroy()
        #expect(registry.value("membership/worker_trajectories", dimensions: [("worker", "a")]) == nil)
        #expect(registry.series("membership/worker_trajectories").map { $0.map(\.1) } == [["b"]])
        #expect(throws: (any Error).self) { try backend.expectRecorder("membership/worker_trajectories", [("role", "learner"), ("worker", "a")]) }
        #expect(try backend.expectRecorder("membership/worker_trajectories", [("role", "learner"), ("worker", "b")]).lastValue == 7)
        // The role's own metrics outlive their handles.
        Gauge(label: "membership/workers", factory: registry).destroy()
        #expect(registry["membership/workers"] == 2)
    }

    @Test func oneLabelIsOneKind() {
        let registry = MetricsRegistry(forwarding: .none)
        _ = Counter(label: "x", factory: registry)
        _ = FloatingPointCounter(label: "x", factory: registry)  // a counter too: the same metric
        _ = Gauge(label: "y", factory: registry)
        _ = Meter(label: "y", factory: registry)  // a gauge too
        #expect(registry.labels.map(\.label) == ["x", "y"])
        #expect(registry.labels.map(\.kind) == [.counter, .gauge])
    }
}
