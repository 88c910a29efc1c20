/// What a reward model wants the annotator to label.
public enum RewardQuery: Sendable, Hashable {
    /// Classify this caption as helpful or not (answer with `CaptionLabel`).
    case classify(String)
    /// Say which of the two captions shows more progress (answer with `CaptionPreference`).
    case rank(first: String, second: String)
}
