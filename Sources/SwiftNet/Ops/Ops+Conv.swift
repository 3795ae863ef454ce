/// Convolutions over channels-last images: im2col + BLAS in chunks of images small enough for the
/// patch matrix to stay in cache. Threads take whole chunks (patches and product), each with its
/// own scratch; the backward pass recomputes the patches per chunk.

/// Conv2D without bias: x [n, h, w, c] * kernel [kh, kw, c / groups, filters] → [n, oh, ow, filters].
func conv2d(_ x: Tensor, _ kernel: Tensor, geometry g: ConvGeometry, groups: Int = 1) throws -> Tensor {
    if !x.requiresGrad && DirectConv.applies(g, groups: groups) {
        return try directConv2d(x, kernel, DirectConv(g, filters: kernel.shape[3]))
    }
    let n = x.shape[0], filters = kernel.shape[3]
    let cg = g.channels / groups, fg = filters / groups
    let rowSize = g.kernelH * g.kernelW * cg
    let out = try Tensor.result(shape: [n, g.outHeight, g.outWidth, filters], of: x, kernel)
    let chunk = min(n, g.imagesPerChunk(groupChannels: cg))
    let chunks = stride(from: 0, to: n, by: chunk).map { $0..<min(n, $0 + chunk) }
    let workers = workerCount(for: chunks.count)
    let patchFloats = chunk * g.outPixels * rowSize + vecWidth  // slack for im2col's 16-float copies
    // 1x1 kernels with stride 1, no padding and one group read the input as the patch matrix itself.
    let identityPatches = g.kernelH == 1 && g.kernelW == 1 && g.strideH == 1 && g.strideW == 1 && groups == 1
        && g.padTop == 0 && g.padLeft == 0
    // In training the forward pass keeps every patch for the kernel gradient (unless that is too
    // much memory); otherwise each worker reuses one chunk-sized buffer and backward recomputes.
    let allPatches = n * g.outPixels * rowSize
    let keepPatches = !identityPatches && groups == 1 && out.requiresGrad && kernel.requiresGrad && allPatches <= 1 << 25
    let cols = try Tensor.scratchBuffer(identityPatches ? 1 : (keepPatches ? allPatches + vecWidth : workers * patchFloats),
                                    tape: out.tape)

    func patchBuffer(_ images: Range<Int>, worker: Int) -> UnsafeMutablePointer<Float> {
        keepPatches ? cols.pointer + images.lowerBound * g.outPixels * rowSize : cols.pointer + worker * patchFloats
    }

    func patches(_ images: Range<Int>, group: Int, worker: Int, computed: Bool = false) -> UnsafePointer<Float> {
        if identityPatches { return UnsafePointer(x.data + images.lowerBound * g.inPixels * g.channels) }
        let buffer = patchBuffer(images, worker: worker)
        if !computed { g.im2col(x.data, images: images, channelStart: group * cg, groupChannels: cg, into: buffer) }
        return UnsafePointer(buffer)
    }

    parallelWorkers(chunks.count, workers: workers) { worker, range in
        for images in chunks[range] {
            for group in 0..<groups {
                Gemm.multiply(patches(images, group: group, worker: worker), lda: rowSize, kernel.data + group * fg,
                              ldb: filters, into: out.data + images.lowerBound * g.outPixels * filters + group * fg,
                              ldc: filters, m: images.count * g.outPixels, n: fg, k: rowSize, parallel: false)
            }
        }
    }
    out.onBackward { [x, kernel, out, cols] in
        _ = cols
        let gOut = out.grad!
        let gx = x.requiresGrad ? try x.gradientForAccumulation() : nil
        let gk = kernel.requiresGrad ? try kernel.gradientForAccumulation() : nil
        let dcols = gx != nil && !identityPatches ? try Tensor.scratchBuffer(workers * patchFloats, tape: out.tape) : nil
        // Each worker sums its kernel gradient apart; the parts are added in worker order.
        let partials = gk == nil ? nil : try Tensor.scratchBuffer(workers * kernel.count, tape: out.tape)
        partials?.pointer.update(repeating: 0, count: workers * kernel.count)
        parallelWorkers(chunks.count, workers: workers) { worker, range in
            for images in chunks[range] {
                let rows = images.count * g.outPixels
                for group in 0..<groups {
                    let dOut = gOut + images.lowerBound * g.outPixels * filters + group * fg
                    if let partials {
                        // dK += patchesᵀ · dOut
                        Gemm.multiply(patches(images, group: group, worker: worker, computed: keepPatches),
                                      transposeA: true, lda: rowSize,
                                      dOut, ldb: filters, into: partials.pointer + worker * kernel.count + group * fg,
                                      ldc: filters, m: rowSize, n: fg, k: rows, accumulate: true, parallel: false)
                    }
                    if let gx {
                        // dPatches = dOut · Kᵀ, scattered back to the pixels they came from.
                        let target = identityPatches ? gx + images.lowerBound * g.inPixels * g.channels
                            : dcols!.pointer + worker * patchFloats
                        Gemm.multiply(dOut, lda: filters, kernel.data + group * fg, transposeB: true, ldb: filters,
                                      into: target, ldc: rowSize, m: rows, n: rowSize, k: fg, accumulate: identityPatches,
                                      parallel: false)
                        if !identityPatches {
                            g.col2im(target, images: images, channelStart: group * cg, groupChannels: cg, into: gx)
                        }
                    }
                }
            }
        }
        if let gk, let partials {
            for worker in 0..<workers {
                let part = partials.pointer + worker * kernel.count
                vectorMap2(kernel.count, gk, part, gk) { $0 + $1 }
            }
        }
    }
    return out
}

