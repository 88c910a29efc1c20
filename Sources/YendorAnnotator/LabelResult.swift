import YendorWire

/// One answer as the annotator delivers it to clients (the role maps it to the wire's
/// `AnnotationResult`): the labeler's answer to a request, and where it came from.
public struct LabelResult: Sendable, Hashable {
    /// Where a result came from.
    public enum Source: String, Sendable, Hashable {
        /// The label store (asked before, possibly in an earlier run).
        case store
        /// The labeler, just now.
        case labeler
    }

    public var request: LabelRequest
    /// A label, `.failed(.unlabelable)` (final), or another error kind (given up for now), with the
    /// model's text and the latency of the answering attempt.
    public var answer: LabelerAnswer
    public var source: Source

    public init(request: LabelRequest, answer: LabelerAnswer, source: Source) {
        self.request = request
        self.answer = answer
        self.source = source
    }

    public var outcome: LabelOutcome { answer.outcome }

    /// The task with its label, what reward models learn from; nil unless the outcome is a label of
    /// the task's mode.
    public var labeledTask: LabeledTask? {
        guard case .labeled(let label) = outcome, label.mode == request.task.mode else { return nil }
        return LabeledTask(task: request.task, label: label)
    }
}
