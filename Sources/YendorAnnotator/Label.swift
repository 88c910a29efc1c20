/// A label from a labeler: a classification verdict or a pairwise preference.
public enum Label: String, Hashable, Sendable, Codable, CaseIterable {
    case helpful
    case notHelpful = "not_helpful"
    /// Ranking: the first caption shows more progress.
    case first
    /// Ranking: the second caption shows more progress.
    case second
    /// Ranking: neither shows more progress.
    case tie

    /// Whether this label answers a classification (as opposed to a ranking) task.
    public var isClassification: Bool { self == .helpful || self == .notHelpful }
}

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

/// The outcome for one item.
public enum LabelOutcome: Hashable, Sendable {
    case labeled(Label)
    case failed(LabelErrorKind)

    public var label: Label? {
        if case .labeled(let label) = self { return label }
        return nil
    }

    public var errorKind: LabelErrorKind? {
        if case .failed(let kind) = self { return kind }
        return nil
    }
}

/// What a labeler returns for one item of a batch.
public struct LabelerAnswer: Hashable, Sendable {
    public var outcome: LabelOutcome
    /// The model's raw text (or the HTTP body / error text when there was no model text).
    public var rawResponse: String
    /// Time spent on this item's request, including retries.
    public var latency: Duration

    public init(outcome: LabelOutcome, rawResponse: String, latency: Duration) {
        self.outcome = outcome
        self.rawResponse = rawResponse
        self.latency = latency
    }
}
