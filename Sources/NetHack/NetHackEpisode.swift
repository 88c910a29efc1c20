import YendorEnvironment

/// One env's episode bookkeeping and the env layer's step: the key, then the known prompts, then
/// the task's reward and end (NLE's `base.NLE.step`, or ONI's `NetHackExtendedActionEnv.step`).
struct NetHackEpisode {
    /// What one agent step did.
    struct Outcome {
        var reward: Float
        /// The episode ended (death, success, or the step limit).
        var ended: Bool
        /// The step limit ended it.
        var truncated: Bool
        /// The task's goal was met.
        var won: Bool
    }

    private(set) var length = 0
    private(set) var episodeReturn: Float = 0
    private(set) var deepest = 1
    private(set) var lastScore = 0
    /// Steps in a row in which game time did not advance (NLE's frozen steps; like NLE, not reset
    /// between episodes).
    private var frozenSteps = 0
    /// The same count for the no-progress limit, which starts afresh each episode.
    private var stalledSteps = 0
    /// Scout: cells seen per (dungeon, level).
    private var explored: [Int: Int] = [:]
    /// N(caption) this episode.
    private var captionCounts = EpisodeCaptionCounts()
    /// ONI: a skill may be enhanced ("You feel more confident in …").
    private var enhance = false

    private static let space: Int32 = 32, escape: Int32 = 27
    private static let questionWords: [[UInt8]] = ["eat", "attack", "direction?", "pray"].map { Array($0.utf8) }
    /// ONI leaves drinking questions to the agent too.
    private static let oniQuestionWords = questionWords + [Array("drink".utf8)]
    private static let confident = Array("You feel more confident in".utf8)
    private static let descended = Array("You descend the stairs.".utf8)
    private static let eatPrompt = Array("What do you want to eat".utf8), drinkPrompt = Array("What do you want to drink".utf8)

    /// Starts a game with `seeds` and presses space until it is in its move loop, as NLE's reset does.
    mutating func start(game: NetHackGame, seeds: NetHackGame.Seeds) throws {
        try game.reset(seeds: seeds)
        for _ in 0..<1000 where game.programState[3] == 0 {
            if game.step(key: Self.space) { throw NetHackError.gameOverAtStart }
        }
        length = 0
        episodeReturn = 0
        deepest = max(1, game.blstats[NetHackStat.depth])
        lastScore = game.blstats[NetHackStat.score]
        stalledSteps = 0
        explored.removeAll(keepingCapacity: true)
        captionCounts.reset()
        enhance = false
    }

    /// Presses the action's key, handles what the env layer handles, then judges the step.
    mutating func step(game: NetHackGame, key actionKey: Int32, task: NetHackTask) -> Outcome {
        let before = Snapshot(game)
        let key = task.style == .oni ? oniKey(actionKey, lastMessage: before.message, task: task) : actionKey
        var done = game.step(key: key)
        // With all modes allowed the agent answers --More--, menus and prompts itself, until the game is over.
        if !task.allowsAllModes || game.programState[0] == 1 {
            done = performKnownSteps(game: game, done: done, task: task, key: key, exceptions: true)
        }
        length += 1
        stalledSteps = game.blstats[NetHackStat.time] == before.time ? stalledSteps + 1 : 0
        let aborted = length >= task.stepLimit || task.noProgressLimit.map { stalledSteps >= $0 } ?? false
        // NLE checks the limit first, and a game that ended by itself counts as a death.
        let won = !done && !aborted
            && task.isWon(glyphs: game.glyphs, blstats: game.blstats, internalState: game.internalState, message: game.message)
        let reward = Float(self.reward(task: task, before: before, game: game, won: won))
        let died = done
        if !done && (aborted || won) {
            quit(game: game, task: task)
            done = true
        }
        episodeReturn += reward
        if game.inNormalGame {
            deepest = max(deepest, game.blstats[NetHackStat.depth])
            lastScore = game.blstats[NetHackStat.score]
        }
        return Outcome(reward: reward, ended: done, truncated: aborted && !died, won: won)
    }

    /// Counts `message` (NUL-terminated) in this episode; `commit: false` only looks.
    mutating func countCaption(_ message: [UInt8], commit: Bool) -> Int32 {
        let key = EpisodeCaptionCounts.key(message.lazy.prefix { $0 != 0 })
        return commit ? captionCounts.count(key) : captionCounts.peek(key)
    }

    // MARK: - The env layer

    /// ONI answers its eat (and, with extended actions, drink) prompt itself: the NW key picks the
    /// first item letter offered, any other key cancels with a space.
    private func oniKey(_ key: Int32, lastMessage: [UInt8], task: NetHackTask) -> Int32 {
        let prompt = NetHackTask.contains(lastMessage, Self.eatPrompt)
            || (task.actions == .extended && NetHackTask.contains(lastMessage, Self.drinkPrompt))
        guard prompt else { return key }
        guard key == 121, let letter = Self.firstOfferedLetter(lastMessage) else { return Self.space }
        return Int32(letter)
    }

