/// Matrix product of a [rows, k] tensor (any leading axes) with a [k, n] weight: the Dense core.
/// Gradients: dA = dC·Bᵀ, dB = Aᵀ·dC, skipped for inputs that need none (e.g. raw data).
public func matmul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    let k = a.lastDim, rows = a.rows, n = b.shape[1]
    let out = try Tensor.result(shape: Array(a.shape.dropLast()) + [n], of: a, b)
    // Raw data (no gradient) is often mostly zeros, e.g. images: then only non-zeros are multiplied.
    let useSparse = !a.requiresGrad && SparseGemm.worthIt(n: n) && SparseGemm.isSparse(a.data, rows: rows, cols: k)
    if useSparse {
        SparseGemm.multiply(a.data, b.data, into: out.data, m: rows, n: n, k: k)
    } else {
        Gemm.multiply(a.data, b.data, into: out.data, m: rows, n: n, k: k)
    }
    out.onBackward { [a, b, out] in
        let g = out.grad!
        if a.requiresGrad {
            try a.accumulateGradient { ga, accumulate in
                Gemm.multiply(g, b.data, transposeB: true, into: ga, m: rows, n: k, k: n, accumulate: accumulate)
            }
        }
        if b.requiresGrad {
            try b.accumulateGradient { gb, accumulate in
                if useSparse {
                    SparseGemm.multiplyTransposed(a.data, g, into: gb, m: rows, n: n, k: k, accumulate: accumulate,
                                                  scratch: try out.tape!.scratch(a.count))
                } else {
                    Gemm.multiply(a.data, transposeA: true, g, into: gb, m: k, n: n, k: rows, accumulate: accumulate)
                }
            }
        }
    }
    return out
}