/// `conv2d` through the direct kernels, for inputs that need no gradient (raw images).
private func directConv2d(_ x: Tensor, _ kernel: Tensor, _ direct: DirectConv) throws -> Tensor {
    let g = direct.g, n = x.shape[0], filters = direct.filters
    let out = try Tensor.result(shape: [n, g.outHeight, g.outWidth, filters], of: x, kernel)
    let workers = workerCount(for: n)
    let planeStride = direct.planeFloats + vecWidth
    // In training every image's planes are kept for the kernel gradient; otherwise one per worker.
    let keepPlanes = out.requiresGrad && kernel.requiresGrad
    let planes = try Tensor.scratchBuffer((keepPlanes ? n : workers) * planeStride, tape: out.tape)
    let weights = direct.groupedWeights(kernel.data)
    weights.withUnsafeBufferPointer { w in
        parallelWorkers(n, workers: workers) { worker, images in
            for image in images {
                let buffer = planes.pointer + (keepPlanes ? image : worker) * planeStride
                direct.makePlanes(x.data, image: image, into: buffer)
                direct.forward(planes: buffer, weights: w.baseAddress!, image: image, into: out.data)
            }
        }
    }
    out.onBackward { [x, kernel, out, planes] in
        guard kernel.requiresGrad else { return }
        let gk = try kernel.gradientForAccumulation()
        let groupedSize = weights.count
        let partials = try Tensor.scratchBuffer(workers * groupedSize, tape: out.tape)
        partials.pointer.update(repeating: 0, count: workers * groupedSize)
        let gradientPlanes = try Tensor.scratchBuffer(workers * (direct.outputPlaneFloats + vecWidth), tape: out.tape)
        parallelWorkers(n, workers: workers) { worker, images in
            let dPlanes = gradientPlanes.pointer + worker * (direct.outputPlaneFloats + vecWidth)
            for image in images {
                let buffer = planes.pointer + image * planeStride  // kept by the forward pass
                direct.makeGradientPlanes(out.grad!, image: image, into: dPlanes)
                direct.kernelGradient(planes: buffer, gradientPlanes: dPlanes, into: partials.pointer + worker * groupedSize)
            }
        }
        for worker in 0..<workers { direct.ungroup(partials.pointer + worker * groupedSize, into: gk) }
    }
    return out
}

