/// A ranking label from the annotator: which of two captions shows more progress.
public struct CaptionPreference: Sendable, Hashable, Codable {
    /// The annotator's verdict on the ordered pair (first, second).
    public enum Outcome: String, Sendable, Hashable, Codable {
        case first, second, tie

        /// Target probability that `first` is preferred: 1, 0 or ½ (a tie).
        public var target: Float {
            switch self {
            case .first: 1
            case .second: 0
            case .tie: 0.5
            }
        }
    }

    /// The first caption of the pair as it was asked.
    public var first: String
    /// The second caption of the pair as it was asked.
    public var second: String
    /// Which one the annotator preferred.
    public var outcome: Outcome

    public init(first: String, second: String, outcome: Outcome) {
        self.first = first
        self.second = second
        self.outcome = outcome
    }
}
