/// Errors from the policy and the learner, each naming what was wrong.
public enum LearnerError: Error, Equatable, CustomStringConvertible {
    /// An observation array has the wrong size or an out-of-range value.
    case badObservation(String)
    /// A rollout batch is inconsistent (sizes, action ids).
    case badBatch(String)
    /// Too many consecutive updates had a non-finite loss or gradient.
    case tooManyNonFiniteUpdates(step: Int, consecutive: Int)
    /// A weight is NaN or infinite; such weights are never published or checkpointed.
    case nonFiniteWeights(parameter: String)
    /// Finite weights whose outputs are not (training diverged); never published or checkpointed.
    case policyDiverged(step: Int, learningRate: Float)
    /// A checkpoint does not match this learner (configuration or tensors).
    case badCheckpoint(String)
    /// A configuration field has an invalid value.
    case badConfiguration(String)

    public var description: String {
        switch self {
        case let .badObservation(s): "bad observation: \(s)"
        case let .badBatch(s): "bad rollout batch: \(s)"
        case let .tooManyNonFiniteUpdates(step, n): "learner stopped at update step \(step): \(n) consecutive updates had a non-finite loss or gradient"
        case let .nonFiniteWeights(p): "parameter \(p) has non-finite weights; refusing to publish or checkpoint"
        case let .policyDiverged(step, rate):
            "training diverged at update step \(step): the new weights give non-finite outputs (is the learning rate, \(rate), too high?); "
                + "they were not published or checkpointed (a resume with other settings starts from the last checkpoint written, if any)"
        case let .badCheckpoint(s): "bad checkpoint: \(s)"
        case let .badConfiguration(s): "bad configuration: \(s)"
        }
    }
}