/// The transpose of `conv2d` (Keras's Conv2DTranspose): x [n, h, w, c] with kernel
/// [kh, kw, filters, c] → [n, oh, ow, filters], where `geometry` maps the output grid back onto
/// the input grid (its "input" is this op's output).
func conv2dTranspose(_ x: Tensor, _ kernel: Tensor, geometry g: ConvGeometry) throws -> Tensor {
    let n = x.shape[0], inChannels = x.shape[3], filters = kernel.shape[2]
    let rowSize = g.patchSize  // kh · kw · filters
    let out = try Tensor.result(shape: [n, g.height, g.width, filters], of: x, kernel)
    out.data.update(repeating: 0, count: out.count)
    let chunk = min(n, g.imagesPerChunk())
    let chunks = stride(from: 0, to: n, by: chunk).map { $0..<min(n, $0 + chunk) }
    let workers = workerCount(for: chunks.count)
    let patchFloats = chunk * g.outPixels * rowSize + vecWidth  // slack for im2col's 16-float copies
    let cols = try Tensor.scratchBuffer(workers * patchFloats, tape: out.tape)
    parallelWorkers(chunks.count, workers: workers) { worker, range in
        let buffer = cols.pointer + worker * patchFloats
        for images in chunks[range] {
            // patches = X · Kᵀ with K viewed as (kh·kw·filters) × c, then scattered into the output.
            Gemm.multiply(x.data + images.lowerBound * g.outPixels * inChannels, lda: inChannels, kernel.data,
                          transposeB: true, ldb: inChannels, into: buffer, ldc: rowSize,
                          m: images.count * g.outPixels, n: rowSize, k: inChannels, parallel: false)
            g.col2im(buffer, images: images, into: out.data)
        }
    }
    out.onBackward { [x, kernel, out, cols] in
        let gx = x.requiresGrad ? try x.gradientForAccumulation() : nil
        let gk = kernel.requiresGrad ? try kernel.gradientForAccumulation() : nil
        let partials = gk == nil ? nil : try Tensor.scratchBuffer(workers * kernel.count, tape: out.tape)
        partials?.pointer.update(repeating: 0, count: workers * kernel.count)
        parallelWorkers(chunks.count, workers: workers) { worker, range in
            let buffer = cols.pointer + worker * patchFloats
            for images in chunks[range] {
                let rows = images.count * g.outPixels
                g.im2col(out.grad!, images: images, into: buffer)
                if let gx {
                    // dX = patches(dOut) · K
                    Gemm.multiply(buffer, lda: rowSize, kernel.data, ldb: inChannels,
                                  into: gx + images.lowerBound * g.outPixels * inChannels, ldc: inChannels,
                                  m: rows, n: inChannels, k: rowSize, accumulate: true, parallel: false)
                }
                if let partials {
                    // dK += patches(dOut)ᵀ · X
                    Gemm.multiply(buffer, transposeA: true, lda: rowSize, x.data + images.lowerBound * g.outPixels * inChannels,
                                  ldb: inChannels, into: partials.pointer + worker * kernel.count, ldc: inChannels,
                                  m: rowSize, n: inChannels, k: rows, accumulate: true, parallel: false)
                }
            }
        }
        if let gk, let partials {
            for worker in 0..<workers {
                vectorMap2(kernel.count, gk, partials.pointer + worker * kernel.count, gk) { $0 + $1 }
            }
        }
    }
    return out
}

extension Tensor {
    /// Scratch floats for an op: from the tape's arena, or kept alive by the returned box.
    static func scratchBuffer(_ count: Int, tape: Tape?) throws -> ScratchBuffer {
        if let tape { return ScratchBuffer(pointer: try tape.scratch(count), owner: nil) }
        let buffer = try FloatBuffer(capacity: count, zeroed: false)
        return ScratchBuffer(pointer: buffer.pointer, owner: buffer)
    }
}

/// Scratch memory and, off-tape, the buffer that owns it.
struct ScratchBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let owner: FloatBuffer?
}
