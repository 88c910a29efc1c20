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
