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

    /// Like `multiply` on sub-matrices with explicit row strides (leading dimensions), e.g. one
    /// group's columns of a grouped convolution.
    static func multiply(
        _ a: UnsafePointer<Float>, transposeA: Bool = false, lda: Int,
        _ b: UnsafePointer<Float>, transposeB: Bool = false, ldb: Int,
        into c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, n: Int, k: Int, accumulate: Bool = false
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            if !accumulate { for r in 0..<m { (c + r * ldc).update(repeating: 0, count: n) } }
            return
        }
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k),
            1, a, Int32(lda), b, Int32(ldb),
            accumulate ? 1 : 0, c, Int32(ldc))
    }
}
