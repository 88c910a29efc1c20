import YendorLearner

/// Adapts a `RewardModel` to the learner's `IntrinsicRewardSource`.
///
/// `RolloutBatch` carries no captions, so the caller stages the batch's `CaptionBlock`
/// right before `APPOLearner.train(on:)`; the learner then asks for the rewards. A batch with
/// no staged block, or one of the wrong size, gets zero intrinsic reward and is counted
/// in `rewards/missing_blocks` (the protocol cannot throw, and training must go on).
public final class CaptionRewardSource: IntrinsicRewardSource {
    /// The reward model consulted.
    public let model: any RewardModel
    /// The count scaling applied.
    public let scaling: CountScaledIntrinsicReward
    private var staged: CaptionBlock?
    private var lastSummary: CountScaledIntrinsicReward.Summary?
    private var missingBlocks = 0

    public init(model: any RewardModel, scaling: CountScaledIntrinsicReward) {
        self.model = model
        self.scaling = scaling
    }

    /// Sets the captions of the next batch; throws if the block is malformed.
    public func stage(_ block: CaptionBlock) throws {
        try block.validate()
        staged = block
    }

    public func intrinsicRewards(for batch: RolloutBatch, into rewards: inout [Float]) {
        defer { staged = nil }
        guard let block = staged, block.stepCount == batch.sampleCount,
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
