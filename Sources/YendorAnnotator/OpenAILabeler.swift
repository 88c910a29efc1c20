import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import Synchronization

/// Labels through any server that speaks the OpenAI HTTP API: vLLM, llama.cpp's server,
/// Ollama, FastChat, or a hosted API.
///
/// HTTP client: Foundation's URLSession (FoundationNetworking on Linux), not AsyncHTTPClient.
/// AsyncHTTPClient adds 22 packages and 3-7 minutes to a clean build on this 2-core machine;
/// URLSession's async `data(for:)` already does JSON POSTs with keep-alive at about 1.3 ms per
/// request on loopback, far below any LLM's latency.
///
/// Per call: items go out as one request each (`chat/completions`) or several prompts per
/// request (`completions`), at most `maxConcurrentRequests` at once across all callers.
/// Timeouts, connection errors, 429 and 5xx are retried with exponential backoff and jitter,
/// honouring Retry-After; a circuit breaker pauses calls while the server is down.
public final class OpenAILabeler: Labeler {
    public struct Configuration: Sendable {
        /// Which OpenAI endpoint to call.
        public enum Endpoint: String, Sendable, Hashable {
            /// `POST {baseURL}/chat/completions`, one prompt per request.
            case chatCompletions = "chat/completions"
            /// `POST {baseURL}/completions`, up to `promptsPerRequest` prompts per request.
            case completions
        }

        /// The API root including the version, e.g. `http://127.0.0.1:8000/v1`.
        public var baseURL: URL
        /// Model name sent in every request, and part of the store key.
        public var model: String
        /// Name of the environment variable holding the API key (sent as a Bearer token);
        /// `nil` for local servers that need none. The key itself never lives in a config file.
        public var apiKeyEnvironmentVariable: String?
        /// Chat or plain completions.
        public var endpoint: Endpoint = .chatCompletions
        /// Prompts per `completions` request (ignored for chat, which takes one).
        public var promptsPerRequest: Int = 8
        /// Requests in flight at once, across all concurrent `label` calls.
        public var maxConcurrentRequests: Int = 4
        /// Time allowed for one HTTP request with no answer before it counts as a timeout.
        public var requestTimeout: Duration = .seconds(60)
        /// Retries after the first attempt, for timeouts, connection errors, 429 and 5xx.
        public var maxRetries: Int = 4
        /// Delay between retries when the server gives no Retry-After.
        public var backoff = Backoff(initial: .milliseconds(500), maximum: .seconds(30), jitter: 0.25)
        /// Upper bound on an honoured Retry-After, so a bad header cannot stall us for hours.
        public var maxRetryAfter: Duration = .seconds(120)
        /// When to stop calling a server that is down, and how soon to probe it.
        public var circuitBreaker = CircuitBreaker.Configuration()
        /// `max_tokens` per answer; room for a short reasoning plus the answer line.
        public var maxTokens: Int = 64
        /// Sampling temperature; 0 for the most repeatable labels.
        public var temperature: Double = 0
        /// The prompt texts; their version is part of the store key.
        public var prompts: PromptSet = .builtIn
        /// Seed for the backoff jitter.
        public var jitterSeed: UInt64 = 0x5EED

        public init(baseURL: URL, model: String, apiKeyEnvironmentVariable: String? = nil) {
            self.baseURL = baseURL
            self.model = model
            self.apiKeyEnvironmentVariable = apiKeyEnvironmentVariable
        }

        public func validate() throws(AnnotatorError) {
            guard let scheme = baseURL.scheme, ["http", "https"].contains(scheme), baseURL.host != nil else {
                throw .invalidConfiguration(field: "baseURL", reason: "must be an http(s) URL with a host, got '\(baseURL.absoluteString)'")
            }
            if model.isEmpty { throw .invalidConfiguration(field: "model", reason: "must not be empty") }
            if promptsPerRequest < 1 { throw .invalidConfiguration(field: "promptsPerRequest", reason: "must be >= 1, got \(promptsPerRequest)") }
            if maxConcurrentRequests < 1 { throw .invalidConfiguration(field: "maxConcurrentRequests", reason: "must be >= 1, got \(maxConcurrentRequests)") }
            if requestTimeout <= .zero { throw .invalidConfiguration(field: "requestTimeout", reason: "must be > 0") }
            if maxRetries < 0 { throw .invalidConfiguration(field: "maxRetries", reason: "must be >= 0, got \(maxRetries)") }
            if backoff.initial < .zero || backoff.maximum < backoff.initial {
                throw .invalidConfiguration(field: "backoff", reason: "need 0 <= initial <= maximum")
            }
            if !(0...1).contains(backoff.jitter) { throw .invalidConfiguration(field: "backoff.jitter", reason: "must be in [0, 1], got \(backoff.jitter)") }
            if maxRetryAfter < .zero { throw .invalidConfiguration(field: "maxRetryAfter", reason: "must be >= 0") }
            if circuitBreaker.failureThreshold < 1 { throw .invalidConfiguration(field: "circuitBreaker.failureThreshold", reason: "must be >= 1") }
            if circuitBreaker.cooldown <= .zero { throw .invalidConfiguration(field: "circuitBreaker.cooldown", reason: "must be > 0") }
            if maxTokens < 1 { throw .invalidConfiguration(field: "maxTokens", reason: "must be >= 1, got \(maxTokens)") }
            if !(0...2).contains(temperature) { throw .invalidConfiguration(field: "temperature", reason: "must be in [0, 2], got \(temperature)") }
            try prompts.validate()
        }
    }

