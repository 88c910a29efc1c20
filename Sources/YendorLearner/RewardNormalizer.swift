/// Scales rewards by the running standard deviation of all rewards seen so far.
///
/// Only scaled, not centred: subtracting a mean would change which episodes are
/// preferred (a constant per-step reward is a survival bonus). Statistics are Welford
/// running moments in Double and are part of checkpoints.
public struct RewardNormalizer: Sendable, Codable, Equatable {
    /// Number of rewards observed.
    public var count: Double = 0
    /// Running mean.
    public var mean: Double = 0
    /// Running sum of squared deviations.
    public var sumOfSquares: Double = 0

    public init() {}

    /// Adds `rewards` to the statistics.
    public mutating func observe(_ rewards: [Float]) {
        for r in rewards {
            count += 1
            let d = Double(r) - mean
            mean += d / count
            sumOfSquares += d * (Double(r) - mean)
        }
    }

    /// Current standard deviation (1 until there are two samples).
    public var standardDeviation: Double {
        count < 2 ? 1 : (sumOfSquares / (count - 1)).squareRoot()
    }

    /// Divides each reward by the running standard deviation (floored at 1e-4).
    public func scale(_ rewards: inout [Float]) {
        let s = Float(1 / max(standardDeviation, 1e-4))
        for i in rewards.indices { rewards[i] *= s }
    }
}
