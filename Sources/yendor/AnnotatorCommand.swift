import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import YendorAnnotator
import YendorRuntime
import ZeroMQ

/// `yendor annotator`: the annotator role (ROUTER for requests, PUB for labels) with a label store.
struct AnnotatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "annotator",
        abstract: "Run the annotator: labels captions with an LLM (or the built-in lexicon), stores and publishes them.",
        discussion: """
            Examples:
              yendor annotator                                   (lexicon backend, a stand-in for an LLM)
              yendor annotator --backend openai --llm-url http://127.0.0.1:8000/v1 --model llama-3-8b
              yendor annotator --backend simulated --latency-ms 500 --failure-rate 0.05 --noise 0.1
            Prints "annotator ready" on stdout once both sockets are bound, then a status line periodically.
            """)

    @Option(help: "Labeler: lexicon (default, a stand-in for an LLM), openai, simulated.")
    var backend: String = "lexicon"

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

    @Option(help: "Label store (SQLite file, created if absent, shared across runs).")
    var store: String = "annotator-labels.sqlite"

    @Option(name: .customLong("curve-secret-key-file"), help: "CURVE: this annotator's secret key file (yendor keys generate); turns encryption on.")
    var curveSecretKeyFile: String?

    @Option(name: .customLong("curve-allowed-clients"), help: "CURVE: directory of .pub files of the clients allowed in (required with CURVE unless --curve-allow-any).")
    var curveAllowedClients: String?

    @Flag(name: .customLong("curve-allow-any"), help: "CURVE without an allow-list: admit any client that has the annotator's public key (it refuses to start otherwise).")
    var curveAllowAny = false

    @Option(help: "ROUTER endpoint for requests.")
    var requests: String = "tcp://0.0.0.0:5557"

    @Option(help: "PUB endpoint for labels, heartbeats and stats.")
    var labels: String = "tcp://0.0.0.0:5558"

    @Option(name: .customLong("queue-capacity"), help: "Pending requests kept; when full the oldest are dropped.")
    var queueCapacity: Int = 10_000

    @Option(name: .customLong("batch-size"), help: "Items per labeler call.")
    var batchSize: Int = 16

    @Option(name: .customLong("max-concurrent-batches"), help: "Labeler calls in flight at once.")
    var maxConcurrentBatches: Int = 4

    @Option(name: .customLong("max-answer-attempts"), help: "Answers without a label before an item is stored as unlabelable (transient failures never count).")
    var maxAnswerAttempts: Int = 3

    @Option(name: .customLong("retry-delay-s"), help: "Delay before an item that failed is asked again, seconds; doubles per failure, up to 300 s.")
    var retryDelay: Double = 5

    @Option(name: .customLong("shutdown-grace-s"), help: "On SIGTERM/SIGINT: time labeler calls in flight may still deliver their answers before they are cancelled, seconds.")
    var shutdownGrace: Double = 3

    @Option(help: "Peer id in Hello, Heartbeat, Stats and Goodbye messages.")
    var id: String = "annotator"

    @Option(name: .customLong("status-interval-s"), help: "Seconds between status lines on stdout (0: none).")
    var statusInterval: Double = 10

    @Option(name: .customLong("prometheus-port"), help: "Serve Prometheus metrics on this port at /metrics (0: off).")
    var prometheusPort: Int = 0

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level: '\(logLevel)' is not one of trace, debug, info, notice, warning, error")
        }
        LoggingBootstrap.once
        var logger = Logger(label: "yendor")
        logger.logLevel = level
        logger[metadataKey: "role"] = "annotator"

        var c = AnnotatorServer.Configuration()
        c.requestsEndpoint = requests
        c.labelsEndpoint = labels
        c.storePath = store
        c.backend = try makeBackend()
        c.annotator.queueCapacity = queueCapacity
        c.annotator.batchSize = batchSize
        c.annotator.maxConcurrentBatches = maxConcurrentBatches
        c.annotator.maxAnswerAttempts = maxAnswerAttempts
        guard retryDelay >= 0, retryDelay <= 300 else { throw ValidationError("--retry-delay-s must be in [0, 300], got \(retryDelay)") }
        c.annotator.retryBackoff.initial = Self.duration(retryDelay)
        guard shutdownGrace >= 0 else { throw ValidationError("--shutdown-grace-s must be >= 0, got \(shutdownGrace)") }
        c.annotator.shutdownGrace = Self.duration(shutdownGrace)
        c.id = id
        c.statusInterval = statusInterval > 0 ? Self.duration(statusInterval) : nil

        let context = try Context()
        defer { context.terminate() }
        var authenticator: CurveAuthenticator?
        if let curveSecretKeyFile {
            guard curveAllowedClients != nil || curveAllowAny else {
                throw ValidationError("--curve-secret-key-file without --curve-allowed-clients: any client that has this annotator's public key could connect. "
                    + "Pass --curve-allowed-clients DIR (a directory of the clients' .pub files), or --curve-allow-any to accept any client with the public key")
            }
            if curveAllowedClients == nil {
                logger.warning("CURVE is on WITHOUT an allow-list (--curve-allow-any): any client that has this annotator's public key can connect and ask for labels. The public key is not a secret; pass --curve-allowed-clients DIR to admit only the keys in DIR/*.pub")
            }
            do {
                c.security = [.curveServer(secretKey: try CurveKeyPair.readKey(from: curveSecretKeyFile))]
                if let curveAllowedClients {
                    authenticator = try CurveAuthenticator(context: context, allowedPublicKeys: try CurveAuthenticator.publicKeys(inDirectory: curveAllowedClients))
                }
            } catch {
                throw ValidationError("--curve-secret-key-file/--curve-allowed-clients: \(error)")
            }
        }
        defer { if let authenticator { Task { await authenticator.close() } } }
        let server: AnnotatorServer
        do {
            server = try AnnotatorServer(configuration: c, context: context, logger: logger, onListening: {
                Self.say("annotator ready requests \(requests) labels \(labels)")
            }, onStatus: { Self.say($0) })
        } catch {
            throw ValidationError("\(error)")
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: server, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)]
        if prometheusPort > 0 {
            guard prometheusPort <= 65535 else { throw ValidationError("--prometheus-port must be in 1...65535, got \(prometheusPort)") }
            let endpoint = PrometheusEndpoint(port: prometheusPort, logger: logger)
            let recorder = PeriodicRecorder(role: "annotator", interval: 1) {
                (await server.statistics()).metrics.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            }
            services += [.init(service: recorder, successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup),
                         .init(service: endpoint, successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup)]
        }
        var groupConfiguration = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
        // The role stops within the grace plus a few seconds; this is only a backstop.
        groupConfiguration.maximumGracefulShutdownDuration = c.annotator.shutdownGrace + .seconds(30)
        try await ServiceGroup(configuration: groupConfiguration).run()
        Self.say((await server.statistics()).statusLine)
    }

    /// The labeler from the flags; errors name the flag.
    private func makeBackend() throws -> LabelerBackend {
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
            if let prompts {
                do { o.prompts = try PromptSet.load(from: URL(fileURLWithPath: prompts)) } catch {
                    throw ValidationError("--prompts: \(error)")
                }
            }
            return o
        }
        switch backend {
        case "lexicon":
            return .lexicon
        case "openai":
            return .openai(try openAI())
        case "simulated":
            guard latencyMs >= 0 else { throw ValidationError("--latency-ms must be >= 0, got \(latencyMs)") }
            let simulation = SimulatedLabeler.Configuration(latency: .milliseconds(latencyMs), failureRate: failureRate,
                                                            labelNoise: noise, seed: seed)
            return .simulated(simulation, wrapping: llmURL == nil ? .lexicon : .openai(try openAI()))
        default:
            throw ValidationError("--backend: '\(backend)' is not one of lexicon, openai, simulated")
        }
    }

    private static func duration(_ seconds: Double) -> Duration { .milliseconds(Int64((seconds * 1000).rounded())) }

    /// A line on stdout, flushed at once (stdout is a pipe under Slurm and in tests).
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
