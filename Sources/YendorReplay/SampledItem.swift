import YendorWire

/// One draw from the buffer.
public struct SampledItem: Sendable, Equatable {
    /// The item's key, for `updatePriorities`.
    public var key: UInt64
    /// The stored trajectory.
    public var trajectory: ReceivedTrajectory
    /// Probability this draw had of picking this item: 1 for FIFO, 1/size for uniform,
    /// p^alpha / Σ p^alpha for prioritized.
    public var probability: Double
    /// Importance-sampling weight to correct the learner's update: (P_min / P)^beta for prioritized,
    /// so the largest weight is 1; 1 for the other samplers.
    public var importanceWeight: Double
    /// Times this item has been sampled, counting this draw.
    public var timesSampled: Int
}
