import YendorSupport

/// How a learned reward model (classification, ranking) builds and trains its `CaptionScorer`,
/// and which of its labels it holds out: the options the two models share, checked in one place.
public struct ScorerTraining: Sendable, Codable, Equatable {
    /// Hash buckets for word and bigram features (including the bias bucket).
    public var featureBuckets = 4096
    /// Width of the hidden layer.
    public var hiddenSize = 32
    /// Adam learning rate.
    public var learningRate: Float = 3e-3
    /// Labels (or preference pairs) per optimiser step, sampled with replacement.
    public var batchSize = 64
    /// Fraction of labels (by a stable hash of their caption, or of the unordered pair) held
    /// out to measure accuracy and never trained on. 0 disables the held-out split.
    public var heldOutFraction: Float = 0.1
    /// Most cached caption scores; the cache is cleared when full or after training.
    public var maxCachedRewards = 100_000
    /// Seed for weight initialisation and minibatch sampling.
    public var seed: UInt64 = 1

    public init() {}

    /// Throws naming the first field out of range, under `section` (e.g. "classification").
    public func validate(section: String) throws {
        let field = { (name: String) in "\(section).scorer.\(name)" }
        try RewardValidation.atLeast(featureBuckets, 2, field("featureBuckets"))
        try RewardValidation.positive(hiddenSize, field("hiddenSize"))
        try RewardValidation.positive(learningRate, field("learningRate"))
        try RewardValidation.positive(batchSize, field("batchSize"))
        try RewardValidation.fraction(heldOutFraction, field("heldOutFraction"))
        guard heldOutFraction < 1 else {
            throw RewardError.invalidConfiguration(field: field("heldOutFraction"), reason: "must be < 1 (nothing would be trained on), got \(heldOutFraction)")
        }
        try RewardValidation.positive(maxCachedRewards, field("maxCachedRewards"))
    }

    /// Whether the labels of `key` (a caption, or a pair's unordered key) are held out.
    func holdsOut(_ key: String) -> Bool {
        heldOutFraction > 0 && StableHash.unit(key) < Double(heldOutFraction)
    }

    /// A scorer built from these options; `prefix` names its parameters (e.g. "rewards.ranking").
    func makeScorer(prefix: String) -> CaptionScorer {
        CaptionScorer(prefix: prefix, buckets: featureBuckets, hiddenSize: hiddenSize, seed: seed)
    }
}
