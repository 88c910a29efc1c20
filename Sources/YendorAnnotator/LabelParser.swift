import Foundation

/// Reads a label out of a model's text, strictly: it never guesses.
///
/// Rule: the last line of the form `Answer: X` decides; if there is none, the first
/// non-empty line must itself be exactly a label (completion models often answer only the
/// word after a prompt ending in "Answer:"). X is compared after lower-casing and removing
/// markdown emphasis, quotes and trailing punctuation. Anything else is `nil`.
public enum LabelParser {
    /// Parses a classification answer: `helpful` / `not helpful` (also `yes` / `no`).
    public static func classification(_ text: String) -> Label? {
        parse(text) { word in
            switch word {
            case "helpful", "yes": .helpful
            case "not helpful", "not_helpful", "unhelpful", "no": .notHelpful
            default: nil
            }
        }
    }

    /// Parses a ranking answer: `A` / `B` / `tie` (also `first` / `second`).
    public static func ranking(_ text: String) -> Label? {
        parse(text) { word in
            switch word {
            case "a", "first", "caption a": .first
            case "b", "second", "caption b": .second
            case "tie", "equal", "neither": .tie
            default: nil
            }
        }
    }

    /// Parses the answer for `task`.
    public static func label(_ text: String, for task: LabelTask) -> Label? {
        switch task {
        case .classify: classification(text)
        case .rank: ranking(text)
        }
    }

    private static func parse(_ text: String, _ match: (String) -> Label?) -> Label? {
        let lines = text.split(whereSeparator: \.isNewline).map { normalise(String($0)) }
        if let answerLine = lines.last(where: { $0.hasPrefix("answer:") }) {
            return match(normalise(String(answerLine.dropFirst("answer:".count))))
        }
        guard let firstLine = lines.first(where: { !$0.isEmpty }) else { return nil }
        return match(firstLine)
    }

    /// Lower-cases and strips decoration that does not change the meaning.
    private static func normalise(_ line: String) -> String {
        var text = line.lowercased()
        text.removeAll { "*`\"'".contains($0) }
        text = text.trimmingCharacters(in: .whitespaces)
        while let last = text.last, ".!,;".contains(last) { text.removeLast() }
        return text.trimmingCharacters(in: .whitespaces)
    }
}
