/// Convolutions over channels-last images: im2col + BLAS, in chunks of images small enough for
/// the patch matrix to stay in cache; the backward pass recomputes the patches per chunk.

/// Conv2D without bias: x [n, h, w, c] * kernel [kh, kw, c / groups, filters] → [n, oh, ow, filters].
func conv2d(_ x: Tensor, _ kernel: Tensor, geometry g: ConvGeometry, groups: Int = 1) -> Tensor {
    let n = x.shape[0], filters = kernel.shape[3]
    let cg = g.channels / groups, fg = filters / groups
    let rowSize = g.kernelH * g.kernelW * cg
    let out = Tensor.result(shape: [n, g.outHeight, g.outWidth, filters], of: x, kernel)
    let chunk = min(n, g.imagesPerChunk(groupChannels: cg))
    // 1x1 kernels with stride 1 and one group read the input as the patch matrix itself.
    let identityPatches = g.kernelH == 1 && g.kernelW == 1 && g.strideH == 1 && g.strideW == 1 && groups == 1
        && g.padTop == 0 && g.padLeft == 0
    let cols = identityPatches ? nil : Tensor.scratchBuffer(chunk * g.outPixels * rowSize, tape: out.tape)

    func patches(_ images: Range<Int>, group: Int) -> UnsafePointer<Float> {
        if identityPatches { return UnsafePointer(x.data + images.lowerBound * g.inPixels * g.channels) }
        g.im2col(x.data, images: images, channelStart: group * cg, groupChannels: cg, into: cols!.pointer)
        return UnsafePointer(cols!.pointer)
    }

    for start in stride(from: 0, to: n, by: chunk) {
        let images = start..<min(n, start + chunk)
        let rows = images.count * g.outPixels
        for group in 0..<groups {
            Gemm.multiply(patches(images, group: group), lda: rowSize, kernel.data + group * fg, ldb: filters,
                          into: out.data + start * g.outPixels * filters + group * fg, ldc: filters,
                          m: rows, n: fg, k: rowSize)
        }
    }
    out.onBackward { [x, kernel, out] in
        let gOut = out.grad!
        let dcols = x.requiresGrad ? Tensor.scratchBuffer(chunk * g.outPixels * rowSize, tape: out.tape) : nil
        let gx = x.requiresGrad ? x.gradientForAccumulation() : nil
        let gk = kernel.requiresGrad ? kernel.gradientForAccumulation() : nil
        for start in stride(from: 0, to: n, by: chunk) {
            let images = start..<min(n, start + chunk)
            let rows = images.count * g.outPixels
            for group in 0..<groups {
                let dOut = gOut + start * g.outPixels * filters + group * fg
                if let gk {
                    // dK += patchesᵀ · dOut
                    Gemm.multiply(patches(images, group: group), transposeA: true, lda: rowSize, dOut, ldb: filters,
                                  into: gk + group * fg, ldc: filters, m: rowSize, n: fg, k: rows, accumulate: true)
                }
                if let gx, let dcols {
                    // dPatches = dOut · Kᵀ, scattered back to the pixels they came from.
                    let target = identityPatches ? gx + start * g.inPixels * g.channels : dcols.pointer
                    Gemm.multiply(dOut, lda: filters, kernel.data + group * fg, transposeB: true, ldb: filters,
                                  into: target, ldc: rowSize, m: rows, n: rowSize, k: fg, accumulate: identityPatches)
                    if !identityPatches {
                        g.col2im(dcols.pointer, images: images, channelStart: group * cg, groupChannels: cg, into: gx)
                    }
                }
            }
        }
    }
    return out
}

/// The transpose of `conv2d` (Keras's Conv2DTranspose): x [n, h, w, c] with kernel
/// [kh, kw, filters, c] → [n, oh, ow, filters], where `geometry` maps the output grid back onto
/// the input grid (its "input" is this op's output).
func conv2dTranspose(_ x: Tensor, _ kernel: Tensor, geometry g: ConvGeometry) -> Tensor {
    let n = x.shape[0], inChannels = x.shape[3], filters = kernel.shape[2]
    let rowSize = g.patchSize  // kh · kw · filters
    let out = Tensor.result(shape: [n, g.height, g.width, filters], of: x, kernel)
    out.data.update(repeating: 0, count: out.count)
    let chunk = min(n, g.imagesPerChunk())
    let cols = Tensor.scratchBuffer(chunk * g.outPixels * rowSize, tape: out.tape)
    for start in stride(from: 0, to: n, by: chunk) {
        let images = start..<min(n, start + chunk)
        // patches = X · Kᵀ with K viewed as (kh·kw·filters) × c, then scattered into the output.
        Gemm.multiply(x.data + start * g.outPixels * inChannels, lda: inChannels, kernel.data, transposeB: true,
                      ldb: inChannels, into: cols.pointer, ldc: rowSize, m: images.count * g.outPixels, n: rowSize,
                      k: inChannels)
        g.col2im(cols.pointer, images: images, into: out.data)
    }
    out.onBackward { [x, kernel, out] in
        let gx = x.requiresGrad ? x.gradientForAccumulation() : nil
        let gk = kernel.requiresGrad ? kernel.gradientForAccumulation() : nil
        for start in stride(from: 0, to: n, by: chunk) {
            let images = start..<min(n, start + chunk)
            let rows = images.count * g.outPixels
            g.im2col(out.grad!, images: images, into: cols.pointer)
            if let gx {
                // dX = patches(dOut) · K
                Gemm.multiply(cols.pointer, lda: rowSize, kernel.data, ldb: inChannels,
                              into: gx + start * g.outPixels * inChannels, ldc: inChannels,
                              m: rows, n: inChannels, k: rowSize, accumulate: true)
            }
            if let gk {
                // dK += patches(dOut)ᵀ · X
                Gemm.multiply(cols.pointer, transposeA: true, lda: rowSize, x.data + start * g.outPixels * inChannels,
                              ldb: inChannels, into: gk, ldc: inChannels, m: rowSize, n: inChannels, k: rows,
                              accumulate: true)
            }
        }
    }
    return out
}

extension Tensor {
    /// Scratch floats for an op: from the tape's arena, or kept alive by the returned box.
    static func scratchBuffer(_ count: Int, tape: Tape?) -> ScratchBuffer {
        if let tape { return ScratchBuffer(pointer: tape.scratch(count), owner: nil) }
        let buffer = FloatBuffer(capacity: count, zeroed: false)
        return ScratchBuffer(pointer: buffer.pointer, owner: buffer)
    }
}

/// Scratch memory and, off-tape, the buffer that owns it.
struct ScratchBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let owner: FloatBuffer?
}
