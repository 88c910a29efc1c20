import Foundation
import YendorSupport

/// A gated recurrent unit unrolled over T time steps of B independent sequences, with
/// back-propagation through time. The tests check it against `gruReferenceStep`, the
/// same equations computed element by element:
///
///   z = σ(x·W_z + h·U_z + b), r = σ(x·W_r + h·U_r + b),
///   n = tanh(x·W_n + b_n + r ⊙ (h·U_n + b_hn)),   h' = (1 − z) ⊙ n + z ⊙ h.
///
/// Rows are time-major: row t·B + b is step t of sequence b. `episodeStarts[t·B + b] = 1`
/// zeroes sequence b's state before step t (a new episode), which also stops the
/// gradient from flowing back across the episode boundary.
///
/// The input projection x·W of all T·B rows is one sgemm; only h·U runs step by step.
/// Every step's activations are cached for the backward pass, whose parameter gradients
/// are again single sgemm calls over all rows.
public final class GRU {
    /// Input width.
    public let inFeatures: Int
    /// Hidden-state width.
    public let hiddenFeatures: Int
    /// Input weights, shape [inFeatures, 3·hidden] (gate order z, r, n).
    public let inputWeight: Parameter
    /// Recurrent weights, shape [hidden, 3·hidden].
    public let hiddenWeight: Parameter
    /// Input bias, shape [3·hidden].
    public let inputBias: Parameter
    /// Recurrent bias, shape [3·hidden] (the n-gate part sits inside r ⊙ (…)).
    public let hiddenBias: Parameter
    public var parameters: [Parameter] { [inputWeight, hiddenWeight, inputBias, hiddenBias] }

    private var input: Tensor?
    private var timeSteps = 0
    private var keep: [Float] = []       // [T·B]: 0 where the state is reset before the step
    private var previous: [Float] = []   // state entering each step after resets, [T·B, H]
    private var gatesX: [Float] = []     // x·W + b, [T·B, 3H]
    private var gatesH: [Float] = []     // h·U + b, [T·B, 3H]
    private var z: [Float] = [], r: [Float] = [], n: [Float] = []
    private var gradGatesX: [Float] = [], gradGatesH: [Float] = []
    private let output = Tensor(shape: [0])
    private let gradInput = Tensor(shape: [0])
    private let gradInitial = Tensor(shape: [0])

    /// Creates the layer with uniform ±1/√hidden weights (input, then recurrent, from `rng`)
    /// and zero biases.
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

    /// Multiply-adds per row (input and recurrent projections, for FLOP accounting).
    public var multiplyAddsPerRow: Int { (inFeatures + hiddenFeatures) * 3 * hiddenFeatures }

    /// Runs T steps. `x` is [T·B, inFeatures], `initialState` is [B, hidden] (the state
    /// entering step 0), `episodeStarts` has T·B flags. Returns the state after every
    /// step, [T·B, hidden] (layer-owned; its last B rows are the final states).
    public func forward(_ x: Tensor, initialState: [Float], episodeStarts: [UInt8], timeSteps T: Int) -> Tensor {
        let H = hiddenFeatures, G = 3 * H
        precondition(T >= 1 && x.count % (T * inFeatures) == 0, "GRU \(inputWeight.name): input of \(x.count) elements is not T=\(T) × B × \(inFeatures)")
        let rows = x.count / inFeatures, B = rows / T
        precondition(initialState.count == B * H && episodeStarts.count == rows, "GRU \(inputWeight.name): initial state or episode starts do not match B=\(B), T=\(T)")
        input = x
        timeSteps = T
        keep.resize(to: rows)
        for i in 0..<rows { keep[i] = episodeStarts[i] != 0 ? 0 : 1 }
        previous.resize(to: rows * H)
        gatesX.resize(to: rows * G); gatesH.resize(to: rows * G)
        z.resize(to: rows * H); r.resize(to: rows * H); n.resize(to: rows * H)
        output.resize([rows, H])

        // Input projection for all steps at once.
        gatesX.withUnsafeMutableBufferPointer { gx in
            inputBias.value.withUnsafeBufferPointer { b in for i in 0..<rows { (gx.baseAddress! + i * G).update(from: b.baseAddress!, count: G) } }
            x.data.withUnsafeBufferPointer { xp in
                inputWeight.value.withUnsafeBufferPointer { w in
                    BLAS.gemm(m: rows, n: G, k: inFeatures, a: xp.baseAddress!, lda: inFeatures, b: w.baseAddress!, ldb: G, beta: 1, c: gx.baseAddress!, ldc: G)
                }
            }
        }
        previous.withUnsafeMutableBufferPointer { prev in
        gatesH.withUnsafeMutableBufferPointer { gh in
        gatesX.withUnsafeBufferPointer { gx in
        output.data.withUnsafeMutableBufferPointer { out in
            for t in 0..<T {
                let stepRows = t * B
                // State entering step t: the initial state or the previous output, zeroed at episode starts.
                for b in 0..<B {
                    let k = keep[stepRows + b]
                    let dst = prev.baseAddress! + (stepRows + b) * H
                    if t == 0 {
                        initialState.withUnsafeBufferPointer { h0 in for j in 0..<H { dst[j] = k * h0[b * H + j] } }
                    } else {
                        let src = out.baseAddress! + (stepRows - B + b) * H
                        for j in 0..<H { dst[j] = k * src[j] }
                    }
                }
                let ghStep = gh.baseAddress! + stepRows * G
                hiddenBias.value.withUnsafeBufferPointer { b in for i in 0..<B { (ghStep + i * G).update(from: b.baseAddress!, count: G) } }
                hiddenWeight.value.withUnsafeBufferPointer { u in
                    BLAS.gemm(m: B, n: G, k: H, a: prev.baseAddress! + stepRows * H, lda: H, b: u.baseAddress!, ldb: G, beta: 1, c: ghStep, ldc: G)
                }
                // Gate activations through buffer pointers: no per-element exclusivity checks.
                z.withUnsafeMutableBufferPointer { zp in
                r.withUnsafeMutableBufferPointer { rp in
                n.withUnsafeMutableBufferPointer { np in
                    for row in stepRows..<(stepRows + B) {
                        let g = row * G
                        for j in 0..<H {
                            let k = row * H + j
                            let zz = 1 / (1 + expf(-(gx[g + j] + gh[g + j])))
                            let rr = 1 / (1 + expf(-(gx[g + H + j] + gh[g + H + j])))
                            let nn = tanhf(gx[g + 2 * H + j] + rr * gh[g + 2 * H + j])
                            zp[k] = zz; rp[k] = rr; np[k] = nn
                            out[k] = (1 - zz) * nn + zz * prev[k]
                        }
                    }
                }
                }
                }
            }
        }
        }
        }
        }
        return output
    }

