/// Global gradient-norm clipping across a set of parameters.
public enum GradientClipping {
    /// The L2 norm of all gradients together (computed in Double; may be non-finite).
    public static func norm(_ parameters: [Parameter]) -> Float {
        var sum: Double = 0
        for p in parameters {
            p.gradient.withUnsafeBufferPointer { g in for x in g { sum += Double(x) * Double(x) } }
        }
        return Float(sum.squareRoot())
    }

    /// Scales all gradients so their global norm is at most `maxNorm`; returns the norm
    /// before clipping.
    @discardableResult
    public static func clip(_ parameters: [Parameter], maxNorm: Float) -> Float {
        let total = norm(parameters)
        guard total.isFinite, total > maxNorm, total > 0 else { return total }
        let scale = maxNorm / total
        for p in parameters {
            p.gradient.withUnsafeMutableBufferPointer { g in for i in 0..<g.count { g[i] *= scale } }
        }
        return total
    }
}
