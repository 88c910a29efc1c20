import Foundation

/// The classification and ranking prompts, with one description per goal.
///
/// Templates use the placeholders `{goal}`, `{caption}`, `{first}` and `{second}`. Every
/// prompt lets the model reason first and asks for the answer on its own last line,
/// `Answer: <label>`, so `LabelParser` can read it strictly. Version 1 asked a model to "think
/// briefly" within 64 tokens: reasoning models were cut off before their answer.
/// `version` is part of every store key: change it whenever the wording changes, or old
/// labels would be reused for a different question.
public struct PromptSet: Hashable, Sendable, Codable {
    /// Part of the store key; bump it when any text below changes.
    public var version: String
    /// Template for "is this caption helpful for the goal?"; needs `{goal}` and `{caption}`.
    public var classification: String
    /// Template for "which caption shows more progress?"; needs `{goal}`, `{first}`, `{second}`.
    public var ranking: String
    /// Goal descriptions inserted at `{goal}`, keyed `score`, `gold`, `combat`, `stairs`, `oracle`.
    public var goals: [String: String]
    /// Description for `Goal.custom(text)`; `{text}` is replaced by the experimenter's text.
    public var customGoal: String
    /// How the templates ask for the answer, hence how answers are parsed.
    public var answerFormat: AnswerFormat

    public init(version: String, classification: String, ranking: String,
                goals: [String: String], customGoal: String, answerFormat: AnswerFormat = .answerLine) {
        self.version = version
        self.classification = classification
        self.ranking = ranking
        self.goals = goals
        self.customGoal = customGoal
        self.answerFormat = answerFormat
    }

    /// The prompt sets selectable by name (`--prompt-set`, `reward.llm_prompt_set`, both read as a
    /// `LabelerChoice.Prompts`): `yendor` (the default) and `oni`.
    public static func named(_ name: String) -> PromptSet? {
        switch name {
        case "yendor", "builtin", "built-in": .builtIn
        case "oni": .oni
        default: nil
        }
    }

    /// The prompts written for Yendor.
    public static let builtIn = PromptSet(
        version: "yendor-prompts-2",
        classification: """
            You are judging events from a roguelike dungeon game (NetHack or a game like it). \
            The player character is controlled by a learning agent.

            The agent's goal: {goal}

            The game printed this message after one of the agent's moves:
            "{caption}"

            Does this message show an event that is helpful for the goal, i.e. a step the agent \
            should be encouraged to repeat? Routine messages, failures, and events unrelated to \
            the goal are not helpful.

            You may reason step by step first, briefly. Then give your answer on its own last \
            line, exactly one of these two lines, with nothing after it:
            Answer: helpful
            Answer: not helpful
            """,
        ranking: """
            You are judging events from a roguelike dungeon game (NetHack or a game like it). \
            The player character is controlled by a learning agent.

            The agent's goal: {goal}

            Caption A: "{first}"
            Caption B: "{second}"

            Which of the two messages shows more progress towards the goal? If they are \
            equally good or equally irrelevant, say tie.

            You may reason step by step first, briefly. Then give your answer on its own last \
            line, exactly one of these three lines, with nothing after it:
            Answer: A
            Answer: B
            Answer: tie
            """,
        goals: [
            "score": "reach a high in-game score: descend deeper, defeat monsters, collect gold and useful items, and stay alive.",
            "gold": "collect as much gold as possible.",
            "combat": "defeat monsters in melee or with ranged attacks while staying alive.",
            "stairs": "find the staircase down and descend to deeper dungeon levels.",
            "oracle": "reach the Oracle, who lives on one of dungeon levels 5 to 9: go deeper and explore to find her.",
        ],
        customGoal: "{text}"
    )

    /// Reads a prompt set from a JSON file with the same field names as this struct, and
    /// validates it. A missing field falls back to the built-in text, except `version`,
    /// which an override must set (else its labels would mix with the built-in ones).
    public static func load(from url: URL) throws(AnnotatorError) -> PromptSet {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .invalidInput("cannot read prompt file \(url.path): \(error.localizedDescription)")
        }
        struct Override: Decodable {
            var version: String?
            var classification: String?
            var ranking: String?
            var goals: [String: String]?
            var customGoal: String?
            var answerFormat: AnswerFormat?
        }
        let override: Override
        do { override = try JSONDecoder().decode(Override.self, from: data) } catch {
            throw .invalidInput("prompt file \(url.path) is not valid JSON: \(error)")
        }
        guard let version = override.version else {
            throw .invalidConfiguration(field: "version", reason: "a prompt file must set its own version")
        }
        let base = PromptSet.builtIn
        let prompts = PromptSet(
            version: version,
            classification: override.classification ?? base.classification,
            ranking: override.ranking ?? base.ranking,
            goals: base.goals.merging(override.goals ?? [:]) { _, new in new },
            customGoal: override.customGoal ?? base.customGoal,
            answerFormat: override.answerFormat ?? base.answerFormat)
        try prompts.validate()
        return prompts
    }

    /// Checks that every template has the placeholders it needs.
    public func validate() throws(AnnotatorError) {
        if version.allSatisfy(\.isWhitespace) {
            throw .invalidConfiguration(field: "version", reason: "must not be empty")
        }
        for placeholder in ["{goal}", "{caption}"] where !classification.contains(placeholder) {
            throw .invalidConfiguration(field: "classification", reason: "missing placeholder \(placeholder)")
        }
        for placeholder in ["{goal}", "{first}", "{second}"] where !ranking.contains(placeholder) {
            throw .invalidConfiguration(field: "ranking", reason: "missing placeholder \(placeholder)")
        }
        for goal in Goal.builtIn.map(\.key) where goals[goal] == nil {
            throw .invalidConfiguration(field: "goals.\(goal)", reason: "missing description")
        }
        if !customGoal.contains("{text}") {
            throw .invalidConfiguration(field: "customGoal", reason: "missing placeholder {text}")
        }
    }

    /// The goal text inserted at `{goal}`.
    public func describe(_ goal: Goal) -> String {
        switch goal {
        case .custom(let text): customGoal.replacingOccurrences(of: "{text}", with: text)
        default: goals[goal.key] ?? goal.key
        }
    }

    /// The full prompt for one request.
    public func render(_ request: LabelRequest) -> String {
        let goal = describe(request.goal)
        switch request.task {
        case .classify(let caption):
            return Self.fill(classification, ["goal": goal, "caption": caption])
        case .rank(let first, let second):
            return Self.fill(ranking, ["goal": goal, "first": first, "second": second])
        }
    }

    /// `template` with each `{name}` of `values` replaced in one pass: a caption or a goal that
    /// holds `{second}` is inserted as it is, never expanded in turn (the model would be asked
    /// another question than the one its label is stored for).
    static func fill(_ template: String, _ values: [String: String]) -> String {
        var out = "", rest = template[...]
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            if let close = rest[open...].firstIndex(of: "}"), let value = values[String(rest[rest.index(after: open)..<close])] {
                out += value
                rest = rest[rest.index(after: close)...]
            } else {
                out += "{"
                rest = rest[rest.index(after: open)...]
            }
        }
        return out + rest
    }
}
