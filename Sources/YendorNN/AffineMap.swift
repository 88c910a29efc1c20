/// y = activation(x·W + b) over the rows of x, and its backward pass: the kernel `Linear` runs on
/// its input and `Conv2D` on its image patches (im2col rows). W is [k, n], row-major, so the
/// forward and both backward products are single sgemm calls without transposed copies.
struct AffineMap {
    let weight: Parameter
    let bias: Parameter
    let activation: Activation

    /// Input features per row (k).
    var inFeatures: Int { weight.shape[0] }
    /// Output features per row (n).
    var outFeatures: Int { weight.shape[1] }

    /// Writes activation(x·W + b) for `rows` rows of `x` into `output`, already sized [rows, n]
    /// (or any shape of that many values).
    func forward(_ x: Tensor, rows: Int, into output: Tensor) {
        let k = inFeatures, n = outFeatures
        output.data.withUnsafeMutableBufferPointer { out in
            bias.value.withUnsafeBufferPointer { b in
                for r in 0..<rows { (out.baseAddress! + r * n).update(from: b.baseAddress!, count: n) }
            }
            x.data.withUnsafeBufferPointer { xp in
                weight.value.withUnsafeBufferPointer { w in
                    BLAS.gemm(m: rows, n: n, k: k, a: xp.baseAddress!, lda: k,
                              b: w.baseAddress!, ldb: n, beta: 1, c: out.baseAddress!, ldc: n)
                }
            }
        }
        if activation == .elu {
            output.data.withUnsafeMutableBufferPointer { ELU.activate($0.baseAddress!, count: $0.count, alpha: 1) }
        }
    }

    /// Accumulates dW and db from the forward pass's input `x` and activated `output`, and writes
    /// dx into `gradInput`, already sized [rows, k]. `scratch` holds the pre-activation gradient.
    func backward(_ gradOutput: Tensor, input x: Tensor, output: Tensor, rows: Int, scratch: Tensor, into gradInput: Tensor) {
        let gradOutput = activation.gradient(output: output, gradOutput: gradOutput, buffer: scratch)
        let k = inFeatures, n = outFeatures
        gradOutput.data.withUnsafeBufferPointer { dy in
            // dW += xᵀ·dy
            x.data.withUnsafeBufferPointer { xp in
                weight.gradient.withUnsafeMutableBufferPointer { dw in
                    BLAS.gemm(transposeA: true, m: k, n: n, k: rows, a: xp.baseAddress!, lda: k,
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
                    BLAS.gemm(transposeB: true, m: rows, n: k, k: n, a: dy.baseAddress!, lda: n,
                              b: w.baseAddress!, ldb: n, beta: 0, c: dx.baseAddress!, ldc: k)
                }
            }
        }
    }
}
