import Testing
@testable import Dungeon

@Test func unknownTaskErrorListsTheKnownTasks() {
    #expect(throws: DungeonError.unknownTask(name: "nethack", known: TaskRegistry.names)) {
        _ = try TaskRegistry.task(named: "nethack")
    }
    let message = DungeonError.unknownTask(name: "x", known: TaskRegistry.names).description
    #expect(message.contains("staircase-lvl3") && message.contains("keyroom") && message.contains("oracle"))
}

@Test func registryHoldsEveryTaskOfTheIssue() throws {
    for name in ["score", "staircase", "staircase-lvl3", "staircase-lvl4", "oracle", "keyroom",
                 "staircase-continual", "staircase-lvl3-continual", "staircase-lvl4-continual"] {
        let task = try TaskRegistry.task(named: name)
        #expect(task.stepLimit > 0)
        #expect(!task.description.isEmpty)
    }
}

/// Puts a down staircase under the player and descends.
private func descend(_ game: inout Game) {
    let here = game.level.index(game.x, game.y)
    game.level.tiles[here] = .downStairs
    game.level.downStairs = here
    game.step(.down)
}

@Test func staircaseRewardsDescendingOnceAndEnds() throws {
    let task = try TaskRegistry.task(named: "staircase")
    var game = makeArena()
    game.step(.wait)
    var outcome = task.evaluate(game: game, previousScore: game.score, alreadySucceeded: false)
    #expect(outcome == .init(reward: 0, success: false, terminal: false))
    descend(&game)
    outcome = task.evaluate(game: game, previousScore: 0, alreadySucceeded: false)
    #expect(outcome == .init(reward: 1, success: true, terminal: true))
}

@Test func continualStaircaseRewardsOnceAndGoesOn() throws {
    let task = try TaskRegistry.task(named: "staircase-continual")
    var game = makeArena()
    descend(&game)
    var outcome = task.evaluate(game: game, previousScore: 0, alreadySucceeded: false)
    #expect(outcome == .init(reward: 1, success: true, terminal: false))
    game.step(.wait)
    outcome = task.evaluate(game: game, previousScore: 0, alreadySucceeded: true)
    #expect(outcome == .init(reward: 0, success: true, terminal: false))
}

@Test func staircaseLevel3NeedsTwoDescents() throws {
    let task = try TaskRegistry.task(named: "staircase-lvl3")
    var game = makeArena()
    descend(&game)
    #expect(task.evaluate(game: game, previousScore: 0, alreadySucceeded: false).reward == 0)
    descend(&game)
    #expect(game.depth == 3)
    #expect(task.evaluate(game: game, previousScore: 0, alreadySucceeded: false) == .init(reward: 1, success: true, terminal: true))
    let lvl4 = try TaskRegistry.task(named: "staircase-lvl4")
    #expect(lvl4.evaluate(game: game, previousScore: 0, alreadySucceeded: false).terminal == false)
}

@Test func oracleRewardsStandingNextToHer() throws {
    let task = try TaskRegistry.task(named: "oracle")
    var game = Game(configuration: GameConfiguration(oracleDepth: 1), seed: 11)
    guard let oracle = game.level.monsters.first(where: { $0.alive && $0.kind == .oracle }) else {
        Issue.record("no Oracle on the Oracle's level")
        return
    }
    game.teleport(x: oracle.x - 1, y: oracle.y)
    game.step(.look)
    #expect(game.besideOracle)
    #expect(game.caption.contains("The Oracle regards you calmly."))
    #expect(task.evaluate(game: game, previousScore: 0, alreadySucceeded: false) == .init(reward: 1, success: true, terminal: true))
}

@Test func scoreRewardIsTheScoreChange() throws {
    let task = try TaskRegistry.task(named: "score")
    var game = makeArena()
    game.level.addObject(FloorObject(kind: .gold, x: 12, y: 7, quantity: 30))
    let before = game.score
    game.step(.pickUp)
    let outcome = task.evaluate(game: game, previousScore: before, alreadySucceeded: false)
    #expect(outcome.reward == 30)
    #expect(!outcome.terminal && !outcome.success)
}

@Test func deathEndsEveryTaskWithoutReward() throws {
    var game = makeArena()
    game.nutrition = -200
    game.step(.wait)
    for task in TaskRegistry.all where task.objective != .score {
        #expect(task.evaluate(game: game, previousScore: game.score, alreadySucceeded: false) == .init(reward: 0, success: false, terminal: true))
    }
}

@Test func keyRoomTaskCanBeSolvedByKeyDoorAndStairs() throws {
    // Solve it by hand: walk (teleport) to the key, pick it up, unlock a door of the locked room, descend.
    let task = try TaskRegistry.task(named: "keyroom")
    for seed in UInt64(0)..<20 {
        var game = Game(configuration: task.gameConfiguration(), seed: seed)
        let level = game.level
        let room = level.rooms[level.lockedRoom]
        guard let key = level.objects.first(where: { $0.kind == .key && !room.contains(x: $0.x, y: $0.y) }) else {
            Issue.record("no key")
            continue
        }
        game.teleport(x: key.x, y: key.y)
        game.step(.pickUp)
        #expect(game.count(of: .key) >= 1)
        // Find a locked door of the room and stand inside the room next to it, facing it.
        var unlocked = false
        search: for y in room.lowY...room.highY {
            for x in room.lowX...room.highX {
                for action in Action.allCases.prefix(8) {
                    let (dx, dy) = action.direction!
                    guard dx == 0 || dy == 0 else { continue }
                    let door = level.index(x + dx, y + dy)
                    guard game.level.tiles[door] == .lockedDoor else { continue }
                    game.teleport(x: x, y: y)
                    game.step(action)
                    #expect(game.caption.hasPrefix("This door is locked."))
                    game.step(.apply)
                    #expect(game.caption.hasPrefix("You unlock the door."))
                    unlocked = true
                    break search
                }
            }
        }
        #expect(unlocked)
        game.teleport(x: level.downStairs % level.width, y: level.downStairs / level.width)
        game.step(.down)
        #expect(task.evaluate(game: game, previousScore: 0, alreadySucceeded: false).success)
    }
}
