import Foundation
@testable import YendorNN

/// The test reference for `GRU`: one step of a gated recurrent unit (Cho et al. 2014) for
/// each row, computed element by element from the equations with `gru`'s parameters:
///
///   z = σ(x·W_z + h·U_z + b), r = σ(x·W_r + h·U_r + b),
///   n = tanh(x·W_n + b_n + r ⊙ (h·U_n + b_hn)),   h' = (1 − z) ⊙ n + z ⊙ h.
///
/// Plain loops, no BLAS and no caching, so it shares nothing with `GRU`'s unrolled,
/// batched version but the parameters it checks. `x` is [rows, inFeatures], `h` is
/// [rows, hidden]; returns h' [rows, hidden].
func gruReferenceStep(_ gru: GRU, x: [Float], h: [Float]) -> [Float] {
    let I = gru.inFeatures, H = gru.hiddenFeatures, G = 3 * H
    let rows = x.count / I
    let W = gru.inputWeight.value, U = gru.hiddenWeight.value
    let bx = gru.inputBias.value, bh = gru.hiddenBias.value
    /// Column `gate·H + j` of x·W + b_x (`fromInput`) or h·U + b_h, for one row.
    func preactivation(row: Int, gate: Int, unit j: Int, fromInput: Bool) -> Float {
        let column = gate * H + j
        if fromInput {
            return (0..<I).reduce(bx[column]) { $0 + x[row * I + $1] * W[$1 * G + column] }
        }
        return (0..<H).reduce(bh[column]) { $0 + h[row * H + $1] * U[$1 * G + column] }
    }
    func sigmoid(_ v: Float) -> Float { 1 / (1 + expf(-v)) }
    var next = [Float](repeating: 0, count: rows * H)
    for row in 0..<rows {
        for j in 0..<H {
            let z = sigmoid(preactivation(row: row, gate: 0, unit: j, fromInput: true) + preactivation(row: row, gate: 0, unit: j, fromInput: false))
            let r = sigmoid(preactivation(row: row, gate: 1, unit: j, fromInput: true) + preactivation(row: row, gate: 1, unit: j, fromInput: false))
            let n = tanhf(preactivation(row: row, gate: 2, unit: j, fromInput: true) + r * preactivation(row: row, gate: 2, unit: j, fromInput: false))
            next[row * H + j] = (1 - z) * n + z * h[row * H + j]
        }
    }
    return next
}
