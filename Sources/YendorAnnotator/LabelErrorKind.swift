/// Why an item has no label. Transient kinds are queued again (never stored); `noLabel`, the
/// model's well-formed non-answer, counts against `Annotator.Configuration.maxAnswerAttempts`;
/// `unlabelable` is final and stored.
public enum LabelErrorKind: String, Hashable, Sendable, Codable, CaseIterable {
    /// The connect or the read timeout passed, after every retry.
    case timeout
    /// The server answered 429 after every retry.
    case rateLimited = "rate_limited"
    /// The server answered 5xx after every retry.
    case serverError = "server_error"
    /// The connection failed (refused, reset, closed early, DNS) after every retry.
    case transport
    /// The server refused the request (4xx other than 429): usually a configuration mistake.
    case rejected
    /// The body was not the JSON the OpenAI API specifies (bad, truncated, too large, or a
    /// choice missing): a fault of the server or the connection, not of the model's answer.
    case malformedResponse = "malformed_response"
    /// The answer had no recognisable label.
    case noLabel = "no_label"
    /// The server cut the answer at `max_tokens` before its label: a setting to fix (more
    /// tokens), not the model's verdict on the item, so neither counted towards `unlabelable`
    /// nor stored (asked again once the setting changes).
    case cutOff = "cut_off"
    /// The simulated backend injected a failure.
    case simulatedFailure = "simulated_failure"
    /// The labeler was stopped (the annotator shutting down) before the answer arrived: nothing
    /// was received, so nothing is stored; the item is asked again after a restart.
    case cancelled
    /// Answer errors repeated `maxAnswerAttempts` times: final, stored, never asked again.
    case unlabelable

    /// Transient errors say nothing about the item; the annotator queues it again.
    public var isTransient: Bool {
        switch self {
        case .timeout, .rateLimited, .serverError, .transport, .malformedResponse, .simulatedFailure, .cancelled: true
        case .rejected, .noLabel, .cutOff, .unlabelable: false
        }
    }

    /// Answer errors are about what the model said (a well-formed answer without a label);
    /// asked again a bounded number of times, spread over time, then stored `unlabelable`.
    public var isAnswerError: Bool { self == .noLabel }
}
