/// One env's episode bookkeeping and NLE's env-layer step: the key, then the known prompts, then
/// the task's reward and end.
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
    /// Steps in a row in which game time did not advance (NLE's frozen steps).
    private var frozenSteps = 0
    /// Scout: cells seen per (dungeon, level).
    private var explored: [Int: Int] = [:]
    /// Caption hash -> occurrences this episode.
    private var captionCounts: [Int: Int32] = [:]

    private static let space: Int32 = 32, escape: Int32 = 27
    private static let questionWords: [[UInt8]] = ["eat", "attack", "direction?", "pray"].map { Array($0.utf8) }

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
        explored.removeAll(keepingCapacity: true)
        captionCounts.removeAll(keepingCapacity: true)
    }

    /// Presses `key`, then handles what NLE's env layer handles, then judges the step.
    mutating func step(game: NetHackGame, key: Int32, task: NetHackTask) -> Outcome {
        let before = Snapshot(game)
        var done = game.step(key: key)
        // NLE answers prompts itself unless the game is in a mode the agent may use.
        done = performKnownSteps(game: game, done: done, task: task, exceptions: true)
        length += 1
        let aborted = length >= task.stepLimit
        let won = !done && !aborted && task.isWon(glyphs: game.glyphs, blstats: game.blstats, internalState: game.internalState)
        let reward = self.reward(task: task, before: before, game: game, won: won)
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
        var hasher = Hasher()
        for byte in message { if byte == 0 { break }; hasher.combine(byte) }
        let key = hasher.finalize()
        let seen = captionCounts[key, default: 0] + 1
        if commit { captionCounts[key] = seen }
        return seen
    }

    // MARK: - NLE's env layer

    /// Space through --More--, escape text prompts, decline yes/no questions except those the agent
    /// answers (eat, attack, direction, pray, and the action set's extras), as `_perform_known_steps`.
    private func performKnownSteps(game: NetHackGame, done: Bool, task: NetHackTask, exceptions: Bool) -> Bool {
        var done = done
        while !done {
            if game.internalState[3] != 0 {
                done = game.step(key: Self.space)
                continue
            }
            if game.internalState[2] != 0 {
                done = game.step(key: Self.escape)
                continue
            }
            if game.internalState[1] != 0 {
                if exceptions {
                    let words = Self.questionWords + task.actions.extraQuestionWords
                    if words.contains(where: { contains(game.message, $0) }) { break }
                }
                done = game.step(key: Self.escape)
            }
            break
        }
        return done
    }

    /// Ends the game politely: out of menus, M-q, y, then the final questions.
    private func quit(game: NetHackGame, task: NetHackTask) {
        var done = performKnownSteps(game: game, done: false, task: task, exceptions: false)
        if done { return }
        for key: Int32 in [0x80 | 113, 121] { done = game.step(key: key) }
        done = performKnownSteps(game: game, done: done, task: task, exceptions: false)
    }

    /// The task's reward for the step from `before` to the game's current state.
    private mutating func reward(task: NetHackTask, before: Snapshot, game: NetHackGame, won: Bool) -> Float {
        let time = game.blstats[NetHackStat.time]
        frozenSteps = time == before.time ? frozenSteps + 1 : 0
        let penalty: Float = frozenSteps > 0 ? task.frozenPenalty : 0
        let inGame = game.inNormalGame
        switch task.goal {
        case .score:
            return (inGame ? Float(game.blstats[NetHackStat.score] - before.score) : 0) + penalty
        case .staircase, .staircaseWithPet, .oracle, .depth:
            return (won ? 1 : 0) + penalty
        case .gold:
            guard inGame else { return 0 }
            return Float(game.blstats[NetHackStat.gold] - before.gold) + penalty
        case .eat:
            guard inGame else { return 0 }
            return Float(max(0, Int(game.internalState[7]) - Int(before.nutrition))) + penalty
        case .scout:
            guard inGame else { return 0 }
            let key = game.blstats[NetHackStat.dungeonNumber] * 1000 + game.blstats[NetHackStat.dungeonLevel]
            let seen = game.glyphs.reduce(0) { $0 + ($1 != Int16(NetHackGlyph.stone) ? 1 : 0) }
            let gained = seen - explored[key, default: 0]
            explored[key] = seen
            return Float(gained) + penalty
        }
    }

    /// Substring search over the whole 256-byte message buffer, as NLE's `in` on the bytes does.
    private func contains(_ message: [UInt8], _ word: [UInt8]) -> Bool {
        let n = message.count
        guard word.count <= n else { return false }
        for start in 0...(n - word.count) where message[start..<start + word.count].elementsEqual(word) { return true }
        return false
    }

    /// What the reward needs from the state before a step.
    private struct Snapshot {
        var score: Int, gold: Int, time: Int, nutrition: Int32
        init(_ game: NetHackGame) {
            score = game.blstats[NetHackStat.score]
            gold = game.blstats[NetHackStat.gold]
            time = game.blstats[NetHackStat.time]
            nutrition = game.internalState[7]
        }
    }
}
