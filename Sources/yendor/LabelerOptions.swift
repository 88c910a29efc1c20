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
    var llmEndpoint: String = "chat"

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
    var promptSet: String = "yendor"

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

    /// The labeler from the flags; errors name the flag.
    func makeBackend() throws -> LabelerBackend {
        func openAI() throws -> OpenAILabeler.Configuration {
            guard let llmURL, let url = URL(string: llmURL) else { throw ValidationError("--llm-url is required for --backend openai") }
            guard let model, !model.isEmpty else { throw ValidationError("--model is required with --llm-url") }
            var o = OpenAILabeler.Configuration(baseURL: url, model: model, apiKeyEnvironmentVariable: apiKeyEnv)
            switch llmEndpoint {
            case "chat": o.endpoint = .chatCompletions
            case "completions": o.endpoint = .completions
            default: throw ValidationError("--llm-endpoint: '\(llmEndpoint)' is not one of chat, completions")
            }
            o.promptsPerRequest = promptsPerRequest
            o.maxConcurrentRequests = maxConcurrentRequests
            guard connectTimeout > 0 else { throw ValidationError("--connect-timeout-s must be > 0, got \(connectTimeout)") }
            guard requestTimeout > 0 else { throw ValidationError("--request-timeout-s must be > 0, got \(requestTimeout)") }
            o.connectTimeout = Self.duration(connectTimeout)
            o.requestTimeout = Self.duration(requestTimeout)
            o.maxRetries = maxRetries
            o.maxTokens = maxTokens
            guard let named = PromptSet.named(promptSet) else {
                throw ValidationError("--prompt-set: '\(promptSet)' is not one of yendor, oni")
            }
            o.prompts = named
            if let prompts {
                do { o.prompts = try PromptSet.load(from: URL(fileURLWithPath: prompts)) } catch {
                    throw ValidationError("--prompts: \(error)")
                }
            }
            return o
        }
        guard latencyMs >= 0 else { throw ValidationError("--latency-ms must be >= 0, got \(latencyMs)") }
        let simulation = SimulatedLabeler.Configuration(latency: .milliseconds(latencyMs), failureRate: failureRate,
                                                        labelNoise: noise, seed: seed)
        let server = backend == .openai || llmURL != nil ? try openAI() : nil
        return try LabelerBackend.named(backend, openAI: server, simulation: simulation)
    }

    static func duration(_ seconds: Double) -> Duration { .milliseconds(Int64((seconds * 1000).rounded())) }
}

extension LabelerKind: ExpressibleByArgument {}
