/// Result of `PolicyNetwork.act` for a batch: reused across calls to avoid allocation.
public struct PolicyOutput: Sendable {
    /// Sampled action per sample.
    public var actions: [Int32] = []
    /// log π(action | observation) of the sampled action.
    public var logProbs: [Float] = []
    /// Value estimate V(observation).
    public var values: [Float] = []

    public init() {}
}
