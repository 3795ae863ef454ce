import CBLAS

/// Row-major single-precision matrix products through BLAS.
enum Gemm {
    /// C[m×n] = op(A)·op(B) (+ C when `accumulate`), where op transposes when asked.
    /// A is m×k (k×m when transposed), B is k×n (n×k when transposed); all contiguous.
    static func multiply(
        _ a: UnsafePointer<Float>, transposeA: Bool = false,
        _ b: UnsafePointer<Float>, transposeB: Bool = false,
        into c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, accumulate: Bool = false
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            if !accumulate { c.update(repeating: 0, count: m * n) }
            return
        }
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k),
            1, a, Int32(transposeA ? m : k),
            b, Int32(transposeB ? k : n),
            accumulate ? 1 : 0, c, Int32(n))
    }
}
