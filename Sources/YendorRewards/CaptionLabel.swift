/// A classification label from the annotator: is this caption helpful for the goal?
public struct CaptionLabel: Sendable, Hashable, Codable {
    /// The caption text exactly as the environment produced it.
    public var caption: String
    /// True when the annotator judged the event helpful.
    public var helpful: Bool

    public init(caption: String, helpful: Bool) {
        self.caption = caption
        self.helpful = helpful
    }
}
