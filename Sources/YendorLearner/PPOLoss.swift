import Foundation

/// Per-sample PPO loss terms (Schulman et al. 2017) and their derivatives.
public enum PPOLoss {
    /// Largest log π − log μ the clipped surrogate uses (see `clippedSurrogate`).
    public static let maxLogRatio: Float = 20

    /// Clipped surrogate L^CLIP for one sample, as a loss to minimise:
    /// −min(r·A, clip(r, 1−ε, 1+ε)·A) with r = exp(log π − log μ).
    /// Returns the loss and d(loss)/d(log π). When the clipped branch is the minimum the
    /// gradient is zero (the ratio has moved far enough in the advantage's direction).
    ///
    /// The log-ratio is capped at `maxLogRatio` first. An honest behaviour policy is never that far
    /// below the learner's (e^20 ≈ 5·10⁸), but a behaviour log-probability of, say, −10³⁰ (finite,
    /// ≤ 0, so it passes admission) would make r infinite and, with A < 0, the loss infinite: an update
    /// skipped, and a learner stopped after a few in a row. A capped sample adds a finite loss and no
    /// gradient, and counts as clipped.
    public static func clippedSurrogate(logRatio: Float, advantage: Float, clip: Float) -> (loss: Float, gradLogProb: Float, clipped: Bool) {
        let capped = !(logRatio <= maxLogRatio)
        let ratio = expf(capped ? maxLogRatio : logRatio)
        let unclipped = ratio * advantage
        let clippedTerm = min(max(ratio, 1 - clip), 1 + clip) * advantage
        if capped { return (-min(unclipped, clippedTerm), 0, true) }
        if unclipped <= clippedTerm {
            return (-unclipped, -unclipped, false)  // d(−r·A)/d log π = −r·A
        }
        return (-clippedTerm, 0, true)
    }

    /// Value loss ½(V − v)² for one sample, or with `clip` > 0 the PPO2-style clipped form
    /// ½·max((V − v)², (V_old + clip(V − V_old, ±clip) − v)²). Returns loss and dL/dV.
    public static func valueLoss(value: Float, target: Float, oldValue: Float, clip: Float) -> (loss: Float, gradValue: Float) {
        let error = value - target
        guard clip > 0 else { return (0.5 * error * error, error) }
        let delta = value - oldValue
        let clippedValue = oldValue + min(max(delta, -clip), clip)
        let clippedError = clippedValue - target
        if error * error >= clippedError * clippedError { return (0.5 * error * error, error) }
        return (0.5 * clippedError * clippedError, abs(delta) < clip ? clippedError : 0)
    }

    /// Entropy H = −Σ p log p of one row of log-probabilities, and dH/dz for the logits z
    /// written into `gradLogits` (dH/dz_j = −p_j (log p_j + H)).
    public static func entropy(logProbs: UnsafePointer<Float>, count: Int, gradLogits: UnsafeMutablePointer<Float>) -> Float {
        var h: Float = 0
        for j in 0..<count { h -= expf(logProbs[j]) * logProbs[j] }
        for j in 0..<count { gradLogits[j] = -expf(logProbs[j]) * (logProbs[j] + h) }
        return h
    }
}
