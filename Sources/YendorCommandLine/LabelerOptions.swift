import ArgumentParser
import Foundation
import YendorAnnotator

/// The labeler flags shared by `yendor annotator` and `yendor annotator evaluate`: which
/// backend, and how to reach and prompt an OpenAI-compatible server.
struct LabelerOptions: ParsableArguments {
    @Option(help: "Labeler: lexicon (default, a stand-in for an LLM), openai, simulated.")
    var backend: LabelerKind = .lexicon

    @Option(name: .customLong("llm-url"), help: "openai: API root including the version, e.g. http://HOST:PORT/v1. simulated: wrap this server instead of the lexicon.")
    var llmURL: String?

    @Option(help: "openai: model name as the server knows it.")
    var model: String?

    @Option(name: .customLong("api-key-env"), help: "openai: environment variable holding the API key (sent as a Bearer token).")
    var apiKeyEnv: String?

    @Option(name: .customLong("llm-endpoint"), help: "openai: chat (/chat/completions, one prompt per call) or completions (several prompts per call).")
    var llmEndpoint: LabelerChoice.Endpoint = .chat

    @Option(name: .customLong("prompts-per-request"), help: "openai completions: prompts per HTTP request.")
    var promptsPerRequest: Int = 8

    @Option(name: .customLong("max-concurrent-requests"), help: "openai: HTTP requests in flight at once.")
    var maxConcurrentRequests: Int = 4

    @Option(name: .customLong("connect-timeout-s"), help: "openai: connect timeout: time to open the connection and send the request, seconds.")
    var connectTimeout: Double = 5

    @Option(name: .customLong("request-timeout-s"), help: "openai: read timeout: time from the request sent to the whole answer (the model's generation included), seconds.")
    var requestTimeout: Double = 30

    @Option(name: .customLong("max-retries"), help: "openai: retries per request on timeouts, broken connections, 429, 5xx and malformed JSON.")
    var maxRetries: Int = 4

    @Option(name: .customLong("max-tokens"), help: "openai: max_tokens per answer (room for reasoning before the answer line).")
    var maxTokens: Int = 512

    @Option(name: .customLong("prompt-set"), help: "openai: built-in prompt set: yendor (default; answers 'Answer: helpful') or oni (ONI's format: <label>FOO</label> / BAR).")
    var promptSet: LabelerChoice.Prompts = .yendor

    @Option(help: "openai: prompt file (JSON, see docs/annotator.md) replacing the built-in prompts.")
    var prompts: String?

    @Option(name: .customLong("latency-ms"), help: "simulated: added latency per labeler call, milliseconds.")
    var latencyMs: Int = 500

    @Option(name: .customLong("failure-rate"), help: "simulated: fraction of items that fail (transiently), in [0, 1].")
    var failureRate: Double = 0

    @Option(help: "simulated: fraction of labels replaced by a wrong one, in [0, 1].")
    var noise: Double = 0

    @Option(help: "simulated: seed for failures and noise.")
    var seed: UInt64 = 1

    /// The flags as a `LabelerChoice` (the same type a learner's `reward.*` keys fill).
    var choice: LabelerChoice {
        var c = LabelerChoice()
        c.kind = backend
        c.llmURL = llmURL ?? ""
        c.model = model ?? ""
        c.apiKeyEnvironmentVariable = apiKeyEnv ?? ""
        c.endpoint = llmEndpoint
        c.promptsPerRequest = promptsPerRequest
        c.maxConcurrentRequests = maxConcurrentRequests
        c.connectTimeoutSeconds = connectTimeout
        c.requestTimeoutSeconds = requestTimeout
        c.maxRetries = maxRetries
        c.maxTokens = maxTokens
        c.prompts = promptSet
        c.promptsFile = prompts ?? ""
        c.simulatedLatencySeconds = Double(latencyMs) / 1000
        c.simulatedFailureRate = failureRate
        c.simulatedNoise = noise
        c.seed = seed
        return c
    }

    /// The flag that sets each `LabelerChoice` field, for errors.
    static let flags = [
        "llm_url": "--llm-url", "llm_model": "--model", "llm_prompts_per_request": "--prompts-per-request",
        "llm_max_concurrent_requests": "--max-concurrent-requests", "llm_connect_timeout_s": "--connect-timeout-s",
        "llm_request_timeout_s": "--request-timeout-s", "llm_max_retries": "--max-retries", "llm_max_tokens": "--max-tokens",
        "llm_prompts": "--prompts", "simulated_latency": "--latency-ms", "simulated_failure_rate": "--failure-rate",
        "simulated_noise": "--noise", "llm_api_key_env": "--api-key-env",
    ]

    /// The labeler from the flags; errors name the flag.
    func makeBackend() throws -> LabelerBackend {
        do { return try choice.backend() } catch {
            guard case .invalidConfiguration(let field, let reason) = error else { throw error }
            throw ValidationError("\(Self.flags[field] ?? field) \(reason)")
        }
    }
}

extension LabelerKind: ExpressibleByArgument {}
extension LabelerChoice.Endpoint: ExpressibleByArgument {}
extension LabelerChoice.Prompts: ExpressibleByArgument {}
