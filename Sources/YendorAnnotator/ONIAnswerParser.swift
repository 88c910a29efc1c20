import Foundation

/// Reads answers written in ONI's format (`AnswerFormat.oniTags`), as strictly as
/// `LabelParser` reads Yendor's: it never guesses.
///
/// Classification: the content of the last `<label> … </label>` decides (a reasoning block
/// `<think>…</think>` is skipped first). After normalising (case, brackets, quotes, markdown,
/// trailing punctuation) it must be exactly `FOO` (helpful) or `BAR` (not helpful). A final
/// `<label>` whose closing tag was cut off counts if the rest of the text is exactly a label.
/// Examples: `<label>FOO</label>`, `<label> [BAR] </label>`, `<label>**foo**</label>`.
/// Refused: `<label>FOO/BAR</label>`, `<label>FOO or BAR</label>`, no label tag at all.
///
/// Ranking: the last `best_description` (or `best_message`) key decides: after it come
/// separators (quotes, underscores, spaces, a colon) and then `1`, `2` or `None`, as in
/// `("best_description": 2)` or `best description: None`.
public enum ONIAnswerParser {
    public static func classification(_ text: String) -> Label? {
        let body = afterReasoning(text)
        guard let open = body.range(of: "<label>", options: [.caseInsensitive, .backwards]) else { return nil }
        var content = body[open.upperBound...]
        if let close = content.range(of: "</label>", options: .caseInsensitive) {
            content = content[..<close.lowerBound]
        }
        switch LabelParser.normalise(String(content).replacingOccurrences(of: "\n", with: " ")) {
        case "foo": return .helpful
        case "bar": return .notHelpful
        default: return nil
        }
    }

    public static func ranking(_ text: String) -> Label? {
        let body = afterReasoning(text).lowercased()
        let keys = ["best_description", "best description", "best_message", "best message"]
        let found = keys.compactMap { body.range(of: $0, options: .backwards) }.max { $0.lowerBound < $1.lowerBound }
        guard let key = found else { return nil }
        var rest = body[key.upperBound...].drop { "\"'`*_: ".contains($0) }
        if rest.hasPrefix("none") { return .tie }
        guard let digit = rest.first else { return nil }
        rest = rest.dropFirst()
        // "12" or "1.5" is not a choice between two descriptions.
        if let next = rest.first, next.isNumber || next == "." && rest.dropFirst().first?.isNumber == true { return nil }
        switch digit {
        case "1": return .first
        case "2": return .second
        default: return nil
        }
    }

    public static func label(_ text: String, for task: LabelTask) -> Label? {
        switch task {
        case .classify: classification(text)
        case .rank: ranking(text)
        }
    }

    private static func afterReasoning(_ text: String) -> Substring {
        guard let end = text.range(of: "</think>", options: [.caseInsensitive, .backwards]) else { return Substring(text) }
        return text[end.upperBound...]
    }
}
