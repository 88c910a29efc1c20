/// What the agent is trying to achieve; selects the prompt variant and the lexicon rules.
///
/// The built-in goals mirror the ONI tasks (NetHack Score, Gold, combat, Staircase, Oracle);
/// `custom` carries a free-text goal written by the experimenter.
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

    /// Stable text form used in the label store and in JSON lines: `score`, `gold`, `combat`,
    /// `stairs`, `oracle`, or `custom:<text>`.
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

    /// Parses the form produced by `key`.
    public init(key: String) throws(AnnotatorError) {
        switch key {
        case "score": self = .score
        case "gold": self = .gold
        case "combat": self = .combat
        case "stairs": self = .stairs
        case "oracle": self = .oracle
        default:
            guard key.hasPrefix("custom:") else {
                throw .invalidInput("goal '\(key)' is not one of score, gold, combat, stairs, oracle, custom:<text>")
            }
            let text = String(key.dropFirst("custom:".count))
            guard !text.allSatisfy(\.isWhitespace) else {
                throw .invalidInput("goal 'custom:' needs a goal text after the colon")
            }
            self = .custom(text)
        }
    }
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
