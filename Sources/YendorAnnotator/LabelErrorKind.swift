/// Why an item has no label. Transient kinds are queued again; answer kinds count against
/// `Annotator.Configuration.maxAnswerAttempts`; `unlabelable` is final and stored.
public enum LabelErrorKind: String, Hashable, Sendable, Codable, CaseIterable {
    /// No response within the per-request timeout, after every retry.
    case timeout
    /// The server answered 429 after every retry.
    case rateLimited = "rate_limited"
    /// The server answered 5xx after every retry.
    case serverError = "server_error"
    /// The connection failed (refused, reset, DNS) after every retry.
    case transport
    /// The server refused the request (4xx other than 429): usually a configuration mistake.
    case rejected
    /// The body was not the JSON the OpenAI API specifies.
    case malformedResponse = "malformed_response"
    /// The answer had no recognisable label.
    case noLabel = "no_label"
    /// The simulated backend injected a failure.
    case simulatedFailure = "simulated_failure"
    /// Answer errors repeated `maxAnswerAttempts` times: final, stored, never asked again.
    case unlabelable

    /// Transient errors say nothing about the item; the annotator queues it again.
    public var isTransient: Bool {
        switch self {
        case .timeout, .rateLimited, .serverError, .transport, .simulatedFailure: true
        case .rejected, .malformedResponse, .noLabel, .unlabelable: false
        }
    }

    /// Answer errors are about what the model said; retried a bounded number of times.
    public var isAnswerError: Bool { self == .malformedResponse || self == .noLabel }
}
