/// Running mean and (population) variance of a stream of values, merged batch by batch
/// (Chan et al.'s parallel update), used to normalise ranking rewards.
public struct RunningMeanStd: Sendable, Equatable, Codable {
    /// Mean of every value seen.
    public private(set) var mean: Double = 0
    /// Population variance of every value seen.
    public private(set) var variance: Double = 0
    /// Number of values seen.
    public private(set) var count: Double = 0
    /// Added to the variance before the square root so a constant stream does not divide by 0.
    public static let epsilon: Double = 1e-8

    public init() {}

    /// Merges a batch of values into the statistics.
    public mutating func update<S: Sequence>(_ values: S) where S.Element == Float {
        var n = 0.0, sum = 0.0, sumSquares = 0.0
        for v in values {
            n += 1
            sum += Double(v)
            sumSquares += Double(v) * Double(v)
        }
        guard n > 0 else { return }
        let batchMean = sum / n
        let batchVariance = max(sumSquares / n - batchMean * batchMean, 0)
        let total = count + n
        let delta = batchMean - mean
        let m2 = variance * count + batchVariance * n + delta * delta * count * n / total
        mean += delta * n / total
        variance = m2 / total
        count = total
    }

    /// (x − mean) / √(variance + ε); x unchanged before any value was seen.
    public func normalize(_ x: Float) -> Float {
        guard count > 0 else { return x }
        return Float((Double(x) - mean) / (variance + Self.epsilon).squareRoot())
    }
}
