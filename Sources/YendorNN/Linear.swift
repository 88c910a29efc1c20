import YendorSupport
/// Fully connected layer: y = x·W + b, with x of shape [rows, inFeatures].
///
/// W is stored [inFeatures, outFeatures] so forward and both backward products are single
/// row-major sgemm calls without transposed copies.
public final class Linear: Layer {
    /// Number of input features per row.
    public let inFeatures: Int
    /// Number of output features per row.
    public let outFeatures: Int
    /// Weight, shape [inFeatures, outFeatures].
    public let weight: Parameter
    /// Bias, shape [outFeatures].
    public let bias: Parameter
    /// Applied to the affine output in the same pass (`.elu` replaces a separate `ELU` layer).
    public let activation: Activation
    public var parameters: [Parameter] { [weight, bias] }

    private var input: Tensor?
    private let output = Tensor(shape: [0])
    private let gradInput = Tensor(shape: [0])
    private let gradPreActivation = Tensor(shape: [0])

    /// Creates the layer with uniform(±gain/√inFeatures) weights and zero bias; `activation`
    /// is applied to x·W + b in the same pass.
    public init(name: String, inFeatures: Int, outFeatures: Int, gain: Float = 1,
                activation: Activation = .identity, rng: inout SplitMix64) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.activation = activation
        weight = Parameter(name: name + ".weight", shape: [inFeatures, outFeatures])
        bias = Parameter(name: name + ".bias", shape: [outFeatures])
        weight.initializeUniform(bound: gain / Float(inFeatures).squareRoot(), using: &rng)
    }

    /// Multiply-adds per input row (for FLOP accounting).
    public var multiplyAddsPerRow: Int { inFeatures * outFeatures }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.count % inFeatures == 0, "Linear \(weight.name): input of \(x.count) elements is not a multiple of \(inFeatures)")
        let rows = x.count / inFeatures
        input = x
        output.resize([rows, outFeatures])
        let n = outFeatures
        output.data.withUnsafeMutableBufferPointer { out in
            bias.value.withUnsafeBufferPointer { b in
                for r in 0..<rows { (out.baseAddress! + r * n).update(from: b.baseAddress!, count: n) }
            }
            x.data.withUnsafeBufferPointer { xp in
                weight.value.withUnsafeBufferPointer { w in
                    BLAS.gemm(m: rows, n: n, k: inFeatures, a: xp.baseAddress!, lda: inFeatures,
                              b: w.baseAddress!, ldb: n, beta: 1, c: out.baseAddress!, ldc: n)
                }
            }
        }
        if activation == .elu {
            output.data.withUnsafeMutableBufferPointer { ELU.activate($0.baseAddress!, count: $0.count, alpha: 1) }
        }
        return output
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("Linear.backward before forward") }
        let rows = x.count / inFeatures
        precondition(gradOutput.count == rows * outFeatures, "Linear \(weight.name): gradient size mismatch")
        let gradOutput = activation.gradient(output: output, gradOutput: gradOutput, buffer: gradPreActivation)
        let n = outFeatures
        gradInput.resize([rows, inFeatures])
        gradOutput.data.withUnsafeBufferPointer { dy in
            // dW += xᵀ·dy
            x.data.withUnsafeBufferPointer { xp in
                weight.gradient.withUnsafeMutableBufferPointer { dw in
                    BLAS.gemm(transposeA: true, m: inFeatures, n: n, k: rows, a: xp.baseAddress!, lda: inFeatures,
                              b: dy.baseAddress!, ldb: n, beta: 1, c: dw.baseAddress!, ldc: n)
                }
            }
            // db += column sums of dy
            bias.gradient.withUnsafeMutableBufferPointer { db in
                for r in 0..<rows {
                    let row = dy.baseAddress! + r * n
                    for j in 0..<n { db[j] += row[j] }
                }
            }
            // dx = dy·Wᵀ
            weight.value.withUnsafeBufferPointer { w in
                gradInput.data.withUnsafeMutableBufferPointer { dx in
                    BLAS.gemm(transposeB: true, m: rows, n: inFeatures, k: n, a: dy.baseAddress!, lda: n,
                              b: w.baseAddress!, ldb: n, beta: 0, c: dx.baseAddress!, ldc: inFeatures)
                }
            }
        }
        return gradInput
    }
}
