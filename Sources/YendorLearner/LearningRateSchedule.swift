/// Learning rate as a function of the optimiser step.
public enum LearningRateSchedule: Sendable, Codable, Equatable {
    /// The base rate throughout.
    case constant
    /// Linear from the base rate at step 0 to `finalFraction`·base at `totalSteps`, then flat.
    case linearDecay(totalSteps: Int, finalFraction: Float)

    /// The rate at optimiser step `step` (0-based) for base rate `base`.
    public func rate(base: Float, step: Int) -> Float {
        switch self {
        case .constant:
            return base
        case let .linearDecay(total, final):
            guard total > 0 else { return base * final }
            let progress = min(Float(step) / Float(total), 1)
            return base * (1 - progress * (1 - final))
        }
    }
}
