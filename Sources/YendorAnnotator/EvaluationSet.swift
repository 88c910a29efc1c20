import Foundation

/// Captions labeled by hand, one verdict per goal: what `LabelerEvaluation` measures a labeler
/// against (data/annotator-eval.tsv; the labeling rules are in docs/annotator.md).
///
/// File format (UTF-8, tab-separated): lines starting with `#` are comments; the first other
/// line is the header `count<TAB><goal>...<TAB>caption`, with one column per goal key (`score`,
/// `stairs`, `gold`, `combat`, `oracle`, `custom:<text>`); then one row per caption: how often
/// it was seen (the weight of count-weighted scores), a verdict per goal (`1` helpful, `0` not),
/// and the caption itself, last, as the game printed it.
public struct EvaluationSet: Sendable, Equatable {
    public struct Item: Sendable, Equatable {
        public var caption: String
        /// Steps that showed this caption in the collected play: its weight.
        public var count: Int
        /// Hand verdicts, in the order of `EvaluationSet.goals`.
        public var helpful: [Bool]
    }

    public var goals: [Goal]
    public var items: [Item]

    /// Reads a set from a file; errors name the file and line.
    public static func load(from url: URL) throws(AnnotatorError) -> EvaluationSet {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw .invalidInput("cannot read evaluation set \(url.path): \(error.localizedDescription)")
        }
        return try parse(text, source: url.path)
    }

    /// Parses the text of a set; `source` names it in errors.
    public static func parse(_ text: String, source: String = "evaluation set") throws(AnnotatorError) -> EvaluationSet {
        var goals: [Goal]?
        var items: [Item] = []
        var seen: Set<String> = []
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            let number = offset + 1
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard let columns = goals else {
                guard fields.count >= 3, fields.first == "count", fields.last == "caption" else {
                    throw .invalidInput("\(source):\(number): the header must be count<TAB><goal>...<TAB>caption")
                }
                var parsed: [Goal] = []
                for key in fields.dropFirst().dropLast() {
                    do { parsed.append(try Goal(key: key)) } catch {
                        throw .invalidInput("\(source):\(number): column '\(key)' is not a goal: \(error)")
                    }
                }
                guard Set(parsed.map(\.key)).count == parsed.count else {
                    throw .invalidInput("\(source):\(number): a goal column appears twice")
                }
                goals = parsed
                continue
            }
            guard fields.count == columns.count + 2 else {
                throw .invalidInput("\(source):\(number): expected \(columns.count + 2) tab-separated fields, found \(fields.count)")
            }
            guard let count = Int(fields[0]), count >= 0 else {
                throw .invalidInput("\(source):\(number): count '\(fields[0])' is not a whole number >= 0")
            }
            var helpful: [Bool] = []
            for (index, value) in fields[1...columns.count].enumerated() {
                switch value {
                case "1": helpful.append(true)
                case "0": helpful.append(false)
                default:
                    throw .invalidInput("\(source):\(number): verdict '\(value)' for \(columns[index].key) is not 1 or 0")
                }
            }
            let caption = fields[columns.count + 1]
            guard !caption.isEmpty else { throw .invalidInput("\(source):\(number): empty caption") }
            guard seen.insert(caption).inserted else { throw .invalidInput("\(source):\(number): caption listed twice: \(caption)") }
            items.append(Item(caption: caption, count: count, helpful: helpful))
        }
        guard let goals else { throw .invalidInput("\(source): no header line") }
        return EvaluationSet(goals: goals, items: items)
    }
}
