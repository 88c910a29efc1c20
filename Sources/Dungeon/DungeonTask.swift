import YendorEnvironment

/// A task: which game to play, how it is rewarded, when it ends.
public struct DungeonTask: Sendable, Equatable {
    /// What the task rewards (the environment's own judgement; what an annotator is asked about
    /// is `annotatorGoal`).
    public enum Objective: Sendable, Equatable {
        /// Reward is the change in in-game score each step.
        case score
        /// +1 the first time the player arrives on this depth.
        case reachDepth(Int)
        /// +1 the first time the player stands next to the Oracle.
        case besideOracle
    }

    /// Registry name, e.g. "staircase-lvl3".
    public let name: String
    /// One sentence for humans and for `--help`.
    public let description: String
    public let objective: Objective
    /// The goal an annotator labels captions for when training on this task (`reward.goal=auto`).
    public let annotatorGoal: Goal
    /// If true the episode goes on after the goal (reward still paid once); it ends only by death
    /// or the step limit. For reward-free or intrinsic-only training.
    public let continual: Bool
    /// Episodes are truncated after this many steps.
    public let stepLimit: Int
    /// Level 1 is a key room (the `keyroom` task).
    public let keyRoom: Bool
    /// Depth of the Oracle's level.
    public let oracleDepth: Int

    public init(name: String, description: String, objective: Objective, annotatorGoal: Goal, continual: Bool = false,
                stepLimit: Int, keyRoom: Bool = false, oracleDepth: Int = 5) {
        self.name = name
        self.description = description
        self.objective = objective
        self.annotatorGoal = annotatorGoal
        self.continual = continual
        self.stepLimit = stepLimit
        self.keyRoom = keyRoom
        self.oracleDepth = oracleDepth
    }

    /// Whether the task has a success condition (`score` has none: a success rate means nothing for it).
    public var definesSuccess: Bool {
        if case .score = objective { return false }
        return true
    }

    /// The game settings this task plays with, on a map of the given size.
    public func gameConfiguration(rows: Int = 21, columns: Int = 79, captionBytes: Int = 256) -> GameConfiguration {
        GameConfiguration(rows: rows, columns: columns, oracleDepth: oracleDepth, bottomDepth: max(12, oracleDepth + 2),
                          keyRoom: keyRoom, captionBytes: captionBytes)
    }

    /// Reward and outcome of one step, given the score before it and whether the goal was met before.
    public func evaluate(game: Game, previousScore: Int, alreadySucceeded: Bool) -> Outcome {
        var reward: Float = 0
        var reached = false
        switch objective {
        case .score:
            reward = Float(game.score - previousScore)
        case .reachDepth(let target):
            reached = game.deepest >= target
        case .besideOracle:
            reached = game.besideOracle
        }
        var success = alreadySucceeded
        if reached && !alreadySucceeded {
            reward = 1
            success = true
        }
        let terminal = game.isDead || (reached && !continual)
        return Outcome(reward: reward, success: success, terminal: terminal)
    }

    /// What one step meant for the task.
    public struct Outcome: Sendable, Equatable {
        public var reward: Float
        /// The objective has been met in this episode (never true for `score`).
        public var success: Bool
        /// The episode ended (goal or death); truncation is decided by the caller from the step count.
        public var terminal: Bool
    }
}

/// All tasks, by name.
public enum TaskRegistry {
    public static let all: [DungeonTask] = [
        DungeonTask(name: "score", description: "Maximise the in-game score: gold, experience and depth (like NLE's NetHackScore).",
                    objective: .score, annotatorGoal: .score, stepLimit: 5000),
        DungeonTask(name: "staircase", description: "Find and descend the down staircase of level 1 (+1).",
                    objective: .reachDepth(2), annotatorGoal: .stairs, stepLimit: 1000),
        DungeonTask(name: "staircase-lvl3", description: "Reach dungeon level 3 (+1).",
                    objective: .reachDepth(3), annotatorGoal: .stairs, stepLimit: 5000),
        DungeonTask(name: "staircase-lvl4", description: "Reach dungeon level 4 (+1).",
                    objective: .reachDepth(4), annotatorGoal: .stairs, stepLimit: 5000),
        DungeonTask(name: "oracle", description: "Find the Oracle on level 5 and stand next to her (+1).",
                    objective: .besideOracle,
                    annotatorGoal: .oracle, stepLimit: 10000),
        DungeonTask(name: "keyroom",
                    description: "Pick up the key, unlock the locked room that holds the down staircase, and descend it (+1).",
                    objective: .reachDepth(2),
                    annotatorGoal: .custom("find the key, unlock the locked door and go down the staircase"),
                    stepLimit: 1000, keyRoom: true),
        DungeonTask(name: "staircase-continual",
                    description: "As staircase, but the episode goes on after descending (reward paid once).",
                    objective: .reachDepth(2), annotatorGoal: .stairs, continual: true, stepLimit: 5000),
        DungeonTask(name: "staircase-lvl3-continual",
                    description: "As staircase-lvl3, but the episode goes on after reaching level 3.",
                    objective: .reachDepth(3), annotatorGoal: .stairs, continual: true, stepLimit: 5000),
        DungeonTask(name: "staircase-lvl4-continual",
                    description: "As staircase-lvl4, but the episode goes on after reaching level 4.",
                    objective: .reachDepth(4), annotatorGoal: .stairs, continual: true, stepLimit: 5000),
    ]

    public static var names: [String] { all.map(\.name) }

    /// The task with this name, or an error listing the known names.
    public static func task(named name: String) throws -> DungeonTask {
        guard let task = all.first(where: { $0.name == name }) else {
            throw DungeonError.unknownTask(name: name, known: names)
        }
        return task
    }
}
