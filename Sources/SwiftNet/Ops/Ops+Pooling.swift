/// Pooling over channels-last images, fused single passes forward and backward.

/// 0, 1, …, 15: lane i of a 16-channel block reads channel `start + i`.
private let laneOffsets = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

/// Max pooling; `geometry` gives the window (kernel), strides and padding. Padded positions never
/// win. The winning position of every output is kept for the backward pass.
func maxPool2d(_ x: Tensor, geometry g: ConvGeometry) throws -> Tensor {
    let n = x.shape[0], c = g.channels
    let out = try Tensor.result(shape: [n, g.outHeight, g.outWidth, c], of: x)
    // Winning input offsets (within the image), stored as Int32 in float-sized scratch.
    let winners = try Tensor.scratchBuffer(out.count, tape: out.tape)
    let winner = UnsafeMutableRawPointer(winners.pointer).bindMemory(to: Int32.self, capacity: out.count)
    /// Calls `body(offset)` with the input offset (pixel · c) of every in-bounds tap of output (oh, ow).
    @inline(__always) func forEachTap(_ oh: Int, _ ow: Int, _ body: (Int) -> Void) {
        for kh in 0..<g.kernelH {
            let ih = oh * g.strideH - g.padTop + kh
            if ih < 0 || ih >= g.height { continue }
            for kw in 0..<g.kernelW {
                let iw = ow * g.strideW - g.padLeft + kw
                if iw >= 0 && iw < g.width { body((ih * g.width + iw) * c) }
            }
        }
    }

    parallelFor(n * g.outHeight, minChunk: max(1, 2048 / max(g.outWidth * c, 1))) { rows in
        for row in rows {
            let image = row / g.outHeight, oh = row % g.outHeight
            let base = x.data + image * g.inPixels * c
            for ow in 0..<g.outWidth {
                let o = ((image * g.outHeight + oh) * g.outWidth + ow) * c
                var ch = 0
                let top = oh * g.strideH - g.padTop, left = ow * g.strideW - g.padLeft
                if top >= 0 && top + g.kernelH <= g.height && left >= 0 && left + g.kernelW <= g.width {
                    // The whole window is inside the image: plain loops, 16 channels at a time.
                    while ch + vecWidth <= c {
                        var best = Vec(repeating: -.infinity)
                        var index = SIMD16<Int32>(repeating: 0)
                        for ih in top..<(top + g.kernelH) {
                            for iw in left..<(left + g.kernelW) {
                                let offset = (ih * g.width + iw) * c + ch
                                let v = UnsafeRawPointer(base + offset).loadUnaligned(as: Vec.self)
                                let better = v .> best
                                best.replace(with: v, where: better)
                                index.replace(with: SIMD16<Int32>(repeating: Int32(offset)) &+ laneOffsets, where: better)
                            }
                        }
                        UnsafeMutableRawPointer(out.data + o + ch).storeBytes(of: best, as: Vec.self)
                        UnsafeMutableRawPointer(winner + o + ch).storeBytes(of: index, as: SIMD16<Int32>.self)
                        ch += vecWidth
                    }
                    // Fewer channels than a vector left (e.g. 6): one vector read past them, where that
                    // stays inside the input, and only their lanes kept (scalar code branches here).
                    let lastTap = ((top + g.kernelH - 1) * g.width + left + g.kernelW - 1) * c
                    if ch < c && (base + lastTap + ch + vecWidth) <= (x.data + x.count) {
                        var best = Vec(repeating: -.infinity)
                        var index = SIMD16<Int32>(repeating: 0)
                        for ih in top..<(top + g.kernelH) {
                            for iw in left..<(left + g.kernelW) {
                                let offset = (ih * g.width + iw) * c + ch
                                let v = UnsafeRawPointer(base + offset).loadUnaligned(as: Vec.self)
                                let better = v .> best
                                best.replace(with: v, where: better)
                                index.replace(with: SIMD16<Int32>(repeating: Int32(offset)) &+ laneOffsets, where: better)
                            }
                        }
                        for lane in 0..<(c - ch) {
                            out.data[o + ch + lane] = best[lane]
                            winner[o + ch + lane] = index[lane]
                        }
                        continue
                    }
                    for ch in ch..<c {
                        var best = -Float.infinity, index = Int32(0)
                        for ih in top..<(top + g.kernelH) {
                            for iw in left..<(left + g.kernelW) {
                                let offset = (ih * g.width + iw) * c + ch
                                let better = base[offset] > best
                                best = better ? base[offset] : best
                                index = better ? Int32(offset) : index
                            }
                        }
                        out.data[o + ch] = best
                        winner[o + ch] = index
                    }
                    continue
                }
                // 16 channels at a time; the first tap always wins, later ones when strictly larger.
                while ch + vecWidth <= c {
                    var best = Vec(repeating: -.infinity)
                    var index = SIMD16<Int32>(repeating: -1)
                    forEachTap(oh, ow) { tap in
                        let offset = tap + ch
                        let v = UnsafeRawPointer(base + offset).loadUnaligned(as: Vec.self)
                        let better = (v .> best) .| (index .< 0)
                        best.replace(with: v, where: better)
                        index.replace(with: SIMD16<Int32>(repeating: Int32(offset)) &+ laneOffsets, where: better)
                    }
                    UnsafeMutableRawPointer(out.data + o + ch).storeBytes(of: best, as: Vec.self)
                    UnsafeMutableRawPointer(winner + o + ch).storeBytes(of: index, as: SIMD16<Int32>.self)
                    ch += vecWidth
                }
                for ch in ch..<c { out.data[o + ch] = -.infinity; winner[o + ch] = -1 }
                if ch == c { continue }
                forEachTap(oh, ow) { offset in
                    for ch in ch..<c {
                        // Branch-free: the first tap always wins (−inf start), later ones when larger.
                        let v = base[offset + ch]
                        let better = v > out.data[o + ch] || winner[o + ch] < 0
                        out.data[o + ch] = better ? v : out.data[o + ch]
                        winner[o + ch] = better ? Int32(offset + ch) : winner[o + ch]
                    }
                }
            }
        }
    }
    out.onBackward { [x, out, winners] in
        _ = winners
        guard x.requiresGrad else { return }
        let gx = try x.gradientForAccumulation(), gOut = out.grad!
        let perImage = g.outPixels * c
        parallelFor(n, minChunk: 1) { images in
            for image in images {
                let dst = gx + image * g.inPixels * c
                for j in 0..<perImage where winner[image * perImage + j] >= 0 {
                    dst[Int(winner[image * perImage + j])] += gOut[image * perImage + j]
                }
            }
        }
    }
    return out
}

