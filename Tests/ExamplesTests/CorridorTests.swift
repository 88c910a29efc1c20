import Testing
import YendorEnvironment
@testable import yendor_corridor

/// Examples/Corridor, the Swift environment the example program registers: it keeps the
/// `VectorEnvironment` contract (auto-reset, the final caption, N(caption)) that rollouts rely on.
struct CorridorTests {
    /// (x, y, steps) of env `i`, from its status vector.
    static func position(_ env: Corridor, _ i: Int) -> (x: Int32, y: Int32, steps: Int32) {
        let k = env.spec.blstatsCount
        return (env.blstats[i * k], env.blstats[i * k + 1], env.blstats[i * k + 2])
    }

    /// The row of env `i`'s exit, read from its glyph map (the east wall's exit glyph).
    static func exitRow(_ env: Corridor, _ i: Int) throws -> Int32 {
        let cells = Corridor.rows * Corridor.columns, east = Corridor.columns - 1
        let row = (0..<Corridor.rows).first { env.glyphs[i * cells + $0 * Corridor.columns + east] == Corridor.Glyph.exit.rawValue }
        return Int32(try #require(row))
    }

    @Test func walkingToTheExitPaysOneEndsTheEpisodeAndShowsTheNextOnesStart() throws {
        let env = Corridor(count: 2, seed: 7)
        let (north, east, south, west, wait): (Int32, Int32, Int32, Int32, Int32) = (0, 1, 2, 3, 4)
        #expect(Self.position(env, 0).x == 1 && Self.position(env, 0).steps == 0)
        // Into the west wall twice: the caption says so, and N(caption) counts its showings.
        try env.step(actions: [west, wait])
        #expect(env.caption(0) == "You bump into a wall." && env.captionCount[0] == 1)
        #expect(env.caption(1) == "" && env.reward[1] == 0)
        try env.step(actions: [west, wait])
        #expect(env.captionCount[0] == 2 && env.reward[0] == 0 && env.done[0] == 0)
        var steps = 2
        let exit = try Self.exitRow(env, 0)
        while Self.position(env, 0).y != exit {
            try env.step(actions: [Self.position(env, 0).y < exit ? south : north, wait])
            steps += 1
            #expect(env.reward[0] == 0 && env.done[0] == 0)
        }
        while Self.position(env, 0).x < Int32(Corridor.columns - 2) {
            try env.step(actions: [east, wait])
            steps += 1
            #expect(env.reward[0] == 0 && env.done[0] == 0 && env.finishedEpisodes.isEmpty)
        }
        try env.step(actions: [east, wait])
        steps += 1
        #expect(env.reward[0] == 1 && env.done[0] == 1 && env.truncated[0] == 0)
        #expect(env.done[1] == 0 && env.reward[1] == 0)
        let episode = try #require(env.finishedEpisodes.first)
        #expect(env.finishedEpisodes.count == 1)
        #expect(episode.envIndex == 0 && episode.success && !episode.truncated)
        #expect(episode.length == steps && episode.episodeReturn == 1)
        #expect(episode.lastCaption == "You reach the exit!" && episode.lastCaptionCount == 1)
        // Auto-reset: the observation is already the next episode's first.
        #expect(Self.position(env, 0).x == 1 && Self.position(env, 0).steps == 0)
        #expect(env.caption(0) == "" && env.captionCount[0] == 1)
    }

    @Test func anEpisodeThatNeverReachesTheExitIsCutAtTheStepLimit() throws {
        let env = Corridor(count: 1, seed: 3)
        for step in 1..<Corridor.stepLimit {
            try env.step(actions: [4])
            #expect(env.done[0] == 0, "step \(step)")
        }
        try env.step(actions: [4])
        #expect(env.done[0] == 1 && env.truncated[0] == 1 && env.reward[0] == 0)
        let episode = try #require(env.finishedEpisodes.first)
        #expect(!episode.success && episode.truncated && episode.length == Corridor.stepLimit && episode.episodeReturn == 0)
    }

    @Test func anActionOutsideTheSpecIsRefused() throws {
        let env = Corridor(count: 1, seed: 1)
        #expect(throws: CorridorError.self) { try env.step(actions: [Int32(Corridor.spec.actionCount)]) }
    }

    @Test func theSameSeedPlaysTheSameEpisodes() throws {
        let a = Corridor(count: 4, seed: 11), b = Corridor(count: 4, seed: 11), c = Corridor(count: 4, seed: 12)
        #expect(Array(a.glyphs) == Array(b.glyphs))
        #expect(Array(a.glyphs) != Array(c.glyphs))
    }
}