    /// The first letter after '[' when letters follow it ("[fg or ?*]" → f).
    static func firstOfferedLetter(_ message: [UInt8]) -> UInt8? {
        func isLetter(_ b: UInt8) -> Bool { (b >= 65 && b <= 90) || (b >= 97 && b <= 122) }
        var i = 0
        while i + 1 < message.count {
            if message[i] == UInt8(ascii: "["), isLetter(message[i + 1]) { return message[i + 1] }
            i += 1
        }
        return nil
    }

    /// Space through --More--, escape text prompts, decline yes/no questions except those the agent
    /// answers (eat, attack, direction, pray; ONI also drink; every one if the task allows all), as
    /// `_perform_known_steps`;
    /// ONI's variant also keeps "You descend the stairs." visible, casts the first spell and enhances.
    private mutating func performKnownSteps(game: NetHackGame, done: Bool, task: NetHackTask, key: Int32, exceptions: Bool) -> Bool {
        var done = done, key = key
        let oni = task.style == .oni, extended = task.actions == .extended
        while !done {
            if oni && extended {
                let confident = NetHackTask.contains(game.message, Self.confident)
                if key == 90 { done = game.step(key: 97) } else if confident { enhance = true }
                if done { break }
            }
            if game.internalState[3] != 0 {
                if oni && extended && NetHackTask.contains(game.message, Self.confident) { enhance = true }
                let previous = game.message
                done = game.step(key: Self.space)
                key = Self.space
                if oni && NetHackTask.contains(previous, Self.descended) { game.showMessage(previous) }
                continue
            }
            if game.internalState[2] != 0 {
                done = game.step(key: Self.escape)
                key = Self.escape
                continue
            }
            if game.internalState[1] != 0 {
                if exceptions {
                    if task.allowsAllQuestions { break }
                    let words = task.style == .oni ? Self.oniQuestionWords : Self.questionWords
                    if words.contains(where: { NetHackTask.contains(game.message, $0) }) { break }
                }
                done = game.step(key: Self.escape)
                key = Self.escape
            }
            if oni && extended && enhance && !done {
                done = game.step(key: 229)
                if !done { done = game.step(key: 97) }
                enhance = false
            }
            break
        }
        return done
    }

    /// Ends the game politely: out of menus, M-q, y, then the final questions.
    private mutating func quit(game: NetHackGame, task: NetHackTask) {
        var done = performKnownSteps(game: game, done: false, task: task, key: 0, exceptions: false)
        if done { return }
        for key: Int32 in [0x80 | 113, 121] { done = game.step(key: key) }
        _ = performKnownSteps(game: game, done: done, task: task, key: 121, exceptions: false)
    }

    /// The task's reward for the step from `before` to the game's current state, in double
    /// precision as NLE computes it (the caller rounds once).
    private mutating func reward(task: NetHackTask, before: Snapshot, game: NetHackGame, won: Bool) -> Double {
        let time = game.blstats[NetHackStat.time]
        frozenSteps = time == before.time ? frozenSteps + 1 : 0
        let penalty = frozenSteps > 0 ? task.frozenPenalty : 0
        let inGame = game.inNormalGame
        switch task.objective {
        case .score:
            return (inGame ? Double(game.blstats[NetHackStat.score] - before.score) : 0) + penalty
        case .staircase, .staircaseWithPet, .oracle:
            return (won ? 1 : 0) + penalty
        case .descend, .oracleFifty:
            return won ? 50 : 0
        case .gold:
            guard inGame else { return 0 }
            return Double(game.blstats[NetHackStat.gold] - before.gold) + penalty
        case .eat:
            guard inGame else { return 0 }
            return Double(max(0, Int(game.internalState[7]) - Int(before.nutrition))) + penalty
        case .scout:
            guard inGame else { return 0 }
            let key = game.blstats[NetHackStat.dungeonNumber] * 1000 + game.blstats[NetHackStat.dungeonLevel]
            let seen = game.glyphs.reduce(0) { $0 + ($1 != Int16(NetHackGlyph.stone) ? 1 : 0) }
            let gained = seen - explored[key, default: 0]
            explored[key] = seen
            return Double(gained) + penalty
        }
    }

    /// What the reward needs from the state before a step.
    private struct Snapshot {
        var score: Int, gold: Int, time: Int, nutrition: Int32, message: [UInt8]
        init(_ game: NetHackGame) {
            score = game.blstats[NetHackStat.score]
            gold = game.blstats[NetHackStat.gold]
            time = game.blstats[NetHackStat.time]
            nutrition = game.internalState[7]
            message = game.message
        }
    }
}
