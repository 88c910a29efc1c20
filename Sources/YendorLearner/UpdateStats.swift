/// What one `APPOLearner.train(on:)` call did, averaged over its applied minibatch updates.
public struct UpdateStats: Sendable, Equatable {
    /// Policy version after this call (incremented when at least one update was applied).
    public var policyVersion: Int64 = 0
    /// Optimiser steps applied in this call.
    public var updatesApplied = 0
    /// Minibatch updates skipped because the loss or gradient was non-finite.
    public var updatesSkippedNonFinite = 0
    /// Samples used for the loss (T·B minus dropped).
    public var samplesUsed = 0
    /// Samples dropped because their policy version lagged by more than maxPolicyLag.
    public var samplesDroppedForLag = 0
    /// Mean clipped-surrogate loss L^CLIP (as minimised, i.e. negated objective).
    public var policyLoss: Float = 0
    /// Mean value loss L^VF.
    public var valueLoss: Float = 0
    /// Mean policy entropy H.
    public var entropy: Float = 0
    /// Mean total loss L^CLIP + c_v·L^VF − c_e·H.
    public var totalLoss: Float = 0
    /// Mean global gradient norm before clipping.
    public var gradientNorm: Float = 0
    /// Learning rate of the last applied update.
    public var learningRate: Float = 0
    /// Fraction of samples whose ratio was clipped.
    public var clipFraction: Float = 0
    /// Mean importance ratio π/μ over used samples (before this call's updates).
    public var meanImportanceRatio: Float = 0
    /// Mean V-trace target v_t over used samples.
    public var meanValueTarget: Float = 0
    /// Combined rewards that were NaN/∞ (e.g. from a faulty intrinsic source) and were
    /// replaced by 0.
    public var nonFiniteRewardsZeroed = 0
    /// Mean of the combined (and possibly scaled) reward over all samples.
    public var meanReward: Float = 0

    public init() {}
}
