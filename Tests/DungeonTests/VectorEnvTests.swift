import Testing
import Foundation
@testable import Dungeon

@Test func unknownTaskAndBadInputAreRejected() throws {
    #expect(throws: DungeonError.self) { _ = try VectorEnv(task: "nope", count: 2, seed: 1) }
    #expect(throws: DungeonError.self) {
        _ = try VectorEnv(task: "score", count: 1, seed: 1, configuration: .init(spec: .dungeon(cropSize: 8)))
    }
    let env = try VectorEnv(task: "score", count: 2, seed: 1)
    let before = Array(env.blstats)
    #expect(throws: DungeonError.invalidConfiguration("expected 2 actions, got 1")) { try env.step(actions: [0]) }
    #expect(throws: DungeonError.invalidConfiguration("action \(Action.count) for env 1 is outside 0..<\(Action.count)")) {
        try env.step(actions: [0, Int32(Action.count)])
    }
    #expect(throws: DungeonError.invalidConfiguration("action -1 for env 0 is outside 0..<\(Action.count)")) { try env.step(actions: [-1, 0]) }
    #expect(Array(env.blstats) == before, "a refused step steps no env")
}

@Test func buffersHaveTheLayoutsSizes() throws {
    let spec = ObservationSpec.dungeon()
    let env = try VectorEnv(task: "staircase", count: 3, seed: 1)
    #expect(env.glyphs.count == 3 * 21 * 79)
    #expect(env.crop.count == 3 * 81)
    #expect(env.blstats.count == 3 * 16)
    #expect(env.captions.count == 3 * 256)
    #expect(env.captionLength.count == 3 && env.captionCount.count == 3)
    #expect(env.reward.count == 3 && env.done.count == 3 && env.truncated.count == 3)
    #expect(spec.fingerprint.contains("env=dungeon map=21x79 crop=9 glyphs=\(Glyph.count) blstats=16 caption=256 actions=\(Action.count)"))
    #expect(env.spec == spec)
    #expect(spec != ObservationSpec.dungeon(cropSize: 11))
}

@Test func theSameRunSeedGivesTheSameBuffers() throws {
    let a = try VectorEnv(task: "score", count: 4, seed: 42)
    let b = try VectorEnv(task: "score", count: 4, seed: 42)
    let c = try VectorEnv(task: "score", count: 4, seed: 43)
    var rng = SplitMix64(seed: 1)
    var differs = false
    for _ in 0..<300 {
        let actions = (0..<4).map { _ in Int32(rng.below(Action.count)) }
        try a.step(actions: actions)
        try b.step(actions: actions)
        try c.step(actions: actions)
        #expect(Array(a.glyphs) == Array(b.glyphs))
        #expect(Array(a.blstats) == Array(b.blstats))
        #expect(Array(a.captions) == Array(b.captions))
        #expect(Array(a.reward) == Array(b.reward))
        if Array(a.glyphs) != Array(c.glyphs) { differs = true }
    }
    #expect(differs)
    #expect(a.episodeSeeds != c.episodeSeeds)
    #expect(Set(a.episodeSeeds).count == 4, "envs must get distinct seeds")
}

@Test func episodesAutoResetWithTheFirstObservationOfTheNextEpisode() throws {
    let env = try VectorEnv(task: "staircase", count: 2, seed: 9)
    let limit = env.task.stepLimit
    var ended = 0
    var steps = [0, 0]
    for _ in 0..<(limit + 5) {
        let seedsBefore = env.episodeSeeds
        try env.step(actions: [Int32(Action.search.rawValue), Int32(Action.look.rawValue)])
        for i in 0..<2 {
            steps[i] += 1
            guard env.done[i] == 1 else { continue }
            ended += 1
            let finished = try #require(env.finishedEpisodes.first { $0.envIndex == i })
            #expect(finished.length == steps[i])
            #expect(finished.seed == seedsBefore[i])
            #expect(env.episodeSeeds[i] != seedsBefore[i])
            // The observation is the next episode's first one.
            #expect(env.blstats[i * BLStat.count + BLStat.turn.rawValue] == 1)
            #expect(env.captionCount[i] == 1)
            #expect(env.caption(i).hasPrefix("Hello Agent, welcome to the Dungeon!"))
            if finished.truncated {
                #expect(env.truncated[i] == 1 && finished.length == limit)
            }
            steps[i] = 0
        }
    }
    #expect(ended >= 2)
    // Looking never passes time, so env 1 can only have ended by truncation.
    #expect(env.game(1).turn == 1)
}

