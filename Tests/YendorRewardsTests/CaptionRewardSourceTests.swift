import Testing
import YendorLearner
@testable import YendorRewards
import YendorPolicy

@Test func rewardSourceUsesTheStagedCaptionsAndZeroesBatchesWithout() throws {
    let model = try RetrievalRewardModel()
    model.observe(label: CaptionLabel(caption: "You find a key.", helpful: true))
    let source = CaptionRewardSource(model: model, scaling: try CountScaledIntrinsicReward())
    let batch = RolloutBatch(timeSteps: 2, envCount: 2, layout: PolicyNetwork.Configuration().observation)
    try source.stage(CaptionBlock(captions: ["", "You find a key."], captionIndex: [1, 0, 1, 0], captionCount: [1, 1, 2, 1]))
    var rewards: [Float] = []
    source.intrinsicRewards(for: batch, into: &rewards)
    #expect(rewards == [1, 0, 0.125, 0])
    #expect(source.metrics[.mean] == 1.125 / 4)
    #expect(source.metrics[.sparsity] == 0.5)
    // The staged block is used once; the next batch has none.
    source.intrinsicRewards(for: batch, into: &rewards)
    #expect(rewards == [0, 0, 0, 0])
    #expect(source.metrics[.missingBlocks] == 1)
}
