import Metrics
import Synchronization
import YendorMetrics
import YendorReplay

/// The replay buffer's readings as swift-metrics handles. The buffer keeps its counts itself
/// (`ReplayStatistics`: the rate limiter reads them and checkpoints carry them), so the owner reads
/// them after each change it cares about and records them here: sizes as gauges, running totals as
/// counters advanced by what changed since the previous reading.
final class ReplayMetrics: Sendable {
    /// Items held now.
    private let size: Gauge
    /// Env steps held now.
    private let steps: Gauge
    /// Samples handed out per accepted insert so far.
    private let samplesPerInsert: Gauge
    /// Running totals, each with the `ReplayStatistics` field it follows.
    private let totals: [(counter: Counter, count: @Sendable (ReplayStatistics) -> UInt64)]
    /// The statistics of the previous reading (the counters' baseline).
    private let previous = Mutex(ReplayStatistics())

    init(registry: MetricsRegistry) {
        size = Gauge(label: "replay/size", factory: registry)
        steps = Gauge(label: "replay/steps", factory: registry)
        samplesPerInsert = Gauge(label: "replay/sample_per_insert", factory: registry)
        // Levels, 0 at start (a never-set gauge reads as absent); the ratio has no value before a sample.
        size.record(0)
        steps.record(0)
        func total(_ name: String, _ count: @escaping @Sendable (ReplayStatistics) -> UInt64)
            -> (counter: Counter, count: @Sendable (ReplayStatistics) -> UInt64) {
            (Counter(label: "replay/" + name, factory: registry), count)
        }
        totals = [
            total("inserted") { $0.inserted },
            total("sampled") { $0.sampled },
            total("evicted") { $0.evicted },
            total("consumed") { $0.consumed },
            total("refused_full") { $0.refusedFull },
            total("refused_rate_limited") { $0.refusedRateLimited },
            total("refused_too_large") { $0.refusedTooLarge },
            total("refused_samples") { $0.refusedSamples },
        ]
    }

    /// Records `statistics`. The first reading after a restore adds the restored totals.
    func record(_ statistics: ReplayStatistics) {
        size.record(statistics.size)
        steps.record(statistics.steps)
        samplesPerInsert.record(statistics.samplesPerInsert)
        let before = previous.withLock { p in defer { p = statistics }; return p }
        for (counter, count) in totals where count(statistics) > count(before) {
            counter.increment(by: Int64(clamping: count(statistics) - count(before)))
        }
    }
}
