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
        var recorder = TrajectoryRecorder(steps: 4, envs: 3, spec: env.spec, fullMap: false)
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

/// A caption is recorded as text; bytes that are not UTF-8 become U+FFFD (three bytes each), and
/// the text is cut back on a character boundary so it still fits the spec's capacity, which the
/// learner checks (a trajectory with a caption that does not fit is refused whole).
@Test func captionBytesThatAreNotUTF8BecomeTextThatStillFitsTheCapacity() {
    var spec = ObservationSpec.dungeon()
    spec.captionBytes = 8
    #expect(spec.captionText(Array("abcdefg".utf8) + [0x80]) == "abcdefg", "7 + 3 bytes would not fit 8")
    #expect(spec.captionText(Array("héllo".utf8)) == "héllo", "valid text is kept whole")
    #expect(spec.captionText([0x61, 0xFF, 0x62]) == "a\u{FFFD}b", "a replacement that fits is kept")
    spec.captionBytes = 6
    let cut = spec.captionText([0x61, 0xFF, 0xFF] + Array("é".utf8))
    #expect(cut == "a\u{FFFD}", "1 + 3 + 3 + 2 bytes: cut after the first replacement, never inside a character")
    #expect(cut.utf8.count <= spec.captionBytes)
}
