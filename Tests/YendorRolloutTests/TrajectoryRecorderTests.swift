import Dungeon
import Testing
import YendorEnvironment
import YendorSupport
import YendorWire
@testable import YendorRollout

/// The worker's recorder writes the `TrajectoryBatch` it sends; a rollout that did not finish
/// leaves nothing behind for the next one.
@Suite struct TrajectoryRecorderTests {
    /// A recorder that has recorded steps of a Dungeon env until at least one episode ended.
    static func recorderWithAnEndedEpisode() throws -> TrajectoryRecorder {
        let env = try VectorEnv(task: "staircase", count: 3, seed: 4)
        var recorder = TrajectoryRecorder(steps: 4, envs: 3, layout: env.spec, fullMap: false)
        recorder.recordObservation(row: 0, env: env)
        var rng = SplitMix64(seed: 2)
        while env.finishedEpisodes.isEmpty {
            let actions = (0..<3).map { _ in Int32(rng.next() % UInt64(env.spec.actionCount)) }
            try actions.withUnsafeBufferPointer { try env.step(actions: $0) }
        }
        let result = InferenceBatcher.Result(actions: [0, 0, 0], logProbs: [-1, -1, -1], values: [0, 0, 0], policyVersion: 1)
        recorder.recordStep(0, env: env, result: result)
        return recorder
    }

    @Test func aRolloutThatDidNotFinishLeavesNoEpisodesOrCaptionsForTheNext() throws {
        var kept = try Self.recorderWithAnEndedEpisode()
        let unfinished = kept.finish(workerID: "w", task: "staircase", policyVersion: 1)
        #expect(!unfinished.episodes.isEmpty, "without begin(), the recorded episode would be sent")

        var restarted = try Self.recorderWithAnEndedEpisode()
        restarted.begin()
        let next = restarted.finish(workerID: "w", task: "staircase", policyVersion: 1)
        #expect(next.episodes.isEmpty)
        #expect(next.captions == [""])
    }
}
