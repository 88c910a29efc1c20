/// Supplies the intrinsic reward of every step of a batch (T·B values, time-major).
///
/// The annotator's reward models plug in here; the learner combines the result as
/// `extrinsicCoefficient × extrinsic + intrinsicCoefficient × intrinsic`.
public protocol IntrinsicRewardSource {
    /// Writes T·B intrinsic rewards for `batch` into `rewards` (resized by the callee).
    func intrinsicRewards(for batch: RolloutBatch, into rewards: inout [Float])
}

/// No intrinsic reward: extrinsic-only APPO.
public struct ZeroIntrinsicRewardSource: IntrinsicRewardSource {
    public init() {}
    public func intrinsicRewards(for batch: RolloutBatch, into rewards: inout [Float]) {
        rewards = [Float](repeating: 0, count: batch.sampleCount)
    }
}

/// The intrinsic rewards that arrived with the batch (`RolloutBatch.intrinsicRewards`),
/// e.g. computed by rollout workers from the current reward model. The default.
public struct BatchIntrinsicRewardSource: IntrinsicRewardSource {
    public init() {}
    public func intrinsicRewards(for batch: RolloutBatch, into rewards: inout [Float]) {
        rewards = batch.intrinsicRewards
    }
}
