import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import Synchronization
import CoreMetrics
import YendorMetrics
import YendorSupport

/// Labels through any server that speaks the OpenAI HTTP API: vLLM, llama.cpp's server,
/// Ollama, FastChat, or a hosted API.
///
/// HTTP client: for `http://` (vLLM, llama.cpp, Ollama, FastChat on a cluster) our own small
/// HTTP/1.1 client on POSIX sockets (`SocketHTTPClient`), one connection per request, with a
/// connect and a read timeout on every system call; for `https://` (hosted APIs) Foundation's
/// URLSession with the same deadlines enforced by a timer (`URLSessionHTTPClient`). Not
/// AsyncHTTPClient: it adds 22 packages and 3-7 minutes to a clean build on the 2-core build
/// machines. Not URLSession for plain http: on Linux it misses about one connection reset in
/// four (the request waits for its whole timeout) and has no connect timeout.
///
/// Per call: items go out as one request each (`chat/completions`) or several prompts per
/// request (`completions`), at most `maxConcurrentRequests` at once across all callers. Each
/// request's answers are handed over as soon as it completes (`label(_:onAnswers:)`), so a
/// slow or dead request holds only its own items. Transient failures (connect and read
/// timeouts, refused or reset connections, 429, 5xx, malformed or truncated JSON) are retried
/// with exponential backoff and jitter, honouring Retry-After; a connection that breaks is
/// retried at once, once, on a fresh connection. A circuit breaker pauses calls while the
/// server is down. A transient failure never becomes a final answer: after the retries the
/// item is reported with its transient kind and the annotator asks again later.
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
        /// Prompts per `completions` request (ignored for chat, which takes one). The prompts of
        /// one request share its fate: a slow request holds all of them.
        public var promptsPerRequest: Int = 8
        /// Requests in flight at once, across all concurrent `label` calls.
        public var maxConcurrentRequests: Int = 4
        /// Connect timeout: time allowed to open the connection (TCP, and TLS for https) and
        /// send the request. A server that does not accept in time is a `timeout`, retried.
        public var connectTimeout: Duration = .seconds(5)
        /// Read timeout: time allowed from the request sent until the whole response has
        /// arrived. An OpenAI server sends nothing before the model has finished its answer, so
        /// this bounds the model's time for one request: set it above your server's slowest
        /// answer of `maxTokens` tokens. A request that runs over is abandoned (its connection
        /// closed) and retried; no other item waits for it.
        public var requestTimeout: Duration = .seconds(30)
        /// Retries after the first attempt of a request, for transient failures (timeouts,
        /// connection errors, 429, 5xx, malformed JSON). After them the items are reported with
        /// the failure's kind, never stored; the annotator asks again later.
        public var maxRetries: Int = 4
        /// Delay between retries when the server gives no Retry-After: `initial * 2^n`, capped
        /// at `maximum`, times a random factor in `[1 - jitter, 1 + jitter]`. The first retry
        /// after a broken connection goes at once (on a fresh connection) instead.
        public var backoff = Backoff(initial: .milliseconds(500), maximum: .seconds(30), jitter: 0.25)
        /// Upper bound on an honoured Retry-After, so a bad header cannot stall us for hours.
        public var maxRetryAfter: Duration = .seconds(120)
        /// When to stop calling a server that is down, and how soon to probe it.
        public var circuitBreaker = CircuitBreaker.Configuration()
        /// Largest response body accepted, in bytes; a larger one is abandoned and retried as
        /// malformed (memory stays bounded whatever the server sends).
        public var maxResponseBytes: Int = 1 << 20
        /// `max_tokens` per answer: room for a model that reasons before its answer line.
        /// An answer cut off at this limit has no label (`no_label`), so keep it generous.
        public var maxTokens: Int = 512
        /// Sampling temperature; 0 for the most repeatable labels.
        public var temperature: Double = 0
        /// The prompt texts; their version is part of the store key.
        public var prompts: PromptSet = .builtIn
        /// Seed for the backoff jitter.
        public var jitterSeed: UInt64 = 0x5EED
        /// Which HTTP client sends the requests.
        public var transport: Transport = .automatic

        /// The HTTP client.
        public enum Transport: String, Sendable, Hashable {
            /// Our socket client for `http://`, URLSession for `https://`.
            case automatic
            /// URLSession for both. Over plain http it misses some connection resets until the
            /// read timeout (FoundationNetworking on Linux); for comparison and debugging.
            case urlSession
        }

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
            if connectTimeout <= .zero { throw .invalidConfiguration(field: "connectTimeout", reason: "must be > 0") }
            if requestTimeout <= .zero { throw .invalidConfiguration(field: "requestTimeout", reason: "must be > 0") }
            if maxRetries < 0 { throw .invalidConfiguration(field: "maxRetries", reason: "must be >= 0, got \(maxRetries)") }
            if backoff.initial < .zero || backoff.maximum < backoff.initial {
                throw .invalidConfiguration(field: "backoff", reason: "need 0 <= initial <= maximum")
            }
            if !(0...1).contains(backoff.jitter) { throw .invalidConfiguration(field: "backoff.jitter", reason: "must be in [0, 1], got \(backoff.jitter)") }
            if maxRetryAfter < .zero { throw .invalidConfiguration(field: "maxRetryAfter", reason: "must be >= 0") }
            if circuitBreaker.failureThreshold < 1 { throw .invalidConfiguration(field: "circuitBreaker.failureThreshold", reason: "must be >= 1") }
            if circuitBreaker.cooldown <= .zero { throw .invalidConfiguration(field: "circuitBreaker.cooldown", reason: "must be > 0") }
            if maxResponseBytes < 1024 { throw .invalidConfiguration(field: "maxResponseBytes", reason: "must be >= 1024, got \(maxResponseBytes)") }
            if maxTokens < 1 { throw .invalidConfiguration(field: "maxTokens", reason: "must be >= 1, got \(maxTokens)") }
            if !(0...2).contains(temperature) { throw .invalidConfiguration(field: "temperature", reason: "must be in [0, 2], got \(temperature)") }
            try prompts.validate()
        }
    }

    /// Counters since creation.
    /// The backend's counters (`annotator/llm/…`), in the registry it was given.
    struct Counters: Sendable {
        /// HTTP requests sent, retries included.
        let requests: Counter
        /// Retries (requests after the first for the same items).
        let retries: Counter
        /// Retries sent at once on a fresh connection after a broken one.
        let immediateRetries: Counter
        /// Delays slept before retries.
        let retryDelay: CoreMetrics.Timer
        /// Answers the server cut at `max_tokens` (`finish_reason` "length") without a label.
        let answersCutAtMaxTokens: Counter
        /// Requests abandoned because the caller was cancelled (e.g. the annotator stopping).
        let cancelledRequests: Counter
        /// Failed attempts by kind (timeouts, 429, 5xx, connection errors, malformed JSON), retried or not.
        private let failedAttempts: [LabelErrorKind: Counter]
        /// 1 while the server counts as failing (the circuit breaker is open: one call per cooldown
        /// goes), 0 otherwise: what to alert on, and what `yendor status` says.
        let failing: Gauge

        init(registry: MetricsRegistry) {
            func counter(_ name: String) -> Counter { Counter(label: "annotator/llm/\(name)", factory: registry) }
            requests = counter("requests")
            retries = counter("retries")
            immediateRetries = counter("immediate_retries")
            retryDelay = CoreMetrics.Timer(label: "annotator/llm/retry_delay", factory: registry)
            answersCutAtMaxTokens = counter("answers_cut_at_max_tokens")
            cancelledRequests = counter("cancelled_requests")
            failedAttempts = Dictionary(uniqueKeysWithValues: LabelErrorKind.allCases.map { ($0, counter("failed_attempts/\($0.rawValue)")) })
            failing = Gauge(label: "annotator/llm/failing", factory: registry)
            failing.record(0)
        }

        func failedAttempt(_ kind: LabelErrorKind) { failedAttempts[kind]?.increment() }
    }

    public let identity: LabelerIdentity
    /// The breaker, exposed so operators and tests can see whether the server is paused.
    public let breaker: CircuitBreaker
    private let configuration: Configuration
    private let apiKey: String?
    private let http: any HTTPClient
    private let limit: ConcurrencyLimit
    private let logger: Logger
    private let sleep: @Sendable (Duration) async throws -> Void
    /// Retry jitter.
    private let random: Mutex<SplitMix64>
    /// One line per kind of repeated failure (a refusal, retries given up, cut answers) and 10 s.
    private let logThrottle = Mutex(LogThrottle())
    /// Set when the annotator stops: requests waiting for a slot are not sent.
    private let sendingStopped = Atomic(false)
    /// Where the backend's counters are recorded (`annotator/llm/…`): the annotator's registry.
    public let metrics: MetricsRegistry
    private let counters: Counters

    /// - Parameters:
    ///   - environment: where the API key variable is looked up (the process environment by default).
    ///   - sleep: how retries wait; tests replace it to record delays instead of sleeping. It
    ///     must throw when the task is cancelled.
    public init(
        configuration: Configuration, logger: Logger,
        metrics: MetricsRegistry = MetricsRegistry(role: "annotator"),
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
        random = Mutex(SplitMix64(seed: configuration.jitterSeed))
        self.metrics = metrics
        counters = Counters(registry: metrics)
        let timeouts = HTTPTimeouts(connect: configuration.connectTimeout, read: configuration.requestTimeout)
        if configuration.transport == .automatic, configuration.baseURL.scheme?.lowercased() == "http" {
            http = SocketHTTPClient(timeouts: timeouts, maxResponseBytes: configuration.maxResponseBytes)
        } else {
            http = URLSessionHTTPClient(timeouts: timeouts, maxConnections: configuration.maxConcurrentRequests,
                                        maxResponseBytes: configuration.maxResponseBytes)
        }
    }

    public func label(_ requests: [LabelRequest]) async -> [LabelerAnswer] {
        let collected = Mutex([LabelerAnswer?](repeating: nil, count: requests.count))
        await label(requests) { answers in
            collected.withLock { for (index, answer) in answers { $0[index] = answer } }
        }
        return collected.withLock { answers in
            answers.map { $0 ?? LabelerAnswer(outcome: .failed(.cancelled), rawResponse: "no answer", latency: .zero) }
        }
    }

    /// Sends one request per item (chat) or per `promptsPerRequest` items (completions) and
    /// hands each request's answers to `onAnswers` as soon as that request is done. When the
    /// calling task is cancelled, requests in flight are cancelled at once and their items
    /// answered `.failed(.cancelled)`; answers already received are delivered first.
    public func label(_ requests: [LabelRequest],
                      onAnswers: @escaping @Sendable ([(index: Int, answer: LabelerAnswer)]) async -> Void) async {
        let chunkSize = configuration.endpoint == .completions ? configuration.promptsPerRequest : 1
        await withTaskGroup(of: Void.self) { group in
            for start in stride(from: 0, to: requests.count, by: chunkSize) {
                let chunk = Array(requests[start..<min(start + chunkSize, requests.count)])
                group.addTask {
                    await self.limit.acquire()
                    // Stopping: what reached the server may deliver; nothing new is paid for.
                    let answers = self.sendingStopped.load(ordering: .relaxed)
                        ? self.cancelled(chunk, since: ContinuousClock.now) : await self.send(chunk)
                    await self.limit.release()
                    await onAnswers(answers.enumerated().map { (start + $0.offset, $0.element) })
                }
            }
        }
    }

    public func stopSendingNewRequests() { sendingStopped.store(true, ordering: .relaxed) }

    // MARK: - One request with retries

    /// A failed attempt: what to report if it is the last, and how to retry it.
    private struct Failure {
        var kind: LabelErrorKind
        var message: String
        var retryAfter: Duration? = nil
        /// The connection broke (refused, reset, closed early): retry at once, fresh.
        var connectionBroke = false
    }

    /// Reports a call's outcome to the breaker and logs when it opens or closes (while it is open,
    /// one request per cooldown reaches the server and nothing else would say so).
    private func recordOutcome(serverAlive: Bool, what: String) async {
        switch await breaker.record(serverAlive: serverAlive) {
        case .opened:
            counters.failing.record(1)
            logger.error("LLM server at \(configuration.baseURL) failing (\(configuration.circuitBreaker.failureThreshold) requests in a row, the last: \(what.prefix(200))); asking it once every \(configuration.circuitBreaker.cooldown) until it answers")
        case .closed:
            counters.failing.record(0)
            logger.notice("LLM server at \(configuration.baseURL) answers again")
        case nil:
            break
        }
    }

    /// Sends one HTTP request for `requests` (one or several prompts), retrying transient
    /// failures, and returns one answer per request.
    private func send(_ requests: [LabelRequest]) async -> [LabelerAnswer] {
        let start = ContinuousClock.now
        let url = configuration.baseURL.appendingPathComponent(configuration.endpoint.rawValue)
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
        if let apiKey { headers.append(("Authorization", "Bearer \(apiKey)")) }
        let body = requestBody(for: requests)
        var retry = 0
        var freshConnection = false
        var retriedAtOnce = false
        while true {
            if Task.isCancelled { return cancelled(requests, since: start) }
            do { try await breaker.acquire() } catch { return cancelled(requests, since: start) }
            // Stopping: an attempt not sent yet (a retry, one held by the breaker) would be paid
            // for and its answer thrown away.
            if sendingStopped.load(ordering: .relaxed) { return cancelled(requests, since: start) }
            counters.requests.increment()
            let outcome = await http.post(url: url, headers: headers, body: body, freshConnection: freshConnection)
            let failure: Failure
            switch outcome {
            case .cancelled:
                return cancelled(requests, since: start)
            case .response(let status, let data, let retryAfter):
                await recordOutcome(serverAlive: status < 400 || status == 429, what: "HTTP \(status)")
                let text = String(decoding: data.prefix(500), as: UTF8.self)
                switch status {
                case 200..<300:
                    switch parse(data, for: requests, since: start) {
                    case .success(let answers): return answers
                    case .failure(let malformed): failure = Failure(kind: .malformedResponse, message: malformed.message)
                    }
                case 429:
                    failure = Failure(kind: .rateLimited, message: "HTTP 429: \(text)", retryAfter: retryAfter.flatMap(Self.parseRetryAfter))
                case 500...:
                    failure = Failure(kind: .serverError, message: "HTTP \(status): \(text)", retryAfter: retryAfter.flatMap(Self.parseRetryAfter))
                default:
                    // Every request fails alike (a wrong model, a bad key): one line per status and 10 s.
                    if let suppressed = logThrottle.withLock({ $0.shouldLog("\(status)", now: MonotonicClock.seconds) }) {
                        logger.error("LLM server refused the request", metadata: [
                            "status": "\(status)", "body": "\(text.prefix(200))", "url": "\(url)", "model": "\(configuration.model)",
                            "not_logged": "\(suppressed)"])
                    }
                    counters.failedAttempt(.rejected)
                    return failed(requests, .rejected, "HTTP \(status): \(text)", since: start)
                }
            case .connectionFailed(let message):
                await recordOutcome(serverAlive: false, what: message)
                failure = Failure(kind: .transport, message: message, connectionBroke: true)
            case .timedOut(let phase, let after):
                await recordOutcome(serverAlive: false, what: "\(phase.rawValue) timeout")
                failure = Failure(kind: .timeout, message: "\(phase.rawValue) timeout after \(after.seconds) s")
            case .tooLarge(let bytes):
                await recordOutcome(serverAlive: true, what: "a response too large")
                failure = Failure(kind: .malformedResponse, message: "response body over \(configuration.maxResponseBytes) bytes (\(bytes) so far)")
            }
            counters.failedAttempt(failure.kind)
            guard retry < configuration.maxRetries else {
                // Every request fails alike while the server does: one line per kind and 10 s.
                if let suppressed = logThrottle.withLock({ $0.shouldLog("retries \(failure.kind.rawValue)", now: MonotonicClock.seconds) }) {
                    logger.warning("LLM request failed after retries", metadata: [
                        "kind": "\(failure.kind.rawValue)", "retries": "\(retry)", "error": "\(failure.message.prefix(200))",
                        "not_logged": "\(suppressed)"])
                }
                return failed(requests, failure.kind, failure.message, since: start)
            }
            let atOnce = failure.connectionBroke && !retriedAtOnce
            retriedAtOnce = retriedAtOnce || atOnce
            freshConnection = failure.connectionBroke
            let honoured = failure.retryAfter.map { min($0, configuration.maxRetryAfter) }
            let delay = atOnce ? .zero
                : configuration.backoff.delay(retry: retry, retryAfter: honoured, unit: random.withLock { $0.unit() })
            counters.retries.increment()
            if atOnce { counters.immediateRetries.increment() }
            counters.retryDelay.recordNanoseconds(Int64(delay.components.seconds) * 1_000_000_000 + delay.components.attoseconds / 1_000_000_000)
            logger.debug("retrying LLM request", metadata: [
                "kind": "\(failure.kind.rawValue)", "delay_s": "\(delay.seconds)", "error": "\(failure.message.prefix(200))"])
            if delay > .zero {
                do { try await sleep(delay) } catch { return cancelled(requests, since: start) }
            }
            retry += 1
        }
    }

    /// Retry-After is either delay-seconds or an HTTP date (RFC 9110, section 10.2.3).
    static func parseRetryAfter(_ value: String) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds >= 0 { return .seconds(clamping: seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return .seconds(clamping: date.timeIntervalSinceNow)
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
            body["prompt"] = prompts.map { $0 + configuration.prompts.answerFormat.completionCue }
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
            var finish_reason: String?
        }
        var choices: [Choice]
    }

    private struct Malformed: Error { var message: String }

    /// The answers in a 2xx body; a body that is not OpenAI JSON (bad or truncated) fails as a
    /// whole and is retried. A choice missing for one prompt fails only that item (transient).
    private func parse(_ data: Data, for requests: [LabelRequest], since start: ContinuousClock.Instant) -> Result<[LabelerAnswer], Malformed> {
        guard let response = try? JSONDecoder().decode(Response.self, from: data) else {
            let raw = String(decoding: data.prefix(500), as: UTF8.self)
            logger.debug("LLM server sent malformed JSON", metadata: ["body": "\(raw.prefix(200))"])
            return .failure(Malformed(message: "malformed JSON (\(data.count) bytes): \(raw)"))
        }
        let latency = ContinuousClock.now - start
        return .success(requests.enumerated().map { position, request in
            let choice = response.choices.first { $0.index == position }
                ?? (response.choices.indices.contains(position) && response.choices[position].index == nil ? response.choices[position] : nil)
            guard let choice, let text = choice.message?.content ?? choice.text else {
                return LabelerAnswer(outcome: .failed(.malformedResponse), rawResponse: "no choice \(position) in the response", latency: latency)
            }
            // A completion model may answer the bare word, then ramble on; a chat answer's first
            // line followed by more text is not its verdict (the prompt asks for the last line).
            guard let label = LabelParser.label(text, for: request.task, format: configuration.prompts.answerFormat,
                                                firstLineAnswers: configuration.endpoint == .completions) else {
                if choice.finish_reason == "length" {
                    counters.answersCutAtMaxTokens.increment()
                    if let suppressed = logThrottle.withLock({ $0.shouldLog("cut off", now: MonotonicClock.seconds) }) {
                        logger.warning("the LLM server cut answers at max_tokens before their label: raise it (--max-tokens, reward.llm_max_tokens); these items are not stored and are asked again", metadata: [
                            "max_tokens": "\(configuration.maxTokens)", "answer_end": "\(text.suffix(120))", "not_logged": "\(suppressed)"])
                    }
                    return LabelerAnswer(outcome: .failed(.cutOff), rawResponse: text, latency: latency)
                }
                return LabelerAnswer(outcome: .failed(.noLabel), rawResponse: text, latency: latency)
            }
            return LabelerAnswer(outcome: .labeled(label), rawResponse: text, latency: latency)
        })
    }

    private func failed(_ requests: [LabelRequest], _ kind: LabelErrorKind, _ message: String, since start: ContinuousClock.Instant) -> [LabelerAnswer] {
        let latency = ContinuousClock.now - start
        return requests.map { _ in LabelerAnswer(outcome: .failed(kind), rawResponse: message, latency: latency) }
    }

    private func cancelled(_ requests: [LabelRequest], since start: ContinuousClock.Instant) -> [LabelerAnswer] {
        counters.cancelledRequests.increment()
        return failed(requests, .cancelled, "stopped before an answer arrived (not received, asked again later)", since: start)
    }
}
