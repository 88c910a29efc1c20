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
                            Self.step(w.baseAddress!, g.baseAddress!, m.baseAddress!, v.baseAddress!, count: w.count,
                                      b1: b1, b2: b2, c1: c1, c2: c2, eps: eps, learningRate: learningRate)
                        }
                    }
                }
            }
        }
    }

    /// One pass over a parameter: both moments and the weight, 8 lanes at a time (explicit
    /// SIMD: the compiler does not vectorise this loop over four unrelated pointers itself).
    private static func step(_ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                             _ v: UnsafeMutablePointer<Float>, count: Int,
                             b1: Float, b2: Float, c1: Float, c2: Float, eps: Float, learningRate: Float) {
        typealias Lanes = SIMD8<Float>
        let width = Lanes.scalarCount
        var i = 0
        while i + width <= count {
            let gi = UnsafeRawPointer(g + i).loadUnaligned(as: Lanes.self)
            let mi = b1 * UnsafeRawPointer(m + i).loadUnaligned(as: Lanes.self) + (1 - b1) * gi
            let vi = b2 * UnsafeRawPointer(v + i).loadUnaligned(as: Lanes.self) + (1 - b2) * gi * gi
            let wi = UnsafeRawPointer(w + i).loadUnaligned(as: Lanes.self)
                - learningRate * (mi / c1) / ((vi / c2).squareRoot() + eps)
            UnsafeMutableRawPointer(m + i).storeBytes(of: mi, as: Lanes.self)
            UnsafeMutableRawPointer(v + i).storeBytes(of: vi, as: Lanes.self)
            UnsafeMutableRawPointer(w + i).storeBytes(of: wi, as: Lanes.self)
            i += width
        }
        while i < count {  // the same arithmetic, one lane at a time
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
            w[i] -= learningRate * (m[i] / c1) / ((v[i] / c2).squareRoot() + eps)
            i += 1
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
