/// What the agent is trying to achieve, in the annotator's vocabulary: the one goal type that
/// tasks declare (`DungeonTask.annotatorGoal`, `NetHackTask.annotatorGoal`), the learner asks
/// with, the annotator labels for, and its answers carry back. Two goals are the same when their
/// values are equal, whatever text form they travelled in (`stairs`; `custom:find the key` and the
/// bare `find the key` are one goal).
///
/// The built-in goals mirror the ONI tasks (NetHack Score, Gold, combat, Staircase, Oracle);
/// `custom` carries a free-text goal written by the experimenter or declared by a task.
public enum Goal: Hashable, Sendable, CustomStringConvertible {
    case score
    case gold
    case combat
    case stairs
    /// Reach the Oracle (NetHackOracle: she lives on dungeon level 5 to 9).
    case oracle
    case custom(String)

    /// The built-in goals, in the order reports list them.
    public static let builtIn: [Goal] = [.score, .stairs, .gold, .combat, .oracle]

    /// Why a text is not a goal.
    public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Stable text form used in the label store, in JSON lines and on the wire: `score`, `gold`,
    /// `combat`, `stairs`, `oracle`, or `custom:<text>`.
    public var key: String {
        switch self {
        case .score: "score"
        case .gold: "gold"
        case .combat: "combat"
        case .stairs: "stairs"
        case .oracle: "oracle"
        case .custom(let text): "custom:" + text
        }
    }

    public var description: String { key }

    /// Parses the form produced by `key` (strict: free text must carry the `custom:` prefix).
    public init(key: String) throws(ParseError) {
        switch key {
        case "score": self = .score
        case "gold": self = .gold
        case "combat": self = .combat
        case "stairs": self = .stairs
        case "oracle": self = .oracle
        default:
            guard key.hasPrefix("custom:") else {
                throw ParseError(message: "goal '\(key)' is not one of score, gold, combat, stairs, oracle, custom:<text>")
            }
            let text = String(key.dropFirst("custom:".count))
            guard !text.allSatisfy(\.isWhitespace) else {
                throw ParseError(message: "goal 'custom:' needs a goal text after the colon")
            }
            self = .custom(text)
        }
    }

    /// Parses the wire's (and the configuration's) goal text: a built-in name, `custom:<text>`, or
    /// any other text, taken as a custom goal. Only empty text is refused.
    public init(wireText text: String) throws(ParseError) {
        if text.allSatisfy(\.isWhitespace) { throw ParseError(message: "goal is empty") }
        if let goal = try? Goal(key: text) {
            self = goal
        } else {
            self = .custom(text)
        }
    }

    /// The text sent on the wire (`AnnotationRequest.goal`, `AnnotationResult.goal`): `key`.
    public var wireText: String { key }
}

extension Goal: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try Goal(key: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(key)
    }
}
