import Foundation

/// Reads a label out of a model's text, strictly: it never guesses.
///
/// Rules, in order (each line is first normalised: lower-cased, markdown emphasis, quotes,
/// brackets, list and heading markers and trailing punctuation removed):
/// 1. A reasoning block (`<think>…</think>`) is skipped: only the text after the last
///    `</think>` counts.
/// 2. The last line containing `answer:` decides (also `final answer:`, `**Answer:**`,
///    `Answer**:`, or `Answer:` at the end of a sentence on the same line): what follows the
///    last `answer:` on that line must be exactly a label, optionally followed by one
///    parenthesised remark. If nothing follows it, the next non-empty line must be the label.
/// 3. Otherwise the last non-empty line must itself be exactly a label (a model that ends on
///    the bare word).
/// 4. Otherwise, for a completion model (`firstLineAnswers`), the first non-empty line must be
///    exactly a label (completion models often answer only the word after a prompt ending in
///    "Answer:", then ramble on). A chat answer's first line followed by more text is not its
///    verdict ("No.", then "wait, actually it is helpful").
/// Anything else is `nil`: "helpful or not helpful", "maybe", prose.
///
/// Examples (classification): `Answer: helpful`, `**Answer:** not helpful`,
/// `The jackal is dead. Answer: Helpful.`, `Final answer: NOT HELPFUL!`, `helpful`,
/// `Answer: helpful (a kill is progress)`, `<think>…</think>\nAnswer: not helpful`.
public enum LabelParser {
    /// Parses a classification answer: `helpful` / `not helpful` (also `yes` / `no`).
    public static func classification(_ text: String, firstLineAnswers: Bool = true) -> Label? {
        parse(text, firstLineAnswers: firstLineAnswers) { word in
            switch word {
            case "helpful", "yes", "yes helpful": .helpful
            case "not helpful", "not_helpful", "not-helpful", "unhelpful", "no", "no not helpful": .notHelpful
            default: nil
            }
        }
    }

    /// Parses a ranking answer: `A` / `B` / `tie` (also `first` / `second`).
    public static func ranking(_ text: String, firstLineAnswers: Bool = true) -> Label? {
        parse(text, firstLineAnswers: firstLineAnswers) { word in
            switch word {
            case "a", "first", "caption a": .first
            case "b", "second", "caption b": .second
            case "tie", "equal", "neither", "a tie": .tie
            default: nil
            }
        }
    }

    /// Parses the answer for `task`.
    public static func label(_ text: String, for task: LabelTask, firstLineAnswers: Bool = true) -> Label? {
        switch task {
        case .classify: classification(text, firstLineAnswers: firstLineAnswers)
        case .rank: ranking(text, firstLineAnswers: firstLineAnswers)
        }
    }

    /// Parses the answer for `task` in the answer format its prompts asked for.
    public static func label(_ text: String, for task: LabelTask, format: AnswerFormat, firstLineAnswers: Bool = true) -> Label? {
        switch format {
        case .answerLine: label(text, for: task, firstLineAnswers: firstLineAnswers)
        case .oniTags: ONIAnswerParser.label(text, for: task)
        }
    }

    private static func parse(_ text: String, firstLineAnswers: Bool, _ match: (String) -> Label?) -> Label? {
        var body = Substring(text)
        if let end = body.range(of: "</think>", options: [.caseInsensitive, .backwards]) {
            body = body[end.upperBound...]
        }
        let lines = body.split(whereSeparator: \.isNewline).map { normalise(String($0)) }.filter { !$0.isEmpty }
        if let index = lines.lastIndex(where: { $0.contains("answer:") }) {
            let line = lines[index]
            let after = line[line.range(of: "answer:", options: .backwards)!.upperBound...]
            let answer = normalise(String(after))
            if !answer.isEmpty { return match(withoutRemark(answer)) }
            return index + 1 < lines.count ? match(withoutRemark(lines[index + 1])) : nil
        }
        if let last = lines.last, let label = match(withoutRemark(last)) { return label }
        guard firstLineAnswers, let first = lines.first else { return nil }
        return match(first)
    }

    /// Lower-cases and strips decoration that does not change the meaning: markdown emphasis
    /// and code marks, quotes, list and heading markers, surrounding brackets, trailing
    /// punctuation, LaTeX `\boxed{}`; spaces before `:` are closed up so `Answer :` reads as `answer:`.
    static func normalise(_ line: String) -> String {
        var text = line.lowercased()
        text.removeAll { "*`\"'“”‘’".contains($0) }
        // `\boxed{helpful}`, as maths-tuned reasoning models write their final answer.
        if let boxed = text.range(of: "\\boxed{"), let close = text[boxed.upperBound...].firstIndex(of: "}") {
            let inner = String(text[boxed.upperBound..<close])
            text.replaceSubrange(boxed.lowerBound...close, with: inner)
        }
        while text.contains(" :") { text = text.replacingOccurrences(of: " :", with: ":") }
        text = text.trimmingCharacters(in: .whitespaces)
        while let first = text.first, "#>-•".contains(first) {
            text.removeFirst()
            text = text.trimmingCharacters(in: .whitespaces)
        }
        while let last = text.last, ".!,;?".contains(last) {
            text.removeLast()
            text = text.trimmingCharacters(in: .whitespaces)
        }
        while let first = text.first, let last = text.last,
              (first == "(" && last == ")") || (first == "[" && last == "]") || (first == "<" && last == ">"),
              !text.dropFirst().dropLast().contains(where: { "()[]<>".contains($0) }) {
            text = String(text.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
        }
        return text
    }

    /// `helpful (a kill is progress)` -> `helpful`: one trailing parenthesised remark after a
    /// label is allowed; anything else stays as it is (and then matches no label).
    private static func withoutRemark(_ answer: String) -> String {
        guard answer.hasSuffix(")"), let open = answer.firstIndex(of: "("), open != answer.startIndex else { return answer }
        let head = answer[..<open].trimmingCharacters(in: .whitespaces)
        return normalise(head)
    }
}
