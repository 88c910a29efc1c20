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
