import Foundation

/// The two losses the learned reward models minimise, with their gradients.
///
/// Both are written with softplus(x) = log(1 + eˣ) so large logits neither overflow nor
/// lose precision.
enum PairwiseLoss {
    static func softplus(_ x: Float) -> Float { x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)) }
    static func sigmoid(_ x: Float) -> Float { x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)) }

    /// Mean binary cross-entropy of `logits` against targets y ∈ [0, 1]:
    /// L = mean(softplus(z) − y·z); dL/dz = (σ(z) − y)/n.
    static func binaryCrossEntropy(logits: [Float], targets: [Float]) -> (loss: Float, gradient: [Float]) {
        let n = Float(logits.count)
        var loss: Float = 0
        var gradient = [Float](repeating: 0, count: logits.count)
        for i in logits.indices {
            loss += softplus(logits[i]) - targets[i] * logits[i]
            gradient[i] = (sigmoid(logits[i]) - targets[i]) / n
        }
        return (loss / n, gradient)
    }

    /// Mean Bradley–Terry logistic loss on score differences d = r(a) − r(b), where y is
    /// the probability that a is preferred (1, 0 or ½ for a tie): L = mean(softplus(d) − y·d).
    /// Returns dL/dr(a); dL/dr(b) is its negation.
    static func bradleyTerry(first: [Float], second: [Float], targets: [Float]) -> (loss: Float, gradientFirst: [Float]) {
        let d = zip(first, second).map { $0 - $1 }
        let (loss, g) = binaryCrossEntropy(logits: d, targets: targets)
        return (loss, g)
    }
}
