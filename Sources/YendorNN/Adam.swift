import Foundation

/// Adam optimiser (Kingma & Ba, 2015) with bias correction.
///
/// m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; θ ← θ − lr·m̂/(√v̂ + ε), where
/// m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).
public final class Adam {
    /// Hyperparameters.
    public struct Configuration: Sendable, Codable, Equatable {
        /// Exponential decay of the first-moment estimate.
        public var beta1: Float = 0.9
        /// Exponential decay of the second-moment estimate.
        public var beta2: Float = 0.999
        /// Added to √v̂ to avoid division by zero.
        public var epsilon: Float = 1e-6
        public init() {}
    }

    /// Hyperparameters in use.
    public let configuration: Configuration
    /// The parameters updated, in a fixed order.
    public let parameters: [Parameter]
    /// Number of steps taken (t in the bias correction).
    public private(set) var step = 0
    private var firstMoment: [[Float]]
    private var secondMoment: [[Float]]

    public init(parameters: [Parameter], configuration: Configuration = Configuration()) {
        self.parameters = parameters
        self.configuration = configuration
        firstMoment = parameters.map { [Float](repeating: 0, count: $0.count) }
        secondMoment = firstMoment
    }

    /// Applies one update with the parameters' current gradients.
    public func update(learningRate: Float) {
        step += 1
        let b1 = configuration.beta1, b2 = configuration.beta2, eps = configuration.epsilon
        // Bias corrections in Double so t in the thousands does not lose precision.
        let c1 = Float(1 - pow(Double(b1), Double(step)))
        let c2 = Float(1 - pow(Double(b2), Double(step)))
        for (p, parameter) in parameters.enumerated() {
            parameter.value.withUnsafeMutableBufferPointer { w in
                parameter.gradient.withUnsafeBufferPointer { g in
                    firstMoment[p].withUnsafeMutableBufferPointer { m in
                        secondMoment[p].withUnsafeMutableBufferPointer { v in
                            for i in 0..<w.count {
                                m[i] = b1 * m[i] + (1 - b1) * g[i]
                                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                                let mHat = m[i] / c1, vHat = v[i] / c2
                                w[i] -= learningRate * mHat / (vHat.squareRoot() + eps)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Optimiser state as named tensors ("adam.m.<param>", "adam.v.<param>") for checkpoints.
    public func stateTensors() -> [NamedTensor] {
        parameters.indices.flatMap { p in [
            NamedTensor(name: "adam.m." + parameters[p].name, shape: parameters[p].shape, values: firstMoment[p]),
            NamedTensor(name: "adam.v." + parameters[p].name, shape: parameters[p].shape, values: secondMoment[p]),
        ] }
    }

    /// Restores state written by `stateTensors()` and the step count.
    public func loadState(_ tensors: [String: NamedTensor], step: Int) throws {
        for (p, parameter) in parameters.enumerated() {
            for (prefix, isFirst) in [("adam.m.", true), ("adam.v.", false)] {
                guard let t = tensors[prefix + parameter.name] else { throw NNError.tensorMismatch("missing \(prefix + parameter.name)") }
                guard t.shape == parameter.shape else { throw NNError.tensorMismatch("\(t.name) has shape \(t.shape), expected \(parameter.shape)") }
                if isFirst { firstMoment[p] = t.values } else { secondMoment[p] = t.values }
            }
        }
        self.step = step
    }
}
