/// A snapshot of the annotator's counters and gauges.
public struct AnnotatorStatistics: Sendable, Equatable {
    /// Requests waiting for the labeler.
    public var queueDepth = 0
    /// Requests handed to the labeler and not answered yet.
    public var inFlight = 0
    /// Requests received by `submit`.
    public var submitted = 0
    /// Requests answered from the store at once.
    public var cacheHits = 0
    /// Requests already pending or in flight when they arrived again (not asked twice).
    public var duplicates = 0
    /// Pending requests evicted because the queue was full (the oldest go first).
    public var dropped = 0
    /// New labels from the labeler (stored).
    public var labeled = 0
    /// Labels per second over the last `Annotator.Configuration.rateWindow`.
    public var labelsPerSecond = 0.0
    /// Labeler latency percentiles over the last `latencySampleCapacity` answers, in seconds.
    public var latencyP50 = 0.0
    public var latencyP90 = 0.0
    public var latencyP99 = 0.0
    /// Item errors by kind (each attempt counts once).
    public var errors: [LabelErrorKind: Int] = [:]
    /// Label store read or write failures.
    public var storeErrors = 0

    /// Metric name -> value, names namespaced `annotator/...` for the run's metrics sink.
    public var metrics: [String: Double] {
        var metrics: [String: Double] = [
            "annotator/queue_depth": Double(queueDepth),
            "annotator/in_flight": Double(inFlight),
            "annotator/submitted": Double(submitted),
            "annotator/cache_hits": Double(cacheHits),
            "annotator/duplicates": Double(duplicates),
            "annotator/dropped": Double(dropped),
            "annotator/labeled": Double(labeled),
            "annotator/labels_per_second": labelsPerSecond,
            "annotator/latency_p50_seconds": latencyP50,
            "annotator/latency_p90_seconds": latencyP90,
            "annotator/latency_p99_seconds": latencyP99,
            "annotator/errors/store": Double(storeErrors),
        ]
        for kind in LabelErrorKind.allCases {
            metrics["annotator/errors/\(kind.rawValue)"] = Double(errors[kind, default: 0])
        }
        return metrics
    }

    /// One line for a terminal.
    public var statusLine: String {
        let errorCount = errors.values.reduce(0, +)
        return "annotator: queue \(queueDepth) in-flight \(inFlight) labeled \(labeled) "
            + "(\(Self.format(labelsPerSecond))/s) hits \(cacheHits) dup \(duplicates) dropped \(dropped) "
            + "errors \(errorCount) p50 \(Self.format(latencyP50 * 1000))ms p99 \(Self.format(latencyP99 * 1000))ms"
    }

    private static func format(_ value: Double) -> String {
        let tenths = (value * 10).rounded() / 10
        return "\(tenths)"
    }
}
