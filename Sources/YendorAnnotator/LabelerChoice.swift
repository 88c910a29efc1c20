import Foundation

/// What a user chooses about the labeler, as plain values: its kind and the options of each kind.
/// `yendor annotator` fills it from its flags, a learner's in-process annotator from its `reward.*`
/// configuration keys; `backend()` checks it and builds the `LabelerBackend`, for both, in one place.
/// Errors name the field by its key (`llm_url`, `simulated_noise`, ...), which each front end
/// turns into its own spelling (`--llm-url`, `reward.simulated_noise`).
public struct LabelerChoice: Sendable, Equatable {
    /// Which chat API of an OpenAI-compatible server to call.
    public enum Endpoint: String, Sendable, CaseIterable {
        /// /chat/completions, one prompt per call.
        case chat
        /// /completions, several prompts per call.
        case completions
    }

    /// The built-in prompt sets.
    public enum Prompts: String, Sendable, CaseIterable {
        /// Yendor's prompts (answers "Answer: helpful").
        case yendor
        /// ONI's format (<label>FOO</label> / BAR).
        case oni
    }

    /// lexicon (a stand-in for an LLM), openai, or simulated.
    public var kind = LabelerKind.lexicon
    /// openai: API root including the version, e.g. http://HOST:PORT/v1. simulated: wrap this
    /// server instead of the lexicon. Empty: none.
    public var llmURL = ""
    /// openai: model name as the server knows it.
    public var model = ""
    /// openai: environment variable holding the API key (sent as a Bearer token); empty: none.
    public var apiKeyEnvironmentVariable = ""
    /// openai: chat or completions.
    public var endpoint = Endpoint.chat
    /// openai completions: prompts per HTTP request.
    public var promptsPerRequest = 8
    /// openai: HTTP requests in flight at once.
    public var maxConcurrentRequests = 4
    /// openai: seconds to open the connection and send the request.
    public var connectTimeoutSeconds = 5.0
    /// openai: seconds from the request sent to the whole answer (the model's generation included).
    public var requestTimeoutSeconds = 30.0
    /// openai: retries per request on timeouts, broken connections, 429, 5xx and malformed JSON.
    public var maxRetries = 4
    /// openai: max_tokens per answer (room for reasoning before the answer line).
    public var maxTokens = 512
    /// openai: the built-in prompt set.
    public var prompts = Prompts.yendor
    /// openai: a prompt file (JSON, see docs/annotator.md) replacing the built-in prompts; empty: none.
    public var promptsFile = ""
    /// simulated: seconds of added latency per labeler call.
    public var simulatedLatencySeconds = 0.5
    /// simulated: fraction of items that fail (transiently), in [0, 1].
    public var simulatedFailureRate = 0.0
    /// simulated: fraction of labels replaced by a wrong one, in [0, 1].
    public var simulatedNoise = 0.0
    /// simulated: seed for failures and noise.
    public var seed: UInt64 = 1

    /// What labels, for a start-up log line: the lexicon says it is a stand-in; a server, where it is.
    public var summary: String {
        switch kind {
        case .lexicon: return "the lexicon labeler (rule-based, a stand-in for an LLM)"
        case .openai: return "the OpenAI-compatible server at \(llmURL), model \(model) (\(endpoint.rawValue), prompts \(prompts.rawValue))"
        case .simulated: return llmURL.isEmpty ? "the simulated labeler over the lexicon" : "the simulated labeler over \(llmURL), model \(model)"
        }
    }

    /// The fields set for an LLM server that the lexicon labeler does not ask (it would take them
    /// silently, trial N), by key without prefix.
    public var unusedLLMFields: [String] {
        guard kind == .lexicon else { return [] }
        return [("llm_url", !llmURL.isEmpty), ("llm_model", !model.isEmpty), ("llm_api_key_env", !apiKeyEnvironmentVariable.isEmpty)]
            .filter(\.1).map(\.0)
    }

    public init() {}

