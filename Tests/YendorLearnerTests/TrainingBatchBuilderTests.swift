import Testing
import YendorEnvironment
import YendorLearner
import YendorWire

@Suite struct TrainingBatchBuilderTests {
    static func builder(batchSize: Int) -> TrainingBatchBuilder {
        let spec = tinyPolicyConfiguration().observation
        return TrainingBatchBuilder(validator: TrajectoryValidator(rolloutLength: 2, actionCount: 4, spec: spec),
                                    spec: spec, batchSize: batchSize)
    }

    static func trajectory(envs: Int) -> TrajectoryBatch {
        RolloutBatchAssemblerTests.batch(envs: envs, spec: tinyPolicyConfiguration().observation, table: ["", "You find a key."],
                                         pick: { Int32($0 % 2) }, count: { _ in 1 })
    }

    @Test func aBatchComesOnceTheHeldTrajectoriesHoldBatchSizeSamples() throws {
        var b = Self.builder(batchSize: 10)
        try b.add(Self.trajectory(envs: 2))  // T·B = 4
        #expect(try b.build() == nil && b.pendingSamples == 4, "4 of 10 samples: no batch yet, nothing released")
        try b.add(Self.trajectory(envs: 3))  // 4 + 6
        let batch = try #require(try b.build())
        #expect(batch.envCount == 5 && batch.timeSteps == 2)
        #expect(batch.captions.stepCount == 10 && batch.captions.captions == ["", "You find a key."])
        #expect(b.pending.isEmpty && b.pendingSamples == 0)
    }

    @Test func aTrajectoryThatFailsTheCheckIsRefusedWithItsReasonAndNotHeld() throws {
        var b = Self.builder(batchSize: 4)
        var bad = Self.trajectory(envs: 2)
        bad.actions[1] = 9
        #expect(throws: TrajectoryValidator.Rejection.self) { try b.add(bad) }
        do { try b.check(bad) } catch { #expect(error.reason == .actionRange) }
        #expect(b.pending.isEmpty)
        var short = Self.trajectory(envs: 2)
        short.captionIndex[0] = 5
        do { try b.add(short) } catch { #expect(error.reason == .captionIndex) }
        #expect(try b.build() == nil, "nothing held, nothing built")
    }
}
