/// A source of labels. Batch in, one answer per item out, in the same order.
///
/// Implementations never throw for per-item problems: each item gets a `LabelerAnswer`
/// whose outcome is a label or an error kind. They must be safe to call concurrently.
public protocol Labeler: Sendable {
    /// Backend, model and prompt version: part of every store key.
    var identity: LabelerIdentity { get }

    /// Labels `requests`; the result has exactly `requests.count` answers, in order.
    func label(_ requests: [LabelRequest]) async -> [LabelerAnswer]
}