    /// Checks every option (without reading the prompt file); errors name the field by its key.
    public func validate() throws(AnnotatorError) {
        func check(_ ok: Bool, _ field: String, _ reason: String) throws(AnnotatorError) {
            if !ok { throw .invalidConfiguration(field: field, reason: reason) }
        }
        try check(kind != .openai || !llmURL.isEmpty, "llm_url", "is required for the openai labeler")
        try check(llmURL.isEmpty || URL(string: llmURL)?.host != nil, "llm_url", "'\(llmURL)' is not a URL with a host")
        try check(llmURL.isEmpty || !model.isEmpty, "llm_model", "is required when the LLM server's URL is set")
        try check(promptsPerRequest >= 1, "llm_prompts_per_request", "must be >= 1, got \(promptsPerRequest)")
        try check(maxConcurrentRequests >= 1, "llm_max_concurrent_requests", "must be >= 1, got \(maxConcurrentRequests)")
        try check(connectTimeoutSeconds > 0, "llm_connect_timeout_s", "must be > 0, got \(connectTimeoutSeconds)")
        try check(requestTimeoutSeconds > 0, "llm_request_timeout_s", "must be > 0, got \(requestTimeoutSeconds)")
        try check(maxRetries >= 0, "llm_max_retries", "must be >= 0, got \(maxRetries)")
        try check(maxTokens >= 1, "llm_max_tokens", "must be >= 1, got \(maxTokens)")
        try check(simulatedLatencySeconds >= 0, "simulated_latency", "must be >= 0, got \(simulatedLatencySeconds)")
        try check((0...1).contains(simulatedFailureRate), "simulated_failure_rate", "must be in [0, 1], got \(simulatedFailureRate)")
        try check((0...1).contains(simulatedNoise), "simulated_noise", "must be in [0, 1], got \(simulatedNoise)")
    }

    /// The backend chosen: checked, with the prompt file read.
    public func backend() throws(AnnotatorError) -> LabelerBackend {
        try validate()
        let simulation = SimulatedLabeler.Configuration(latency: Self.duration(simulatedLatencySeconds), failureRate: simulatedFailureRate,
                                                        labelNoise: simulatedNoise, seed: seed)
        // The lexicon asks no server: a URL or key variable left in its settings is not read.
        return try LabelerBackend.named(kind, openAI: llmURL.isEmpty || kind == .lexicon ? nil : try server(), simulation: simulation)
    }

    /// The OpenAI-compatible server's configuration (`llmURL` is set and valid).
    private func server() throws(AnnotatorError) -> OpenAILabeler.Configuration {
        // Said here, where the labeler is made, under the option's name: a process that does not
        // label (a worker, `yendor config`, a learner with a remote annotator) needs no key.
        if !apiKeyEnvironmentVariable.isEmpty, (ProcessInfo.processInfo.environment[apiKeyEnvironmentVariable] ?? "").isEmpty {
            throw .invalidConfiguration(field: "llm_api_key_env", reason: "names the environment variable \(apiKeyEnvironmentVariable), which is not set in this process")
        }
        var o = OpenAILabeler.Configuration(baseURL: URL(string: llmURL)!, model: model,
                                            apiKeyEnvironmentVariable: apiKeyEnvironmentVariable.isEmpty ? nil : apiKeyEnvironmentVariable)
        o.endpoint = endpoint == .chat ? .chatCompletions : .completions
        o.promptsPerRequest = promptsPerRequest
        o.maxConcurrentRequests = maxConcurrentRequests
        o.connectTimeout = Self.duration(connectTimeoutSeconds)
        o.requestTimeout = Self.duration(requestTimeoutSeconds)
        o.maxRetries = maxRetries
        o.maxTokens = maxTokens
        o.prompts = PromptSet.named(prompts.rawValue) ?? .builtIn
        if !promptsFile.isEmpty {
            do { o.prompts = try PromptSet.load(from: URL(fileURLWithPath: promptsFile)) } catch {
                throw .invalidConfiguration(field: "llm_prompts", reason: "\(error)")
            }
        }
        return o
    }

    static func duration(_ seconds: Double) -> Duration { .seconds(clamping: seconds) }
}
