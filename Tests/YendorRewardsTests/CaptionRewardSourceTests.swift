import Testing
import YendorWire
import YendorLearner
@testable import YendorRewards
import YendorPolicy

@Test func rewardSourceScoresTheBatchsCaptionsAndZeroesBatchesWithout() throws {
    let model = try RetrievalRewardModel()
    model.observe(.classified("You find a key.", helpful: true))
    let source = CaptionRewardSource(model: model, scaling: try CountScaledIntrinsicReward())
    var batch = RolloutBatch(timeSteps: 2, envCount: 2, spec: PolicyNetwork.Configuration().observation)
    batch.captions = CaptionBlock(captions: ["", "You find a key."], captionIndex: [1, 0, 1, 0], captionCount: [1, 1, 2, 1])
    var rewards: [Float] = []
    source.intrinsicRewards(for: batch, into: &rewards)
    #expect(rewards == [1, 0, 0.125, 0])
    #expect(source.metrics[.mean] == 1.125 / 4)
    #expect(source.metrics[.sparsity] == 0.5)
    // A batch built without captions gets zeros, counted.
    batch.captions = .empty
    source.intrinsicRewards(for: batch, into: &rewards)
    #expect(rewards == [0, 0, 0, 0])
    #expect(source.metrics[.missingBlocks] == 1)
}
