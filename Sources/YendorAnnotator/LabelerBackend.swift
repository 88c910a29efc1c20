import Logging
import YendorMetrics

/// Which labeler to build, as chosen in the run configuration (`--backend`).
public indirect enum LabelerBackend: Sendable {
    /// The built-in keyword rules: a stand-in for an LLM, and the default.
    case lexicon
    /// Any OpenAI-compatible server.
    case openai(OpenAILabeler.Configuration)
    /// Another backend with added latency, failures and label noise.
    case simulated(SimulatedLabeler.Configuration, wrapping: LabelerBackend)

    /// Builds the labeler; configuration errors name the offending field. A backend with counters
    /// of its own (the OpenAI one's requests, retries, failures) records them in `metrics`.
    public func makeLabeler(logger: Logger, metrics: MetricsRegistry = MetricsRegistry(role: "annotator")) throws(AnnotatorError) -> any Labeler {
        switch self {
        case .lexicon:
            return LexiconLabeler()
        case .openai(let configuration):
            return try OpenAILabeler(configuration: configuration, logger: logger, metrics: metrics)
        case .simulated(let configuration, let inner):
            return try SimulatedLabeler(wrapping: inner.makeLabeler(logger: logger, metrics: metrics), configuration: configuration)
        }
    }
}
