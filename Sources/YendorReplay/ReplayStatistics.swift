/// Counters of a replay buffer since it was created (checkpoints carry them over).
public struct ReplayStatistics: Sendable, Equatable {
    /// Items held now.
    public var size: Int = 0
    /// Env steps (T × B summed over items) held now.
    public var steps: Int = 0
    /// Items accepted by `insert`.
    public var inserted: UInt64 = 0
    /// Samples handed out (an item sampled twice counts twice).
    public var sampled: UInt64 = 0
    /// Items removed by `.dropOldest` to make room.
    public var evicted: UInt64 = 0
    /// Items removed because they reached `maxTimesSampled`.
    public var consumed: UInt64 = 0
    /// Inserts refused because the buffer was full under `.block`.
    public var refusedFull: UInt64 = 0
    /// Inserts refused by the rate limiter.
    public var refusedRateLimited: UInt64 = 0
    /// Inserts refused because the batch alone exceeds `capacityInSteps`.
    public var refusedTooLarge: UInt64 = 0
    /// `sample` calls that returned nothing because `canSample` was false.
    public var refusedSamples: UInt64 = 0

    public init() {}

    /// Samples per accepted insert so far; 0 before the first insert.
    public var samplesPerInsert: Double { inserted == 0 ? 0 : Double(sampled) / Double(inserted) }
}

