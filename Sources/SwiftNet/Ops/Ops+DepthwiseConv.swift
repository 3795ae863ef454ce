/// Depthwise convolution: each input channel gets `multiplier` filters of its own.
/// x [n, h, w, c] with kernel [kh, kw, c, multiplier] → [n, oh, ow, c · multiplier].
func depthwiseConv2d(_ x: Tensor, _ kernel: Tensor, geometry g: ConvGeometry) throws -> Tensor {
    let n = x.shape[0], c = g.channels, m = kernel.shape[3], outChannels = c * m
    let out = try Tensor.result(shape: [n, g.outHeight, g.outWidth, outChannels], of: x, kernel)

    /// Calls `body(outPixel, inPixel, tap)` for every in-bounds (output, kernel tap) pair of image `image`.
    func forEachTap(_ image: Int, _ body: (Int, Int, Int) -> Void) {
        for oh in 0..<g.outHeight {
            for ow in 0..<g.outWidth {
                let outPixel = (image * g.outHeight + oh) * g.outWidth + ow
                for kh in 0..<g.kernelH {
                    let ih = oh * g.strideH - g.padTop + kh * g.dilationH
                    if ih < 0 || ih >= g.height { continue }
                    for kw in 0..<g.kernelW {
                        let iw = ow * g.strideW - g.padLeft + kw * g.dilationW
                        if iw < 0 || iw >= g.width { continue }
                        body(outPixel, (image * g.height + ih) * g.width + iw, kh * g.kernelW + kw)
                    }
                }
            }
        }
    }

    parallelFor(n, minChunk: 1) { images in
        for image in images {
            (out.data + image * g.outPixels * outChannels).update(repeating: 0, count: g.outPixels * outChannels)
            forEachTap(image) { o, i, tap in
                let dst = out.data + o * outChannels, src = x.data + i * c, k = kernel.data + tap * outChannels
                if m == 1 {
                    vectorMap3(c, dst, src, k, dst) { $0 + $1 * $2 }
                } else {
                    for ch in 0..<c { for j in 0..<m { dst[ch * m + j] += src[ch] * k[ch * m + j] } }
                }
            }
        }
    }
    out.onBackward { [x, kernel, out] in
        let gOut = out.grad!
        let gx = x.requiresGrad ? try x.gradientForAccumulation() : nil
        let gk = kernel.requiresGrad ? try kernel.gradientForAccumulation() : nil
        // Kernel gradients are summed per thread, then added in a fixed order (deterministic).
        let workers = workerCount(for: n)
        let partials = try (0..<workers).map { _ in try FloatBuffer(capacity: gk == nil ? 0 : kernel.count) }
        parallelWorkers(n, workers: workers) { w, images in
            let partial = partials[w].pointer
            for image in images {
                forEachTap(image) { o, i, tap in
                    let d = gOut + o * outChannels, k = kernel.data + tap * outChannels
                    if let gx {
                        let dst = gx + i * c
                        if m == 1 { vectorMap3(c, dst, d, k, dst) { $0 + $1 * $2 } }
                        else { for ch in 0..<c { for j in 0..<m { dst[ch] += d[ch * m + j] * k[ch * m + j] } } }
                    }
                    if gk != nil {
                        let src = x.data + i * c, dst = partial + tap * outChannels
                        if m == 1 { vectorMap3(c, dst, d, src, dst) { $0 + $1 * $2 } }
                        else { for ch in 0..<c { for j in 0..<m { dst[ch * m + j] += d[ch * m + j] * src[ch] } } }
                    }
                }
            }
        }
        if let gk {
            for partial in partials { vectorMap2(kernel.count, gk, partial.pointer, gk) { $0 + $1 } }
        }
    }
    return out
}
