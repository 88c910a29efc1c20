import YendorEnvironment

/// An NLE task: its action set, NetHack options, step limit, and how reward and success are
/// judged — the semantics of `nle.env.tasks` (NLE 1.3.0), and of ONI's tasks
/// (`rl_baseline/tasks_nle.py` of the ONI paper's code), which the paper's results use.
public struct NetHackTask: Sendable, Equatable {
    /// What the task rewards (the environment's own judgement; what an annotator is asked about
    /// is `annotatorGoal`).
    public enum Objective: Sendable, Equatable {
        /// Change in score (`NetHackScore`).
        case score
        /// Stand on a down staircase: 1 and the episode ends (`NetHackStaircase`).
        case staircase
        /// The same with the pet next to the player (`NetHackStaircasePet`).
        case staircaseWithPet
        /// Stand next to the Oracle (`NetHackOracle`).
        case oracle
        /// Change in gold (`NetHackGold`; only gold is picked up automatically).
        case gold
        /// Rises in nutrition (`NetHackEat`).
        case eat
        /// Newly seen map cells per level (`NetHackScout`).
        case scout
        /// Descend the stairs to level N of the current branch: 50 and the episode ends, no time
        /// penalty (ONI's `NetHackStaircaseLvlN`).
        case descend(level: Int)
        /// Stand next to the Oracle: 50 and the episode ends, no time penalty (ONI's `NetHackOracle`).
        case oracleFifty
    }

    /// Whose env layer the task follows.
    public enum Style: String, Sendable, Equatable {
        /// NLE 1.3.0's `nle.env.base.NLE`.
        case nle
        /// ONI's env: as NLE's, plus: at "What do you want to eat/drink" the NW key picks the first
        /// item offered and any other key cancels; "You descend the stairs." stays visible across
        /// --More--; with the extended actions, cast picks the first spell and a "You feel more
        /// confident" message enhances the first skill.
        case oni
    }

    /// Yendor's name (`--task`).
    public let name: String
    /// The NLE environment id whose semantics it reproduces.
    public let nleName: String
    public let objective: Objective
    /// The goal an annotator labels captions for when training on this task (`reward.goal=auto`).
    public let annotatorGoal: Goal
    public let style: Style
    public let actions: NetHackActionSet
    /// Steps after which the episode is cut (truncated).
    public internal(set) var stepLimit: Int
    /// The constant per-step penalty while game time stands still (menus, walls): NLE's −0.01
    /// (0 for `NetHackChallenge`).
    public let frozenPenalty: Double
    /// Steps in a row without game time advancing after which the episode is cut; nil: never.
    public internal(set) var noProgressLimit: Int?
    /// NLE's `allow_all_yn_questions`: every yes/no question is left to the agent, not only those
    /// about eating, attacking, directions and praying.
    public let allowsAllQuestions: Bool
    /// NLE's `allow_all_modes`: the env layer leaves --More--, menus and text prompts to the agent
    /// (it still steps through them once the game is over).
    public let allowsAllModes: Bool
    /// NetHack's option string.
    public let options: String

    /// The option string NLE's Python layer passes, with `pickupTypes` and the character; "@" (a
    /// random role) also randomises race, gender and alignment, as NLE's `Nethack` does.
    static func nleOptions(pickupTypes: String = "$?!/", character: String = "mon-hum-neu-mal") -> String {
        let random = character == "@" ? ["race:random", "gender:random", "align:random"] : []
        return (["autopickup", "color", "disclose:+i +a +v +g +c +o", "mention_walls", "nobones", "nocmdassist", "nolegacy",
                 "nosparkle", "pickup_burden:unencumbered", "pickup_types:\(pickupTypes)", "runmode:teleport", "showexp",
                 "showscore", "time", "name:Agent-\(character)"] + random).joined(separator: ",")
    }

    init(_ name: String, _ nleName: String, _ objective: Objective, annotatorGoal: Goal? = nil, style: Style = .nle, actions: NetHackActionSet = .task,
         stepLimit: Int = 5000, frozenPenalty: Double = -0.01, noProgressLimit: Int? = nil, allowsAllQuestions: Bool = false,
         allowsAllModes: Bool = false, options: String = NetHackTask.nleOptions()) {
        self.name = name
        self.nleName = nleName
        self.objective = objective
        self.annotatorGoal = annotatorGoal ?? NetHackTask.defaultAnnotatorGoal(objective)
        self.style = style
        self.actions = actions
        self.stepLimit = stepLimit
        self.frozenPenalty = frozenPenalty
        self.noProgressLimit = noProgressLimit
        self.allowsAllQuestions = allowsAllQuestions
        self.allowsAllModes = allowsAllModes
        self.options = options
    }

    /// The annotator goal that fits an objective (ONI's goals for Score, Gold and the staircases).
    static func defaultAnnotatorGoal(_ objective: Objective) -> Goal {
        switch objective {
        case .score: .score
        case .gold: .gold
        case .staircase, .descend: .stairs
        case .staircaseWithPet: .custom("go down the staircase with your pet beside you")
        case .oracle, .oracleFifty: .oracle
        case .eat: .custom("find food and eat when hungry")
        case .scout: .custom("explore as much of the dungeon as possible")
        }
    }

