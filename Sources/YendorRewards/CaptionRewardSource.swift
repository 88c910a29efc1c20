import YendorLearner

/// Adapts a `RewardModel` to the learner's `IntrinsicRewardSource`: scores the captions the batch
/// carries (`RolloutBatch.captions`), r / N^β. A batch without captions, or with a malformed block,
/// gets zero intrinsic reward and is counted in `rewards/missing_blocks` (the protocol cannot
/// throw, and training must go on).
public final class CaptionRewardSource: IntrinsicRewardSource {
    /// The reward model consulted.
    public let model: any RewardModel
    /// The count scaling applied.
    public let scaling: CountScaledIntrinsicReward
    private var lastSummary: CountScaledIntrinsicReward.Summary?
    private var missingBlocks = 0

    public init(model: any RewardModel, scaling: CountScaledIntrinsicReward) {
        self.model = model
        self.scaling = scaling
    }

    public func intrinsicRewards(for batch: RolloutBatch, into rewards: inout [Float]) {
        let block = batch.captions
        guard block.stepCount == batch.sampleCount,
              let summary = try? scaling.intrinsicRewards(for: block, model: model, into: &rewards) else {
            missingBlocks += 1
            rewards = [Float](repeating: 0, count: batch.sampleCount)
            return
        }
        lastSummary = summary
    }

    /// The model's metrics plus the last block's mean, sparsity and labeled-step fraction.
    public var metrics: [RewardMetric: Double] {
        var m = model.metrics
        if let s = lastSummary {
            m[.mean] = s.mean
            m[.sparsity] = s.sparsity
            m[.labeledStepFraction] = s.labeledFraction
        }
        m[.missingBlocks] = Double(missingBlocks)
        return m
    }
}
