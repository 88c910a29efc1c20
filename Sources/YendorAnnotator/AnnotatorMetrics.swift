import CoreMetrics
import YendorMetrics

/// The annotator's metrics (`annotator/…`), as swift-metrics handles in its `MetricsRegistry`:
/// the core's (`Annotator`) and the role's (`AnnotatorServer`), all made at start so every name is
/// in the first `Stats` message.
public struct AnnotatorMetrics: Sendable {
    let registry: MetricsRegistry

    /// Requests received by `submit`.
    let submitted: Counter
    /// Requests answered from the store at once.
    let cacheHits: Counter
    /// Requests already pending or in flight when they arrived again (not asked twice).
    let duplicates: Counter
    /// Pending requests evicted because the queue was full (the oldest go first).
    let dropped: Counter
    /// Queued requests withdrawn because every client that asked for them left (`withdraw`).
    let withdrawn: Counter
    /// New labels from the labeler (stored, or waiting in memory for the store: `unstored`).
    let labeled: Counter
    /// Label store read or write failures.
    let storeErrors: Counter
    /// Labels waiting in memory for a store that refused them (a full disk).
    let unstored: Gauge
    /// Labels received that never reached the store: beyond `unstoredCapacity`, or still refused at shutdown.
    let lost: Counter
    /// Requests waiting for the labeler (queued or waiting for a retry).
    let queueDepth: Gauge
    /// Requests handed to the labeler and not answered yet.
    let inFlight: Gauge
    /// Labels per second over the last `Annotator.Configuration.rateWindowSeconds`.
    let labelsPerSecond: Gauge
    /// Labeler latency percentiles over the recent answers (`LatencyWindow`), in seconds.
    let latencyP50: Gauge
    let latencyP90: Gauge
    let latencyP99: Gauge
    /// Item errors by kind (each attempt counts once).
    private let errors: [LabelErrorKind: Counter]

    init(registry: MetricsRegistry) {
        self.registry = registry
        func counter(_ name: String) -> Counter { Counter(label: "annotator/\(name)", factory: registry) }
        func gauge(_ name: String) -> Gauge { Gauge(label: "annotator/\(name)", factory: registry) }
        submitted = counter("submitted")
        cacheHits = counter("cache_hits")
        duplicates = counter("duplicates")
        dropped = counter("dropped")
        withdrawn = counter("withdrawn")
        labeled = counter("labeled")
        storeErrors = counter("errors/store")
        unstored = gauge("unstored")
        lost = counter("labels_lost")
        queueDepth = gauge("queue_depth")
        inFlight = gauge("in_flight")
        labelsPerSecond = gauge("labels_per_second")
        latencyP50 = gauge("latency_p50_seconds")
        latencyP90 = gauge("latency_p90_seconds")
        latencyP99 = gauge("latency_p99_seconds")
        // Levels that are 0 at start have a value from the start (a never-set gauge reads as absent).
        queueDepth.record(0)
        inFlight.record(0)
        unstored.record(0)
        errors = Dictionary(uniqueKeysWithValues: LabelErrorKind.allCases.map { ($0, counter("errors/\($0.rawValue)")) })
    }

    /// Counts one item error of `kind`.
    func error(_ kind: LabelErrorKind) { errors[kind]?.increment() }

    /// One line for a terminal, from the registry's current values.
    public static func statusLine(_ registry: MetricsRegistry) -> String {
        let values = registry.snapshot()
        func n(_ name: String) -> Int { Int(registry["annotator/\(name)"]) }
        func sum(_ prefix: String) -> Int { values.filter { $0.name.hasPrefix(prefix) }.reduce(0) { $0 + Int($1.value) } }
        // Items given up (cancelled ones are a stop, not an error) and, apart, LLM attempts that
        // failed, retried or not: those show a failing server long before its items are given up.
        let errorCount = sum("annotator/errors/") - n("errors/store") - n("errors/cancelled")
        let malformed = sum("annotator/malformed/")
        let failedAttempts = sum("annotator/llm/failed_attempts/")
        return "annotator: queue \(n("queue_depth")) in-flight \(n("in_flight")) labeled \(n("labeled")) "
            + "(\(tenths(registry["annotator/labels_per_second"]))/s) hits \(n("cache_hits")) dup \(n("duplicates")) "
            + "dropped \(n("dropped")) errors \(errorCount) p50 \(tenths(registry["annotator/latency_p50_seconds"] * 1000))ms "
            + "p99 \(tenths(registry["annotator/latency_p99_seconds"] * 1000))ms requests \(n("requests")) malformed \(malformed)"
            + (values.contains { $0.name.hasPrefix("annotator/llm/") } ? " llm failed attempts \(failedAttempts)" : "")
            // Said once the store has failed: labels then wait in memory, or are lost.
            + (n("errors/store") > 0 ? " store errors \(n("errors/store")) unstored \(n("unstored")) lost \(n("labels_lost"))" : "")
    }

    private static func tenths(_ value: Double) -> String { "\((value * 10).rounded() / 10)" }
}
