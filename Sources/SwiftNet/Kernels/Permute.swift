/// Copies an array of `shape` into the axis order `perm` (output axis i is input axis perm[i]).
func permute<T>(_ src: UnsafePointer<T>, shape: [Int], perm: [Int], into dst: UnsafeMutablePointer<T>) {
    let strides = contiguousStrides(shape)
    let outShape = perm.map { shape[$0] }
    let permuted = perm.map { strides[$0] }
    let inner = outShape.last ?? 1
    let innerStride = permuted.last ?? 1
    forEachRow(outShape, permuted, permuted) { o, s, _ in
        if innerStride == 1 {
            (dst + o).update(from: src + s, count: inner)
        } else {
            for j in 0..<inner { dst[o + j] = src[s + j * innerStride] }
        }
    }
}

/// Copies `count` elements of `bytes` size each from `src` to `dst` as raw memory.
@inline(__always)
func copyElements(_ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, count: Int, bytes: Int) {
    dst.copyMemory(from: src, byteCount: count * bytes)
}