    /// Counters since creation.
    public struct Statistics: Sendable, Equatable {
        /// HTTP requests sent, retries included.
        public var requests = 0
        /// Retries (requests after the first for the same items).
        public var retries = 0
        /// Failed attempts by kind (timeouts, 429, 5xx, connection errors), retried or not.
        public var failedAttempts: [LabelErrorKind: Int] = [:]
        /// Delays slept before retries, most recent last (at most 64 kept).
        public var retryDelays: [Duration] = []
    }

    public let identity: LabelerIdentity
    /// The breaker, exposed so operators and tests can see whether the server is paused.
    public let breaker: CircuitBreaker
    private let configuration: Configuration
    private let apiKey: String?
    private let session: URLSession
    private let limit: ConcurrencyLimit
    private let logger: Logger
    private let sleep: @Sendable (Duration) async throws -> Void
    private let state: Mutex<(random: SeededRandom, statistics: Statistics)>

    /// - Parameters:
    ///   - environment: where the API key variable is looked up (the process environment by default).
    ///   - sleep: how retries wait; tests replace it to record delays instead of sleeping.
    public init(
        configuration: Configuration, logger: Logger,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) throws(AnnotatorError) {
        try configuration.validate()
        if let variable = configuration.apiKeyEnvironmentVariable {
            guard let key = environment[variable], !key.isEmpty else {
                throw .invalidConfiguration(field: "apiKeyEnvironmentVariable", reason: "environment variable \(variable) is not set")
            }
            apiKey = key
        } else {
            apiKey = nil
        }
        self.configuration = configuration
        self.logger = logger
        self.sleep = sleep
        identity = LabelerIdentity(backend: "openai", model: configuration.model, promptVersion: configuration.prompts.version)
        breaker = CircuitBreaker(configuration: configuration.circuitBreaker)
        limit = ConcurrencyLimit(limit: configuration.maxConcurrentRequests)
        state = Mutex((SeededRandom(seed: configuration.jitterSeed), Statistics()))
        let sessionConfiguration = URLSessionConfiguration.ephemeral
        sessionConfiguration.httpMaximumConnectionsPerHost = configuration.maxConcurrentRequests
        sessionConfiguration.timeoutIntervalForRequest = configuration.requestTimeout.seconds
        session = URLSession(configuration: sessionConfiguration)
    }

    deinit { session.invalidateAndCancel() }

    public var statistics: Statistics { state.withLock { $0.statistics } }

    public func label(_ requests: [LabelRequest]) async -> [LabelerAnswer] {
        let chunkSize = configuration.endpoint == .completions ? configuration.promptsPerRequest : 1
        let chunks = stride(from: 0, to: requests.count, by: chunkSize).map {
            (start: $0, requests: Array(requests[$0..<min($0 + chunkSize, requests.count)]))
        }
        var answers = [LabelerAnswer?](repeating: nil, count: requests.count)
        await withTaskGroup(of: (Int, [LabelerAnswer]).self) { group in
            for chunk in chunks {
                group.addTask {
                    await self.limit.acquire()
                    let result = await self.send(chunk.requests)
                    await self.limit.release()
                    return (chunk.start, result)
                }
            }
            for await (start, result) in group {
                for (offset, answer) in result.enumerated() { answers[start + offset] = answer }
            }
        }
        return answers.map { $0! }
    }

    // MARK: - One request with retries

    private enum Attempt {
        case response(status: Int, body: Data, retryAfter: Duration?)
        case failure(LabelErrorKind, String)
    }

