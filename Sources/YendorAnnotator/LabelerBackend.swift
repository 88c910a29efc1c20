import Logging

/// Which labeler to build, as chosen in the run configuration (`--backend`).
public indirect enum LabelerBackend: Sendable {
    /// The built-in keyword rules: a stand-in for an LLM, and the default.
    case lexicon
    /// Any OpenAI-compatible server.
    case openai(OpenAILabeler.Configuration)
    /// Another backend with added latency, failures and label noise.
    case simulated(SimulatedLabeler.Configuration, wrapping: LabelerBackend)

    /// Builds the labeler; configuration errors name the offending field.
    public func makeLabeler(logger: Logger) throws(AnnotatorError) -> any Labeler {
        switch self {
        case .lexicon:
            return LexiconLabeler()
        case .openai(let configuration):
            return try OpenAILabeler(configuration: configuration, logger: logger)
        case .simulated(let configuration, let inner):
            return try SimulatedLabeler(wrapping: inner.makeLabeler(logger: logger), configuration: configuration)
        }
    }
}
