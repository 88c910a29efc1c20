/// The reward models' and the caption reward source's readings, one name each (the table in
/// docs/rewards.md). They are derived from model state (coverage is answered ÷ queried, accuracy
/// is measured on the held-out split), so a model computes them when read, and the learner records
/// them as swift-metrics gauges after each update (`LearnerMetrics.record(_:)` in YendorRuntime).
/// A reading a model leaves out (undefined so far) gets no gauge, so no column of zeros.
public enum RewardMetric: String, CaseIterable, Sendable {
    /// Labels or preferences received (all models).
    case labels = "rewards/labels"
    /// Fraction of queried captions (or pairs) that got an answer (all models).
    case coverage = "rewards/coverage"
    /// Queries forgotten unanswered after their model's `queryRetrySeconds`, to be asked again (all models).
    case queriesRetried = "rewards/queries_retried"
    /// Captions in the retrieval table.
    case labeledCaptions = "rewards/labeled_captions"
    /// Fraction of the retrieval table's captions that are helpful.
    case helpfulFraction = "rewards/helpful_fraction"
    /// Held-out accuracy at the decision threshold (classification).
    case classifierAccuracy = "rewards/classifier_accuracy"
    /// Held-out pairwise accuracy, ties excluded (ranking).
    case rankingAccuracy = "rewards/ranking_accuracy"
    /// Labels in the training split (classification, ranking).
    case trainLabels = "rewards/train_labels"
    /// Labels in the held-out split (classification, ranking).
    case heldOutLabels = "rewards/held_out_labels"
    /// Optimiser steps taken (classification, ranking).
    case trainSteps = "rewards/train_steps"
    /// The last minibatch's loss (classification, ranking).
    case trainLoss = "rewards/train_loss"
    /// The ranking normaliser's running mean.
    case normalizerMean = "rewards/normalizer_mean"
    /// The ranking normaliser's running standard deviation.
    case normalizerStd = "rewards/normalizer_std"
    /// The ranking model's current threshold.
    case threshold = "rewards/threshold"
    /// Mean intrinsic reward per step of the last batch, after count scaling (the source).
    case mean = "rewards/mean"
    /// Fraction of the last batch's steps with intrinsic reward exactly 0 (the source).
    case sparsity = "rewards/sparsity"
    /// Fraction of the last batch's steps whose caption has a label (the source).
    case labeledStepFraction = "rewards/labeled_step_fraction"
    /// Batches that arrived without captions and got zero intrinsic reward (the source).
    case missingBlocks = "rewards/missing_blocks"
}
