import YendorEnvironment

/// `reward.goal`: the goal the task declares (`auto`), or one named in the configuration.
public enum GoalSetting: Sendable, Equatable, ConfigValue {
    /// The task's own `annotatorGoal` (`score` for environment servers, whose tasks Yendor does not know).
    case auto
    /// This goal, whatever the task: a built-in name, `custom:<text>` or bare free text.
    case goal(Goal)

    public init?(configText: String) {
        // " auto" became the free-text goal " auto", with no warning (trial C7).
        let text = configText.trimmingCharacters(in: .whitespacesAndNewlines)
        if text == "auto" {
            self = .auto
        } else if let goal = try? Goal(wireText: text) {
            self = .goal(goal)
        } else {
            return nil
        }
    }

    public var configText: String {
        switch self {
        case .auto: return "auto"
        case .goal(let goal): return goal.wireText
        }
    }

    public static var configTypeName: String { "auto, score, gold, combat, stairs, oracle, custom:<text> or free text (not empty)" }
}
