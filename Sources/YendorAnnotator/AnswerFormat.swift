/// How a prompt set asks the model to write its answer, and so how `LabelParser` reads it.
public enum AnswerFormat: String, Hashable, Sendable, Codable {
    /// Yendor's prompts: the answer on its own last line, `Answer: helpful` / `Answer: not helpful`,
    /// `Answer: A` / `B` / `tie`.
    case answerLine = "answer-line"
    /// ONI's prompts: tagged sections ending in `<label>FOO</label>` (extremely helpful) or
    /// `<label>BAR</label>` (unhelpful, neutral or lukewarm); rankings end in
    /// `("best_description": 1)`, `2` or `None`.
    case oniTags = "oni-tags"

    /// Text appended to a prompt sent to a plain `completions` model, which continues the text:
    /// it should start right where the label goes.
    var completionCue: String {
        switch self {
        case .answerLine: "\n\nAnswer:"
        case .oniTags: "\n"
        }
    }
}