    /// Sends one HTTP request for `requests` (one or several prompts), retrying transient
    /// failures, and returns one answer per request.
    private func send(_ requests: [LabelRequest]) async -> [LabelerAnswer] {
        let start = ContinuousClock.now
        let body = requestBody(for: requests)
        var retry = 0
        while true {
            do { try await breaker.acquire() } catch {
                return failed(requests, .transport, "cancelled while the circuit breaker was open", since: start)
            }
            state.withLock { $0.statistics.requests += 1 }
            let attempt = await post(body)
            let transient: (kind: LabelErrorKind, message: String, retryAfter: Duration?)
            switch attempt {
            case .response(let status, let data, let retryAfter):
                await breaker.record(serverAlive: status < 500)
                let text = String(decoding: data, as: UTF8.self)
                switch status {
                case 200..<300:
                    return parse(data, for: requests, since: start)
                case 429:
                    transient = (.rateLimited, "HTTP 429: \(text)", retryAfter)
                case 500...:
                    transient = (.serverError, "HTTP \(status): \(text)", retryAfter)
                default:
                    logger.error("LLM server refused the request", metadata: ["status": "\(status)", "body": "\(text.prefix(200))"])
                    return failed(requests, .rejected, "HTTP \(status): \(text)", since: start)
                }
            case .failure(let kind, let message):
                await breaker.record(serverAlive: false)
                transient = (kind, message, nil)
            }
            state.withLock { $0.statistics.failedAttempts[transient.kind, default: 0] += 1 }
            guard retry < configuration.maxRetries, !Task.isCancelled else {
                logger.warning("LLM request failed after retries", metadata: ["kind": "\(transient.kind.rawValue)", "retries": "\(retry)"])
                return failed(requests, transient.kind, transient.message, since: start)
            }
            let honoured = transient.retryAfter.map { min($0, configuration.maxRetryAfter) }
            let delay = state.withLock { state in
                let delay = configuration.backoff.delay(retry: retry, retryAfter: honoured, unit: state.random.unit())
                state.statistics.retries += 1
                state.statistics.retryDelays.append(delay)
                if state.statistics.retryDelays.count > 64 { state.statistics.retryDelays.removeFirst() }
                return delay
            }
            logger.debug("retrying LLM request", metadata: ["kind": "\(transient.kind.rawValue)", "delay_s": "\(delay.seconds)"])
            do { try await sleep(delay) } catch {
                return failed(requests, transient.kind, transient.message, since: start)
            }
            retry += 1
        }
    }

    private func post(_ body: Data) async -> Attempt {
        var request = URLRequest(url: configuration.baseURL.appendingPathComponent(configuration.endpoint.rawValue))
        request.httpMethod = "POST"
        request.httpBody = body
        request.timeoutInterval = configuration.requestTimeout.seconds
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let apiKey { request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization") }
        do {
            let (data, response) = try await session.data(for: request)
            guard let http = response as? HTTPURLResponse else {
                return .failure(.transport, "not an HTTP response")
            }
            let retryAfter = (http.value(forHTTPHeaderField: "Retry-After")).flatMap(Self.parseRetryAfter)
            return .response(status: http.statusCode, body: data, retryAfter: retryAfter)
        } catch let error as URLError where error.code == .timedOut {
            return .failure(.timeout, "timed out after \(configuration.requestTimeout)")
        } catch {
            return .failure(.transport, "\(error)")
        }
    }

    /// Retry-After is either delay-seconds or an HTTP date (RFC 9110, section 10.2.3).
    static func parseRetryAfter(_ value: String) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds >= 0 { return .milliseconds(Int64(seconds * 1000)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return .milliseconds(Int64(max(0, date.timeIntervalSinceNow) * 1000))
    }

    // MARK: - Bodies and parsing

    private func requestBody(for requests: [LabelRequest]) -> Data {
        let prompts = requests.map { configuration.prompts.render($0) }
        var body: [String: Any] = [
            "model": configuration.model,
            "max_tokens": configuration.maxTokens,
            "temperature": configuration.temperature,
        ]
        switch configuration.endpoint {
        case .chatCompletions:
            body["messages"] = [["role": "user", "content": prompts[0]]]
        case .completions:
            // A plain completion model continues the text: end on the answer cue.
            body["prompt"] = prompts.map { $0 + "\n\nAnswer:" }
        }
        // Only strings, numbers, arrays and dictionaries: serialisation cannot fail.
        return (try? JSONSerialization.data(withJSONObject: body)) ?? Data()
    }

    private struct Response: Decodable {
        struct Choice: Decodable {
            struct Message: Decodable { var content: String? }
            var index: Int?
            var message: Message?
            var text: String?
        }
        var choices: [Choice]
    }

    private func parse(_ data: Data, for requests: [LabelRequest], since start: ContinuousClock.Instant) -> [LabelerAnswer] {
        let raw = String(decoding: data, as: UTF8.self)
        guard let response = try? JSONDecoder().decode(Response.self, from: data) else {
            logger.warning("LLM server sent malformed JSON", metadata: ["body": "\(raw.prefix(200))"])
            return failed(requests, .malformedResponse, raw, since: start)
        }
        let latency = ContinuousClock.now - start
        return requests.enumerated().map { position, request in
            let choice = response.choices.first { $0.index == position }
                ?? (response.choices.indices.contains(position) && response.choices[position].index == nil ? response.choices[position] : nil)
            guard let text = choice?.message?.content ?? choice?.text else {
                return LabelerAnswer(outcome: .failed(.malformedResponse), rawResponse: raw, latency: latency)
            }
            guard let label = LabelParser.label(text, for: request.task) else {
                return LabelerAnswer(outcome: .failed(.noLabel), rawResponse: text, latency: latency)
            }
            return LabelerAnswer(outcome: .labeled(label), rawResponse: text, latency: latency)
        }
    }

    private func failed(_ requests: [LabelRequest], _ kind: LabelErrorKind, _ message: String, since start: ContinuousClock.Instant) -> [LabelerAnswer] {
        let latency = ContinuousClock.now - start
        return requests.map { _ in LabelerAnswer(outcome: .failed(kind), rawResponse: message, latency: latency) }
    }
}
