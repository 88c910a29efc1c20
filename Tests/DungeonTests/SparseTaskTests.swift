import Testing
@testable import Dungeon

/// Plays uniformly random actions on a task until `episodes` episodes end; returns the successes.
/// Steps games directly (no observation buffers) to stay quick in debug builds.
private func randomSuccesses(task name: String, episodes: Int, seed: UInt64) throws -> Int {
    let task = try TaskRegistry.task(named: name)
    var rng = SplitMix64(seed: seed)
    var successes = 0
    for episode in 0..<episodes {
        var game = Game(configuration: task.gameConfiguration(), seed: SplitMix64.derive(seed, UInt64(episode)))
        var previousScore = game.score
        var succeeded = false
        for _ in 0..<task.stepLimit {
            game.step(Action(rawValue: Int32(rng.below(Action.count)))!)
            let outcome = task.evaluate(game: game, previousScore: previousScore, alreadySucceeded: succeeded)
            previousScore = game.score
            succeeded = outcome.success
            if outcome.terminal { break }
        }
        if succeeded { successes += 1 }
    }
    return successes
}

// A random policy must (almost) never solve the sparse tasks; otherwise they are not sparse.
// `yendor bench env --success-episodes N` measures the same rates over many more episodes in release.

@Test func randomPolicyAlmostNeverSolvesKeyRoom() throws {
    let successes = try randomSuccesses(task: "keyroom", episodes: 150, seed: 1)
    #expect(successes <= 2, "\(successes) of 150 random keyroom episodes succeeded")
}

@Test func randomPolicyAlmostNeverReachesLevel3() throws {
    let successes = try randomSuccesses(task: "staircase-lvl3", episodes: 60, seed: 2)
    #expect(successes <= 1, "\(successes) of 60 random staircase-lvl3 episodes succeeded")
}

@Test func randomPolicyAlmostNeverFindsTheOracle() throws {
    let successes = try randomSuccesses(task: "oracle", episodes: 60, seed: 3)
    #expect(successes == 0, "\(successes) of 60 random oracle episodes succeeded")
}
