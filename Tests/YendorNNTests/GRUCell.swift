import Foundation
@testable import YendorNN
import YendorSupport

/// The test reference for `GRU`: one step of a gated recurrent unit (Cho et al. 2014),
/// written step by step so that `GRU`'s unrolled, batched version can be checked against it:
///
///   z = σ(x·W_z + h·U_z + b), r = σ(x·W_r + h·U_r + b),
///   n = tanh(x·W_n + b_n + r ⊙ (h·U_n + b_hn)),   h' = (1 − z) ⊙ n + z ⊙ h.
///
/// The three gates share one [inFeatures, 3·hidden] input matrix and one
/// [hidden, 3·hidden] recurrent matrix (gate order z, r, n), so a step is two sgemm calls.
/// The cell caches one step. It lives in the tests: the policy uses `GRU`.
public final class GRUCell {
    /// Input width.
    public let inFeatures: Int
    /// Hidden-state width.
    public let hiddenFeatures: Int
    /// Input weights, shape [inFeatures, 3·hidden].
    public let inputWeight: Parameter
    /// Recurrent weights, shape [hidden, 3·hidden].
    public let hiddenWeight: Parameter
    /// Input bias, shape [3·hidden].
    public let inputBias: Parameter
    /// Recurrent bias, shape [3·hidden] (the n-gate part sits inside r ⊙ (…)).
    public let hiddenBias: Parameter
    public var parameters: [Parameter] { [inputWeight, hiddenWeight, inputBias, hiddenBias] }

    private var input: Tensor?
    private var hidden: Tensor?
    private var gatesX: [Float] = []   // x·W + b, [N, 3H]
    private var gatesH: [Float] = []   // h·U + b, [N, 3H]
    private var z: [Float] = [], r: [Float] = [], n: [Float] = []
    private var gradGatesX: [Float] = [], gradGatesH: [Float] = []
    private let output = Tensor(shape: [0])
    private let gradInput = Tensor(shape: [0])
    private let gradHidden = Tensor(shape: [0])

    public init(name: String, inFeatures: Int, hiddenFeatures: Int, rng: inout SplitMix64) {
        self.inFeatures = inFeatures
        self.hiddenFeatures = hiddenFeatures
        inputWeight = Parameter(name: name + ".input_weight", shape: [inFeatures, 3 * hiddenFeatures])
        hiddenWeight = Parameter(name: name + ".hidden_weight", shape: [hiddenFeatures, 3 * hiddenFeatures])
        inputBias = Parameter(name: name + ".input_bias", shape: [3 * hiddenFeatures])
        hiddenBias = Parameter(name: name + ".hidden_bias", shape: [3 * hiddenFeatures])
        let bound = 1 / Float(hiddenFeatures).squareRoot()
        inputWeight.initializeUniform(bound: bound, using: &rng)
        hiddenWeight.initializeUniform(bound: bound, using: &rng)
    }

    /// Computes h' [N, hidden] from x [N, inFeatures] and h [N, hidden].
    public func forward(input x: Tensor, hidden h: Tensor) -> Tensor {
        let rows = x.count / inFeatures, H = hiddenFeatures, G = 3 * H
        precondition(x.count == rows * inFeatures && h.count == rows * H, "GRUCell \(inputWeight.name): input/hidden sizes do not match")
        input = x
        hidden = h
        func affine(_ a: [Float], _ width: Int, _ w: Parameter, _ b: Parameter, into out: inout [Float]) {
            out.resize(to: rows * G)
            out.withUnsafeMutableBufferPointer { o in
                b.value.withUnsafeBufferPointer { bp in for i in 0..<rows { (o.baseAddress! + i * G).update(from: bp.baseAddress!, count: G) } }
                a.withUnsafeBufferPointer { ap in
                    w.value.withUnsafeBufferPointer { wp in
                        BLAS.gemm(m: rows, n: G, k: width, a: ap.baseAddress!, lda: width, b: wp.baseAddress!, ldb: G, beta: 1, c: o.baseAddress!, ldc: G)
                    }
                }
            }
        }
        affine(x.data, inFeatures, inputWeight, inputBias, into: &gatesX)
        affine(h.data, H, hiddenWeight, hiddenBias, into: &gatesH)
        z.resize(to: rows * H); r.resize(to: rows * H); n.resize(to: rows * H)
        output.resize([rows, H])
        for i in 0..<rows {
            for j in 0..<H {
                let g = i * G, k = i * H + j
                let zz = 1 / (1 + expf(-(gatesX[g + j] + gatesH[g + j])))
                let rr = 1 / (1 + expf(-(gatesX[g + H + j] + gatesH[g + H + j])))
                let nn = tanhf(gatesX[g + 2 * H + j] + rr * gatesH[g + 2 * H + j])
                z[k] = zz; r[k] = rr; n[k] = nn
                output.data[k] = (1 - zz) * nn + zz * h.data[k]
            }
        }
        return output
    }

