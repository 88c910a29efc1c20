import Foundation

/// A STAND-IN for an LLM: deterministic rules over NetHack's (and Dungeon's) message-line
/// captions, so `yendor train` runs on any machine without an LLM server and tests have a
/// labeler with known answers. It has no understanding of the game beyond its rules; use the
/// `openai` backend for real LLM feedback.
///
/// Built-in goals: each sentence of the caption (the message line joins messages with two
/// spaces) is mapped to an event by `MessageClassifier` (items, monsters, doors, staircases,
/// pets and other monsters, the player's state), and `MessageEvent.helps(_:)` says which goals
/// count that event as progress. The caption is helpful when one sentence helps and none is a
/// death or a bad deed: "There is a staircase down here.  The jackal bites!" still shows the
/// stairs. Custom goals: a sentence is helpful when it contains one of the goal text's own
/// words (a whole word, or the word with an -s, -es, -ed or -ing ending: "eating" for "eat",
/// not "leather" or "great") and none of the generic failure phrases. For ranking, each caption scores 1 if
/// helpful and 0 otherwise; the higher score wins, equal scores tie.
///
/// Measured against hand labels on real NetHack messages: `yendor annotator evaluate`
/// (docs/annotator.md).
public struct LexiconLabeler: Labeler {
    /// Part of the store key: bump when the rules change.
    public static let rulesVersion = "lexicon-rules-5"

    public let identity = LabelerIdentity(backend: "lexicon", model: "lexicon", promptVersion: LexiconLabeler.rulesVersion)

    public init() {}

    /// Phrases that make a sentence unhelpful for a custom goal: failures and no-ops.
    static let negative = [
        "you miss", "misses", "you can't", "you cannot", "it's solid stone", "it's a wall",
        "that door is closed", "this door is locked", "nothing happens", "you fail",
        "you die", "you are hit", "bites!", "hits!", "you feel weak", "there is no",
        "you have a little trouble", "you stumble",
    ]

    /// Words too common to say anything about a custom goal.
    static let stopWords: Set<String> = [
        "the", "and", "for", "with", "that", "this", "from", "into", "your", "you", "are",
        "many", "much", "more", "most", "some", "possible", "as", "get", "make", "find",
        "when", "where", "what", "which", "while", "who", "how", "then", "than", "can", "will",
        "all", "any", "not", "but", "its", "his", "her", "they", "them", "their", "there", "here",
        "have", "has", "had", "was", "were", "been", "being", "one", "out", "about", "very",
    ]

    /// Endings a sentence's word may add to a goal word and still count as it.
    static let endings = ["s", "es", "ed", "d", "ing"]

    /// The words of a custom goal's text (3+ letters, minus common words).
    static func words(ofCustomGoal text: String) -> [String] {
        text.lowercased()
            .split { !$0.isLetter }
            .map(String.init)
            .filter { $0.count >= 3 && !stopWords.contains($0) }
    }

    /// Whether a sentence's words hold `goalWord`, whole or with one of the `endings`.
    static func mentions(_ goalWord: String, in sentenceWords: [Substring]) -> Bool {
        sentenceWords.contains { word in
            word.hasPrefix(goalWord) && (word.count == goalWord.count || endings.contains(String(word.dropFirst(goalWord.count))))
        }
    }

    /// The deterministic verdict for one caption.
    public static func isHelpful(_ caption: String, goal: Goal) -> Bool {
        if case .custom(let text) = goal {
            let goalWords = words(ofCustomGoal: text)
            return MessageClassifier.sentences(caption).contains { sentence in
                let sentenceWords = sentence.split { !$0.isLetter }
                return !negative.contains(where: sentence.contains) && goalWords.contains { mentions($0, in: sentenceWords) }
            }
        }
        let events = MessageClassifier.events(in: caption)
        return !events.contains(where: \.vetoes) && events.contains { $0.helps(goal) }
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
