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
    /// The totals counted so far, in the order of `totals` (the counters' baseline).
    private let counted: Mutex<[UInt64]>

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
        counted = Mutex([UInt64](repeating: 0, count: totals.count))
    }

    /// Records `statistics`. The first reading after a restore adds the restored totals. A reading
    /// older than one recorded already (a total below what was counted) changes nothing: two loops
    /// of the replay role read and record in either order, and the older one's difference was
    /// counted again (trial C: `replay/sampled` 2841 against the buffer's 2836).
    func record(_ statistics: ReplayStatistics) {
        let now = totals.map { $0.count(statistics) }
        // Under the lock, so the gauges too are left at the newest reading.
        counted.withLock { counted in
            guard zip(now, counted).allSatisfy({ $0 >= $1 }) else { return }
            size.record(statistics.size)
            steps.record(statistics.steps)
            samplesPerInsert.record(statistics.samplesPerInsert)
            for (k, total) in totals.enumerated() where now[k] > counted[k] {
                total.counter.increment(by: Int64(clamping: now[k] - counted[k]))
            }
            counted = now
        }
    }
}