    /// Back-propagates d(loss)/d(h'); returns gradients for x and h, and accumulates
    /// parameter gradients.
    public func backward(_ gradOutput: Tensor) -> (input: Tensor, hidden: Tensor) {
        guard let x = input, let h = hidden else { preconditionFailure("GRUCell.backward before forward") }
        let rows = x.count / inFeatures, H = hiddenFeatures, G = 3 * H
        gradGatesX.resize(to: rows * G); gradGatesH.resize(to: rows * G)
        gradHidden.resize([rows, H])
        for i in 0..<rows {
            for j in 0..<H {
                let g = i * G, k = i * H + j
                let dy = gradOutput.data[k]
                let dn = dy * (1 - z[k])
                let dz = dy * (h.data[k] - n[k])
                let dPreN = dn * (1 - n[k] * n[k])
                let dr = dPreN * gatesH[g + 2 * H + j]
                let dPreZ = dz * z[k] * (1 - z[k])
                let dPreR = dr * r[k] * (1 - r[k])
                gradGatesX[g + j] = dPreZ; gradGatesX[g + H + j] = dPreR; gradGatesX[g + 2 * H + j] = dPreN
                gradGatesH[g + j] = dPreZ; gradGatesH[g + H + j] = dPreR; gradGatesH[g + 2 * H + j] = dPreN * r[k]
                gradHidden.data[k] = dy * z[k]  // direct path h → h'
            }
        }
        gradInput.resize([rows, inFeatures])
        func accumulate(_ a: [Float], _ width: Int, _ dg: [Float], _ w: Parameter, _ b: Parameter, _ dIn: Tensor, beta: Float) {
            dg.withUnsafeBufferPointer { d in
                a.withUnsafeBufferPointer { ap in
                    w.gradient.withUnsafeMutableBufferPointer { dw in
                        BLAS.gemm(transposeA: true, m: width, n: G, k: rows, a: ap.baseAddress!, lda: width, b: d.baseAddress!, ldb: G, beta: 1, c: dw.baseAddress!, ldc: G)
                    }
                }
                b.gradient.withUnsafeMutableBufferPointer { db in
                    for i in 0..<rows { for j in 0..<G { db[j] += d[i * G + j] } }
                }
                w.value.withUnsafeBufferPointer { wp in
                    dIn.data.withUnsafeMutableBufferPointer { dx in
                        BLAS.gemm(transposeB: true, m: rows, n: width, k: G, a: d.baseAddress!, lda: G, b: wp.baseAddress!, ldb: G, beta: beta, c: dx.baseAddress!, ldc: width)
                    }
                }
            }
        }
        accumulate(x.data, inFeatures, gradGatesX, inputWeight, inputBias, gradInput, beta: 0)
        accumulate(h.data, H, gradGatesH, hiddenWeight, hiddenBias, gradHidden, beta: 1)
        return (gradInput, gradHidden)
    }
}
