/// A source of labels. Batch in, one answer per item out.
///
/// Implementations never throw for per-item problems: each item gets a `LabelerAnswer`
/// whose outcome is a label or an error kind. They must be safe to call concurrently.
public protocol Labeler: Sendable {
    /// Backend, model and prompt version: part of every store key.
    var identity: LabelerIdentity { get }

    /// Labels `requests`; the result has exactly `requests.count` answers, in order.
    func label(_ requests: [LabelRequest]) async -> [LabelerAnswer]

    /// Labels `requests`, handing answers to `onAnswers` as soon as they are known (several at
    /// a time or one by one, in any order, each index of `requests` exactly once), so that one
    /// slow item does not hold the others. Returns after the last answer was handed over.
    ///
    /// On cancellation a labeler stops quickly: work in flight is abandoned and its items are
    /// answered `.failed(.cancelled)`; answers already received are handed over first. The
    /// default implementation calls `label(_:)` and hands over every answer at once.
    func label(_ requests: [LabelRequest],
               onAnswers: @escaping @Sendable ([(index: Int, answer: LabelerAnswer)]) async -> Void) async

    /// The annotator is stopping: requests already sent may still deliver, but none is sent
    /// from now on (items waiting for a slot are answered `.failed(.cancelled)`: not paid for,
    /// asked again after a restart). The default does nothing (a labeler with nothing to send).
    func stopSendingNewRequests()
}

extension Labeler {
    public func stopSendingNewRequests() {}

    public func label(_ requests: [LabelRequest],
                      onAnswers: @escaping @Sendable ([(index: Int, answer: LabelerAnswer)]) async -> Void) async {
        let answers = await label(requests)
        await onAnswers(answers.enumerated().map { (index: $0.offset, answer: $0.element) })
    }
}
