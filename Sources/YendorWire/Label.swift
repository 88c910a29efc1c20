/// The answer to a `LabelTask`: a classification verdict or a pairwise preference. The one name for
/// an answer everywhere: the labelers produce it, the store keeps it, the wire carries it (as a
/// number per mode, `wireCode`), the reward models learn from it.
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

    /// The way of asking this label answers.
    public var mode: AnnotationMode { isClassification ? .classification : .ranking }

    /// Ranking: the probability that the first caption is preferred (1, 0, or ½ for a tie);
    /// nil for a classification label.
    public var preferenceTarget: Float? {
        switch self {
        case .first: 1
        case .second: 0
        case .tie: 0.5
        case .helpful, .notHelpful: nil
        }
    }

    /// The number the wire carries: classification 1 helpful, 0 not; ranking 0 first, 1 second, 2 tie.
    public var wireCode: UInt8 {
        switch self {
        case .helpful, .second: 1
        case .notHelpful, .first: 0
        case .tie: 2
        }
    }

    /// The label `wireCode` stands for in `mode`; nil for a code the mode does not have.
    public init?(wireCode: UInt8, mode: AnnotationMode) {
        switch (mode, wireCode) {
        case (.classification, 1): self = .helpful
        case (.classification, 0): self = .notHelpful
        case (.ranking, 0): self = .first
        case (.ranking, 1): self = .second
        case (.ranking, 2): self = .tie
        default: return nil
        }
    }
}

/// A task with its label: what reward models learn from.
public struct LabeledTask: Hashable, Sendable {
    public var task: LabelTask
    public var label: Label

    public init(task: LabelTask, label: Label) {
        self.task = task
        self.label = label
    }

    /// A classification answer: `caption` is helpful or not.
    public static func classified(_ caption: String, helpful: Bool) -> LabeledTask {
        LabeledTask(task: .classify(caption: caption), label: helpful ? .helpful : .notHelpful)
    }

    /// A ranking answer for the ordered pair (`first`, `second`).
    public static func ranked(_ first: String, _ second: String, _ label: Label) -> LabeledTask {
        LabeledTask(task: .rank(first: first, second: second), label: label)
    }

    /// A classification answer's caption and verdict; nil for a ranking answer (or a label that
    /// does not fit its task).
    public var classification: (caption: String, helpful: Bool)? {
        guard case .classify(let caption) = task, label.isClassification else { return nil }
        return (caption, label == .helpful)
    }

    /// A ranking answer's pair and the probability that `first` is preferred; nil for a
    /// classification answer (or a label that does not fit its task).
    public var preference: (first: String, second: String, target: Float)? {
        guard case .rank(let first, let second) = task, let target = label.preferenceTarget else { return nil }
        return (first, second, target)
    }
}
