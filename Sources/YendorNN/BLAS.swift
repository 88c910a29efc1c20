import CBLAS

/// Thin wrappers over OpenBLAS: row-major sgemm and the thread count.
public enum BLAS {
    /// Sets OpenBLAS's worker-thread count. With 2 cores shared by rollout workers, the
    /// learner defaults to 1 so OpenBLAS threads and Yendor threads do not oversubscribe.
    public static func setThreadCount(_ count: Int) {
        precondition(count >= 1, "OpenBLAS thread count must be >= 1, got \(count)")
        openblas_set_num_threads(Int32(count))
    }

    /// OpenBLAS's current worker-thread count.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// C = alpha * op(A) * op(B) + beta * C, all row-major; op(A) is m×k, op(B) is k×n.
    @inline(__always)
    public static func gemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
