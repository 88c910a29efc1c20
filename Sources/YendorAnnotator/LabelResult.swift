/// One answer as the annotator delivers it to clients (the role maps it to the wire's
/// `AnnotationResult`).
public struct LabelResult: Sendable, Hashable {
    /// Where a result came from.
    public enum Source: String, Sendable, Hashable {
        /// The label store (asked before, possibly in an earlier run).
        case store
        /// The labeler, just now.
        case labeler
    }

    public var request: LabelRequest
    /// A label, `.failed(.unlabelable)` (final), or another error kind (given up for now).
    public var outcome: LabelOutcome
    /// The model's text (or the error text) of the answering attempt.
    public var rawResponse: String
    /// Labeler latency of the answering attempt.
    public var latency: Duration
    public var source: Source

    public init(request: LabelRequest, outcome: LabelOutcome, rawResponse: String, latency: Duration, source: Source) {
        self.request = request
        self.outcome = outcome
        self.rawResponse = rawResponse
        self.latency = latency
        self.source = source
    }
}
