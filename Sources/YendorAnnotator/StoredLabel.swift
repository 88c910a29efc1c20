import Foundation

/// One row of the label store: a final answer for a key. Either a label, or `unlabelable`
/// after the model failed to give a recognisable label `maxAnswerAttempts` times.
public struct StoredLabel: Hashable, Sendable {
    public var key: LabelKey
    /// `.labeled(_)` or `.failed(.unlabelable)`; transient failures are never stored.
    public var outcome: LabelOutcome
    /// The model's text for the final attempt, kept for auditing prompts and parsing.
    public var rawResponse: String
    /// How many times the labeler was asked (1 unless answers were unusable).
    public var attempts: Int
    /// Labeler latency of the final attempt.
    public var latency: Duration
    /// When the row was first written.
    public var createdAt: Date
    /// When the row was last written.
    public var updatedAt: Date

    public init(key: LabelKey, outcome: LabelOutcome, rawResponse: String, attempts: Int,
                latency: Duration, createdAt: Date = Date(), updatedAt: Date = Date()) {
        self.key = key
        self.outcome = outcome
        self.rawResponse = rawResponse
        self.attempts = attempts
        self.latency = latency
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
