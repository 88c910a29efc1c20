/// How the learning rate moves over a run, as a function of the share of its env-step budget
/// taken in (Sample Factory's `lr_schedule`, CleanRL's `anneal_lr`): by budget rather than by
/// optimiser step, so a resumed run picks the schedule up where it was, and samples dropped as too
/// stale do not stretch it.
public enum LearningRateSchedule: String, Sendable, Codable, Equatable, CaseIterable {
    /// The base rate throughout.
    case constant
    /// Linear from the base rate at the start to `finalFraction`·base at the budget.
    case linear

    /// The rate for base rate `base` once `progress` (0...1, clamped) of the budget is taken in.
    public func rate(base: Float, finalFraction: Float, progress: Double) -> Float {
        switch self {
        case .constant:
            return base
        case .linear:
            let done = Float(min(max(progress, 0), 1))
            return base * (1 - done * (1 - finalFraction))
        }
    }
}
