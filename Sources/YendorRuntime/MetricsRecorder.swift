import Metrics
import Synchronization

/// Records a role's metrics record through swift-metrics, so any metrics backend sees them (the
/// Prometheus endpoint, see `PrometheusEndpoint`): cumulative quantities as counters, the rest as
/// gauges, every one with the dimension `role` (and any others given, e.g. a worker's id).
///
/// Names stay Yendor's (`learner/loss/policy`); a backend sanitises them for its format.
public final class MetricsRecorder: Sendable {
    private let dimensions: [(String, String)]
    private let state = Mutex<State>(State())

    private struct State: ~Copyable {
        var gauges: [String: Gauge] = [:]
        var counters: [String: (counter: FloatingPointCounter, total: Double)] = [:]
    }

    public init(role: String, dimensions: [(String, String)] = []) { self.dimensions = [("role", role)] + dimensions }

    /// Whether `name` only ever grows while a role runs (exported as a counter).
    public static func isCumulative(_ name: String) -> Bool {
        let cumulative: Set<String> = ["env_steps", "learner/updates", "rollout/episodes", "membership/evictions",
                                       "membership/hellos_refused", "membership/hellos_stale", "learner/samples_dropped_lag", "rewards/labels",
                                       "rewards/labels_received", "learner/weights_resent", "rollout/trajectories_sent"]
        return cumulative.contains(name) || name.hasPrefix("transport/frames_dropped")
    }

    /// Records every finite value of a record (its `time` is skipped).
    public func record(_ values: [(String, Double)]) {
        state.withLock { s in
            for (name, value) in values where name != "time" && value.isFinite {
                if Self.isCumulative(name) {
                    var entry = s.counters[name] ?? (FloatingPointCounter(label: name, dimensions: dimensions), 0)
                    if value > entry.total {
                        entry.counter.increment(by: value - entry.total)
                        entry.total = value
                    }
                    s.counters[name] = entry
                } else {
                    let gauge = s.gauges[name] ?? Gauge(label: name, dimensions: dimensions)
                    gauge.record(value)
                    s.gauges[name] = gauge
                }
            }
        }
    }
}