    /// Back-propagates d(loss)/d(states) [T·B, hidden] through all steps of the last
    /// `forward`; accumulates parameter gradients and returns the gradients for the
    /// input [T·B, inFeatures] and for the initial state [B, hidden].
    public func backward(_ gradOutput: Tensor) -> (input: Tensor, initialState: Tensor) {
        guard let x = input else { preconditionFailure("GRU.backward before forward") }
        let H = hiddenFeatures, G = 3 * H, rows = x.count / inFeatures, T = timeSteps, B = rows / T
        precondition(gradOutput.count == rows * H, "GRU \(inputWeight.name): gradient size mismatch")
        gradGatesX.resize(to: rows * G); gradGatesH.resize(to: rows * G)
        // `carry` holds d(loss)/d(state entering step t+1) while step t is processed.
        gradInitial.resize([B, H])
        gradInitial.zero()
        gradInitial.data.withUnsafeMutableBufferPointer { carry in
        gradGatesX.withUnsafeMutableBufferPointer { dgx in
        gradGatesH.withUnsafeMutableBufferPointer { dgh in
        gradOutput.data.withUnsafeBufferPointer { dout in
            for t in stride(from: T - 1, through: 0, by: -1) {
                let stepRows = t * B
                z.withUnsafeBufferPointer { zp in
                r.withUnsafeBufferPointer { rp in
                n.withUnsafeBufferPointer { np in
                previous.withUnsafeBufferPointer { pp in
                gatesH.withUnsafeBufferPointer { gh in
                    for b in 0..<B {
                        let row = stepRows + b, g = row * G
                        for j in 0..<H {
                            let k = row * H + j
                            let dy = dout[k] + carry[b * H + j]
                            let dn = dy * (1 - zp[k])
                            let dz = dy * (pp[k] - np[k])
                            let dPreN = dn * (1 - np[k] * np[k])
                            let dr = dPreN * gh[g + 2 * H + j]
                            let dPreZ = dz * zp[k] * (1 - zp[k])
                            let dPreR = dr * rp[k] * (1 - rp[k])
                            dgx[g + j] = dPreZ; dgx[g + H + j] = dPreR; dgx[g + 2 * H + j] = dPreN
                            dgh[g + j] = dPreZ; dgh[g + H + j] = dPreR; dgh[g + 2 * H + j] = dPreN * rp[k]
                            carry[b * H + j] = dy * zp[k]  // direct path h → h'
                        }
                    }
                }
                }
                }
                }
                }
                // d(state entering t) += dGatesH·Uᵀ, then nothing crosses an episode start.
                hiddenWeight.value.withUnsafeBufferPointer { u in
                    BLAS.gemm(transposeB: true, m: B, n: H, k: G, a: dgh.baseAddress! + stepRows * G, lda: G, b: u.baseAddress!, ldb: G, beta: 1, c: carry.baseAddress!, ldc: H)
                }
                for b in 0..<B where keep[stepRows + b] == 0 {
                    for j in 0..<H { carry[b * H + j] = 0 }
                }
            }
        }
        }
        }
        }
        gradInput.resize([rows, inFeatures])
        accumulate(x.data, inFeatures, rows: rows, gradGatesX, inputWeight, inputBias)
        accumulate(previous, H, rows: rows, gradGatesH, hiddenWeight, hiddenBias)
        gradGatesX.withUnsafeBufferPointer { d in
            inputWeight.value.withUnsafeBufferPointer { w in
                gradInput.data.withUnsafeMutableBufferPointer { dx in
                    BLAS.gemm(transposeB: true, m: rows, n: inFeatures, k: G, a: d.baseAddress!, lda: G, b: w.baseAddress!, ldb: G, beta: 0, c: dx.baseAddress!, ldc: inFeatures)
                }
            }
        }
        return (gradInput, gradInitial)
    }

    /// dW += aᵀ·dGates and db += column sums of dGates, over all rows.
    private func accumulate(_ a: [Float], _ width: Int, rows: Int, _ dGates: [Float], _ w: Parameter, _ b: Parameter) {
        let G = 3 * hiddenFeatures
        dGates.withUnsafeBufferPointer { d in
            a.withUnsafeBufferPointer { ap in
                w.gradient.withUnsafeMutableBufferPointer { dw in
                    BLAS.gemm(transposeA: true, m: width, n: G, k: rows, a: ap.baseAddress!, lda: width, b: d.baseAddress!, ldb: G, beta: 1, c: dw.baseAddress!, ldc: G)
                }
            }
            b.gradient.withUnsafeMutableBufferPointer { db in
                for i in 0..<rows { for j in 0..<G { db[j] += d[i * G + j] } }
            }
        }
    }
}
