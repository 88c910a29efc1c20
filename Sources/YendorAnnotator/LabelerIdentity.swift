/// Which labeler produced a label: part of every store key, so changing the model or the
/// prompt version asks again instead of reusing stale labels.
public struct LabelerIdentity: Hashable, Sendable, Codable {
    /// Backend name, e.g. `openai`, `lexicon`, `simulated+lexicon`.
    public var backend: String
    /// Model name as the server knows it (`lexicon` for the lexicon).
    public var model: String
    /// `PromptSet.version` (or the lexicon's rule version).
    public var promptVersion: String
}
