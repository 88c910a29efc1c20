import Logging
import YendorMetrics

/// The labelers a user can name (`yendor annotator --backend`, `reward.labeler`).
public enum LabelerKind: String, Sendable, CaseIterable {
    /// The built-in keyword rules: a stand-in for an LLM.
    case lexicon
    /// Any OpenAI-compatible server.
    case openai
    /// The lexicon (or an OpenAI server, when one is given) with added latency, failures and noise.
    case simulated
}

/// Which labeler to build, as chosen in the run configuration (`--backend`).
public indirect enum LabelerBackend: Sendable {
    /// The built-in keyword rules: a stand-in for an LLM, and the default.
    case lexicon
    /// Any OpenAI-compatible server.
    case openai(OpenAILabeler.Configuration)
    /// Another backend with added latency, failures and label noise.
    case simulated(SimulatedLabeler.Configuration, wrapping: LabelerBackend)

    /// The one mapping from a labeler's name to what to build, used by `yendor annotator` and by a
    /// learner's in-process annotator. `openAI` is the server's configuration when one is given:
    /// `openai` requires it, `simulated` wraps it (else the lexicon).
    public static func named(_ kind: LabelerKind, openAI: OpenAILabeler.Configuration?,
                             simulation: SimulatedLabeler.Configuration) throws(AnnotatorError) -> LabelerBackend {
        switch kind {
        case .lexicon: return .lexicon
        case .openai:
            guard let openAI else { throw .invalidConfiguration(field: "llm_url", reason: "the openai labeler needs a server URL") }
            return .openai(openAI)
        case .simulated: return .simulated(simulation, wrapping: openAI.map { .openai($0) } ?? .lexicon)
        }
    }

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