    /// Every task, by Yendor name.
    public static let all: [NetHackTask] = [
        NetHackTask("score", "NetHackScore-v0", .score),
        NetHackTask("staircase", "NetHackStaircase-v0", .staircase),
        NetHackTask("pet", "NetHackStaircasePet-v0", .staircaseWithPet),
        NetHackTask("oracle", "NetHackOracle-v0", .oracle),
        NetHackTask("gold", "NetHackGold-v0", .gold, options: nleOptions(pickupTypes: "$")),
        NetHackTask("eat", "NetHackEat-v0", .eat),
        NetHackTask("scout", "NetHackScout-v0", .scout),
        // NetHackChallenge: a random character, the whole keyboard, every prompt left to the agent, no
        // frozen-step penalty, 10^6 steps. NLE counts its no-progress timeout of 10,000 twice per step
        // (truncation and end status both check it), so it ends the game after 5,000 frozen steps.
        NetHackTask("challenge", "NetHackChallenge-v0", .score, actions: .keyboard, stepLimit: 1_000_000, frozenPenalty: 0,
                    noProgressLimit: 5000, allowsAllQuestions: true, allowsAllModes: true,
                    options: nleOptions(character: "@")),
        NetHackTask("staircase-lvl3", "ONI NetHackStaircaseLvl3-v1", .descend(level: 3), style: .oni),
        NetHackTask("staircase-lvl4", "ONI NetHackStaircaseLvl4-v1", .descend(level: 4), style: .oni),
        NetHackTask("score-extended", "ONI NetHackScoreExtendedActions-v1", .score, style: .oni, actions: .extended),
        NetHackTask("oracle-extended", "ONI NetHackOracleExtendedActions-v1", .oracleFifty, style: .oni, actions: .extended),
        NetHackTask("staircase-lvl3-extended", "ONI NetHackStaircaseLvl3ExtendedActions-v1", .descend(level: 3), style: .oni,
                    actions: .extended),
        NetHackTask("staircase-lvl4-extended", "ONI NetHackStaircaseLvl4ExtendedActions-v1", .descend(level: 4), style: .oni,
                    actions: .extended),
    ]

    /// The task called `name`; throws listing the known ones.
    public static func named(_ name: String) throws -> NetHackTask {
        guard let task = all.first(where: { $0.name == name }) else {
            throw NetHackError.unknownTask(name, known: all.map(\.name))
        }
        return task
    }

    /// Whether the task has a success condition (an episode can be won); score-like tasks
    /// (score, gold, eat, scout, challenge) have none, so a success rate means nothing for them.
    public var definesSuccess: Bool {
        switch objective {
        case .staircase, .staircaseWithPet, .oracle, .oracleFifty, .descend: true
        case .score, .gold, .eat, .scout: false
        }
    }

    /// Whether the task is won in this state (only for tasks that end on success).
    func isWon(glyphs: [Int16], blstats: [Int], internalState: [Int32], message: [UInt8] = []) -> Bool {
        switch objective {
        case .staircase: return internalState[4] != 0
        case .staircaseWithPet:
            return internalState[4] != 0 && neighbours(glyphs, blstats).contains {
                $0 >= NetHackGlyph.petOffset && $0 < NetHackGlyph.petOffset + NetHackGlyph.monsterCount
            }
        case .oracle, .oracleFifty: return neighbours(glyphs, blstats).contains(Int16(NetHackGlyph.oracle))
        case .descend(let level):
            return blstats[NetHackStat.dungeonLevel] == level && NetHackTask.contains(message, Self.descended)
        case .score, .gold, .eat, .scout: return false
        }
    }

    static let descended = Array("You descend the stairs".utf8)

    /// Substring search over a whole message buffer, as Python's `in` on the bytes does.
    static func contains(_ message: [UInt8], _ word: [UInt8]) -> Bool {
        let n = message.count
        guard word.count <= n else { return false }
        for start in 0...(n - word.count) where message[start..<start + word.count].elementsEqual(word) { return true }
        return false
    }

    /// The 3×3 glyphs around the player (clipped at the map's edge, as numpy slicing does).
    private func neighbours(_ glyphs: [Int16], _ blstats: [Int]) -> [Int16] {
        let x = blstats[NetHackStat.x], y = blstats[NetHackStat.y]
        var out: [Int16] = []
        // numpy's glyphs[y-1:y+2, x-1:x+2]: a negative start wraps, giving an empty slice.
        guard y - 1 >= 0, x - 1 >= 0 else { return out }
        let rows = NetHackGame.mapRows, columns = NetHackGame.mapColumns
        for r in (y - 1)...(y + 1) where r < rows {
            for c in (x - 1)...(x + 1) where c < columns { out.append(glyphs[r * columns + c]) }
        }
        return out
    }
}
