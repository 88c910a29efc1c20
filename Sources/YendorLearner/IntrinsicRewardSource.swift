/// Supplies the intrinsic reward of every step of a batch (T·B values, time-major), from what the
/// batch carries (its `captions`).
///
/// The annotator's reward models plug in here (`CaptionRewardSource`); the learner combines the
/// result as `extrinsicCoefficient × extrinsic + intrinsicCoefficient × intrinsic`. A learner
/// without a source has no intrinsic reward.
public protocol IntrinsicRewardSource {
    /// Writes T·B intrinsic rewards for `batch` into `rewards` (resized by the callee).
    func intrinsicRewards(for batch: RolloutBatch, into rewards: inout [Float])
}
