/// Layer normalisation over the last dimension: y = γ·(x − mean)/√(var + ε) + β per row.
public final class LayerNorm: Layer {
    /// Row width.
    public let features: Int
    /// Added to the variance for stability.
    public let epsilon: Float
    /// Gain γ, shape [features], initialised to 1.
    public let gain: Parameter
    /// Bias β, shape [features], initialised to 0.
    public let bias: Parameter
    public var parameters: [Parameter] { [gain, bias] }

    private var normalized: [Float] = []
    private var inverseStd: [Float] = []
    private let output = Tensor(shape: [0])
    private let gradInput = Tensor(shape: [0])

    public init(name: String, features: Int, epsilon: Float = 1e-5) {
        self.features = features
        self.epsilon = epsilon
        gain = Parameter(name: name + ".gain", shape: [features])
        bias = Parameter(name: name + ".bias", shape: [features])
        for i in 0..<features { gain.value[i] = 1 }
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.count % features == 0, "LayerNorm \(gain.name): input size mismatch")
        let rows = x.count / features, n = features
        output.resize(x.shape)
        normalized.resize(to: x.count)
        inverseStd.resize(to: rows)
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { y in
                normalized.withUnsafeMutableBufferPointer { xh in
                    gain.value.withUnsafeBufferPointer { g in
                        bias.value.withUnsafeBufferPointer { b in
                            for r in 0..<rows {
                                let base = r * n
                                var mean: Float = 0
                                for j in 0..<n { mean += xp[base + j] }
                                mean /= Float(n)
                                var variance: Float = 0
                                for j in 0..<n { let d = xp[base + j] - mean; variance += d * d }
                                variance /= Float(n)
                                let inv = 1 / (variance + epsilon).squareRoot()
                                inverseStd[r] = inv
                                for j in 0..<n {
                                    let h = (xp[base + j] - mean) * inv
                                    xh[base + j] = h
                                    y[base + j] = g[j] * h + b[j]
                                }
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        let rows = normalized.count / features, n = features
        precondition(gradOutput.count == normalized.count, "LayerNorm \(gain.name): gradient size mismatch")
        gradInput.resize(output.shape)
        // dx = (1/σ)·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)), with dx̂ = dy·γ.
        gradOutput.data.withUnsafeBufferPointer { dy in
            normalized.withUnsafeBufferPointer { xh in
                gradInput.data.withUnsafeMutableBufferPointer { dx in
                    gain.value.withUnsafeBufferPointer { g in
                        gain.gradient.withUnsafeMutableBufferPointer { dg in
                            bias.gradient.withUnsafeMutableBufferPointer { db in
                                for r in 0..<rows {
                                    let base = r * n
                                    var meanD: Float = 0, meanDX: Float = 0
                                    for j in 0..<n {
                                        let d = dy[base + j] * g[j]
                                        meanD += d
                                        meanDX += d * xh[base + j]
                                        dg[j] += dy[base + j] * xh[base + j]
                                        db[j] += dy[base + j]
                                    }
                                    meanD /= Float(n)
                                    meanDX /= Float(n)
                                    let inv = inverseStd[r]
                                    for j in 0..<n {
                                        dx[base + j] = inv * (dy[base + j] * g[j] - meanD - xh[base + j] * meanDX)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return gradInput
    }
}