/// Average pooling; with "same" padding each output averages only the positions inside the image,
/// as TensorFlow does.
func averagePool2d(_ x: Tensor, geometry g: ConvGeometry) throws -> Tensor {
    let n = x.shape[0], c = g.channels
    let out = try Tensor.result(shape: [n, g.outHeight, g.outWidth, c], of: x)

    /// The in-bounds window of output (oh, ow): rows, columns.
    func window(_ oh: Int, _ ow: Int) -> (Range<Int>, Range<Int>) {
        let top = oh * g.strideH - g.padTop, left = ow * g.strideW - g.padLeft
        return (max(top, 0)..<min(top + g.kernelH, g.height), max(left, 0)..<min(left + g.kernelW, g.width))
    }

    parallelFor(n * g.outHeight, minChunk: max(1, 2048 / max(g.outWidth * c, 1))) { rows in
        for row in rows {
            let image = row / g.outHeight, oh = row % g.outHeight
            let base = x.data + image * g.inPixels * c
            for ow in 0..<g.outWidth {
                let dst = out.data + ((image * g.outHeight + oh) * g.outWidth + ow) * c
                let (hs, ws) = window(oh, ow)
                for ch in 0..<c { dst[ch] = 0 }
                for ih in hs { for iw in ws { addFloats(base + (ih * g.width + iw) * c, dst, c) } }
                let scale = 1 / Float(max(hs.count * ws.count, 1))
                for ch in 0..<c { dst[ch] *= scale }
            }
        }
    }
    out.onBackward { [x, out] in
        guard x.requiresGrad else { return }
        let gx = try x.gradientForAccumulation(), gOut = out.grad!
        parallelFor(n, minChunk: 1) { images in
            for image in images {
                let dstImage = gx + image * g.inPixels * c
                for oh in 0..<g.outHeight {
                    for ow in 0..<g.outWidth {
                        let d = gOut + ((image * g.outHeight + oh) * g.outWidth + ow) * c
                        let (hs, ws) = window(oh, ow)
                        let scale = 1 / Float(max(hs.count * ws.count, 1))
                        for ih in hs {
                            for iw in ws {
                                let dst = dstImage + (ih * g.width + iw) * c
                                for ch in 0..<c { dst[ch] += d[ch] * scale }
                            }
                        }
                    }
                }
            }
        }
    }
    return out
}

/// Mean or max over all pixels of each image and channel: [n, h, w, c] → [n, c].
func globalPool2d(_ x: Tensor, max useMax: Bool) throws -> Tensor {
    let n = x.shape[0], pixels = x.shape[1] * x.shape[2], c = x.shape[3]
    let out = try Tensor.result(shape: [n, c], of: x)
    let winners = useMax ? try Tensor.scratchBuffer(out.count, tape: out.tape) : nil
    let winner = winners.map { UnsafeMutableRawPointer($0.pointer).bindMemory(to: Int32.self, capacity: out.count) }
    for image in 0..<n {
        let base = x.data + image * pixels * c, dst = out.data + image * c
        for ch in 0..<c {
            dst[ch] = useMax ? base[ch] : 0
            winner?[image * c + ch] = Int32(ch)
        }
        for p in (useMax ? 1 : 0)..<pixels {
            let src = base + p * c
            if let winner {
                for ch in 0..<c where src[ch] > dst[ch] {
                    dst[ch] = src[ch]
                    winner[image * c + ch] = Int32(p * c + ch)
                }
            } else {
                addFloats(src, dst, c)
            }
        }
        if !useMax { for ch in 0..<c { dst[ch] /= Float(pixels) } }
    }
    out.onBackward { [x, out, winners] in
        _ = winners
        guard x.requiresGrad else { return }
        let gx = try x.gradientForAccumulation(), gOut = out.grad!
        for image in 0..<n {
            let dst = gx + image * pixels * c, d = gOut + image * c
            if let winner {
                for ch in 0..<c { dst[Int(winner[image * c + ch])] += d[ch] }
            } else {
                let scale = 1 / Float(pixels)
                for p in 0..<pixels { for ch in 0..<c { dst[p * c + ch] += d[ch] * scale } }
            }
        }
    }
    return out
}
