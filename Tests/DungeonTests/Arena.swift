@testable import Dungeon

/// A hand-built level for action tests: one lit room with floor x 10...19, y 5...9, walls around,
/// nothing else, the player at (12, 7).
func makeArena(seed: UInt64 = 1, configuration: GameConfiguration = GameConfiguration()) -> Game {
    var game = Game(configuration: configuration, seed: seed)
    game.level.clear(depth: 1)
    let room = Room(lowX: 10, lowY: 5, highX: 19, highY: 9, lit: true)
    game.level.rooms.append(room)
    LevelGenerator.carveRoom(&game.level, room)
    game.level.upStairs = game.level.index(18, 9)
    game.level.tiles[game.level.upStairs] = .upStairs
    game.level.visited = true
    game.teleport(x: 12, y: 7)
    return game
}

/// Steps with an action until the caption contains `text`, at most `limit` times; returns whether it did.
func stepUntil(_ game: inout Game, _ action: Action, captionContains text: String, limit: Int = 50) -> Bool {
    for _ in 0..<limit {
        game.step(action)
        if game.caption.contains(text) { return true }
    }
    return false
}

func addMonster(_ game: inout Game, _ kind: MonsterKind, x: Int, y: Int, hitPoints: Int = 5, peaceful: Bool = false) {
    game.level.addMonster(Monster(kind: kind, x: x, y: y, hitPoints: hitPoints, asleep: false, peaceful: peaceful,
                                  tame: false, alive: true))
}