@Test func captionCountCountsRepeatsWithinTheEpisode() throws {
    let env = try VectorEnv(task: "score", count: 1, seed: 3)
    #expect(env.captionCount[0] == 1)
    let look = Int32(Action.look.rawValue)
    try env.step(actions: [look])
    let first = env.caption(0)
    let count = env.captionCount[0]
    try env.step(actions: [look])
    #expect(env.caption(0) == first)
    #expect(env.captionCount[0] == count + 1)
    try env.step(actions: [look])
    #expect(env.captionCount[0] == count + 2)
}

@Test func cropOnlyModeLeavesTheFullMapUntouched() throws {
    let env = try VectorEnv(task: "score", count: 2, seed: 3, configuration: .init(writeFullMap: false))
    try env.step(actions: [0, 1])
    #expect(env.glyphs.allSatisfy { $0 == 0 })
    #expect(env.crop[40] == Glyph.player && env.crop[81 + 40] == Glyph.player)
}

@Test func recordedEpisodesReplayExactly() throws {
    let env = try VectorEnv(task: "score", count: 1, seed: 12)
    var recording = EpisodeRecording(task: "score", seed: env.episodeSeeds[0])
    var rng = SplitMix64(seed: 2)
    for _ in 0..<400 {
        let action = Int32(rng.below(Action.count))
        try env.step(actions: [action])
        if env.done[0] == 1 { break }
        recording.actions.append(action)
    }
    let game = try recording.replay()
    let blstats = Array(env.blstats)
    var replayed = [Int32](repeating: 0, count: BLStat.count)
    replayed.withUnsafeMutableBufferPointer { game.writeBlstats(into: $0.baseAddress!) }
    #expect(replayed == blstats)
    #expect(game.caption == env.caption(0))
    #expect(Renderer.lines(of: game).count == 1 + 21 + 2)
}

/// Recordings written by hand play, or before they said who played, have no player and still read;
/// one written with a player reads back with it.
@Test func aRecordingSaysWhichCheckpointPlayedItAndOlderOnesStillRead() throws {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("yendor-recording-\(UInt64.random(in: 0...UInt64.max)).json")
    defer { try? FileManager.default.removeItem(at: file) }
    try Data(#"{"task":"score","seed":4,"actions":[1,2],"rows":21,"columns":79}"#.utf8).write(to: file)
    let old = try EpisodeRecording.read(from: file)
    #expect(old.player == nil && old.actions == [1, 2])
    let player = EpisodeRecording.Player(checkpoint: "/r/checkpoints/ckpt-000000002048", policyVersion: 9, envSteps: 2048, selection: .greedy)
    try EpisodeRecording(task: "score", seed: 4, actions: [1, 2], player: player).write(to: file)
    #expect(try EpisodeRecording.read(from: file).player == player)
    #expect(player.summary == "ckpt-000000002048 (policy version 9, 2048 env steps, greedy)")
}

@Test func episodeCaptionCountsCountRepeatsPeekWithoutCountingAndStartAfreshAtReset() {
    var counts = EpisodeCaptionCounts()
    let door = EpisodeCaptionCounts.key(Array("The door opens.".utf8))
    let key = EpisodeCaptionCounts.key(Array("k - a skeleton key.".utf8))
    #expect(door == EpisodeCaptionCounts.key("The door opens.".utf8), "the key depends on the bytes, not their container")
    #expect(counts.count(door) == 1)
    #expect(counts.count(door) == 2)
    #expect(counts.count(key) == 1)
    #expect(counts.peek(door) == 3, "what one more showing would make")
    #expect(counts.count(door) == 3, "peeking counted nothing")
    counts.reset()
    #expect(counts.count(door) == 1)
}
