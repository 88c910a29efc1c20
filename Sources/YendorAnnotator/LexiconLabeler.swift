import Foundation

/// A STAND-IN for an LLM: deterministic keyword rules over Dungeon's and NetHack's
/// message-line captions, one rule set per goal.
///
/// It exists so `yendor train` runs on any machine without an LLM server, and so tests have
/// a labeler with known answers. It has no understanding of the game beyond its keyword
/// lists; use the `openai` backend for real LLM feedback.
///
/// Rules: a caption is split into its sentences (the message line joins messages with two
/// spaces, as NetHack's does). It is helpful when one sentence contains a positive phrase of
/// the goal and no negative phrase; matching is case-insensitive. Judging sentence by sentence
/// is what an LLM does with "There is a staircase down here.  The jackal bites!": the jackal
/// does not undo finding the stairs. For ranking, each caption scores 1 if helpful and 0
/// otherwise; the higher score wins, equal scores tie.
public struct LexiconLabeler: Labeler {
    /// Part of the store key: bump when the phrase lists change.
    public static let rulesVersion = "lexicon-rules-2"

    public let identity = LabelerIdentity(backend: "lexicon", model: "lexicon", promptVersion: LexiconLabeler.rulesVersion)

    public init() {}

    /// Phrases that make a caption unhelpful for every goal: failures and no-ops.
    static let negative = [
        "you miss", "misses", "you can't", "you cannot", "it's solid stone", "it's a wall",
        "that door is closed", "this door is locked", "nothing happens", "you fail",
        "you die", "you are hit", "bites!", "hits!", "you feel weak", "there is no",
        "you have a little trouble", "you stumble",
    ]

    /// Positive phrases per built-in goal.
    static let positive: [String: [String]] = [
        "score": [
            "you kill", "you destroy", "is killed", "gold piece", "you find", "welcome to experience level",
            "you descend", "you climb", "staircase down", "you feel more experienced",
            "you see here", "you pick up", "you open the door", "the door opens",
        ],
        "gold": ["gold piece", "gold pieces", "zorkmid", "you find some gold", "$ -"],
        "combat": ["you kill", "you destroy", "is killed", "you hit", "you bite", "you smite", "dies!"],
        // Finding the stairs is exploration: an LLM asked about this goal also rates opening a
        // way forward (doors, hidden passages, a new room) as progress, not only the stairs.
        "stairs": [
            "staircase down", "stairs down", "you descend", "down the stairs", "you see a staircase",
            "there is a staircase down", "never been this deep", "the door opens", "crashes open",
            "shatters to pieces", "you unlock the door", "you find a hidden", "you enter",
        ],
    ]

    /// Words too common to say anything about a custom goal.
    static let stopWords: Set<String> = [
        "the", "and", "for", "with", "that", "this", "from", "into", "your", "you", "are",
        "many", "much", "more", "most", "some", "possible", "as", "get", "make", "find",
    ]

    /// The positive phrases for `goal`; custom goals use their own words of 3+ letters.
    static func phrases(for goal: Goal) -> [String] {
        if case .custom(let text) = goal {
            return text.lowercased()
                .split { !$0.isLetter }
                .map(String.init)
                .filter { $0.count >= 3 && !stopWords.contains($0) }
        }
        return positive[goal.key] ?? []
    }

    /// The deterministic verdict for one caption.
    public static func isHelpful(_ caption: String, goal: Goal) -> Bool {
        let goalPhrases = phrases(for: goal)
        return caption.lowercased().components(separatedBy: "  ").contains { sentence in
            !negative.contains(where: sentence.contains) && goalPhrases.contains(where: sentence.contains)
        }
    }

    /// The label for one request (always a label: the rules have no failure mode).
    public static func label(for request: LabelRequest) -> Label {
        switch request.task {
        case .classify(let caption):
            return isHelpful(caption, goal: request.goal) ? .helpful : .notHelpful
        case .rank(let first, let second):
            let a = isHelpful(first, goal: request.goal), b = isHelpful(second, goal: request.goal)
            if a == b { return .tie }
            return a ? .first : .second
        }
    }

    public func label(_ requests: [LabelRequest]) async -> [LabelerAnswer] {
        requests.map { request in
            let label = Self.label(for: request)
            return LabelerAnswer(outcome: .labeled(label), rawResponse: "lexicon: \(label.rawValue)", latency: .zero)
        }
    }
}
