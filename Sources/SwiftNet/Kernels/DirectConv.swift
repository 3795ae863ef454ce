/// Direct convolution for inputs with few channels (the first layers of image networks), where
/// the patch matrix of im2col would be large and the product too narrow for BLAS to be efficient.
///
/// Images are copied to padded planes (channel-major, rows padded to whole vectors) so that 16
/// neighbouring outputs of a row are computed together from contiguous loads; filters go 8 at a
/// time, each with its own accumulator. Stride 1, no dilation, one group.
struct DirectConv {
    let g: ConvGeometry
    let filters: Int
    /// Output row length rounded up to whole vectors.
    let paddedOutWidth: Int
    /// Plane size of the padded input: rows × cols.
    let planeRows: Int, planeCols: Int
    static let filterGroup = 8

    /// Whether the direct kernels apply and pay off for this geometry.
    static func applies(_ g: ConvGeometry, groups: Int) -> Bool {
        groups == 1 && g.strideH == 1 && g.strideW == 1 && g.dilationH == 1 && g.dilationW == 1
            && g.channels <= 4 && g.kernelH * g.kernelW * g.channels <= 128 && g.outWidth >= 8
    }

    init(_ g: ConvGeometry, filters: Int) {
        self.g = g
        self.filters = filters
        paddedOutWidth = (g.outWidth + vecWidth - 1) / vecWidth * vecWidth
        planeRows = g.outHeight + g.kernelH - 1
        planeCols = paddedOutWidth + g.kernelW - 1
    }

    var planeFloats: Int { g.channels * planeRows * planeCols }
    var outputPlaneFloats: Int { filters * g.outHeight * paddedOutWidth }

    /// Copies image `n` of channels-last `x` into zero-padded channel planes at `planes`.
    func makePlanes(_ x: UnsafePointer<Float>, image n: Int, into planes: UnsafeMutablePointer<Float>) {
        planes.update(repeating: 0, count: planeFloats)
        let c = g.channels
        let src = x + n * g.inPixels * c
        for ih in 0..<g.height {
            let row = ih + g.padTop
            if row < 0 || row >= planeRows { continue }
            for iw in 0..<g.width {
                let col = iw + g.padLeft
                if col < 0 || col >= planeCols { continue }
                for ch in 0..<c { planes[(ch * planeRows + row) * planeCols + col] = src[(ih * g.width + iw) * c + ch] }
            }
        }
    }

    /// Weights regrouped as [filter group][tap (c, kh, kw)][8 filters], zero beyond the last filter.
    func groupedWeights(_ kernel: UnsafePointer<Float>) -> [Float] {
        let groups = (filters + DirectConv.filterGroup - 1) / DirectConv.filterGroup
        let taps = g.channels * g.kernelH * g.kernelW
        var out = [Float](repeating: 0, count: groups * taps * DirectConv.filterGroup)
        for fg in 0..<groups {
            for c in 0..<g.channels {
                for kh in 0..<g.kernelH {
                    for kw in 0..<g.kernelW {
                        let tap = (c * g.kernelH + kh) * g.kernelW + kw
                        for j in 0..<DirectConv.filterGroup where fg * DirectConv.filterGroup + j < filters {
                            out[(fg * taps + tap) * DirectConv.filterGroup + j] =
                                kernel[((kh * g.kernelW + kw) * g.channels + c) * filters + fg * DirectConv.filterGroup + j]
                        }
                    }
                }
            }
        }
        return out
    }

    /// out (channels-last, image `n`) = planes ⊛ kernel.
    func forward(planes: UnsafePointer<Float>, weights: UnsafePointer<Float>, image n: Int,
                 into out: UnsafeMutablePointer<Float>) {
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> Vec { UnsafeRawPointer(p).loadUnaligned(as: Vec.self) }
        let taps = g.channels * g.kernelH * g.kernelW
        var lanes = [Float](repeating: 0, count: DirectConv.filterGroup * vecWidth)
        lanes.withUnsafeMutableBufferPointer { lanes in
            let tmp = lanes.baseAddress!
            for fg in 0..<((filters + 7) / 8) {
                let w0 = weights + fg * taps * 8
                let count = min(8, filters - fg * 8)
                for oh in 0..<g.outHeight {
                    for ob in stride(from: 0, to: g.outWidth, by: vecWidth) {
                        var a0 = Vec(), a1 = Vec(), a2 = Vec(), a3 = Vec(), a4 = Vec(), a5 = Vec(), a6 = Vec(), a7 = Vec()
                        var w = w0
                        for c in 0..<g.channels {
                            for kh in 0..<g.kernelH {
                                let row = planes + (c * planeRows + oh + kh) * planeCols + ob
                                for kw in 0..<g.kernelW {
                                    let v = load(row + kw)
                                    a0.addProduct(v, Vec(repeating: w[0])); a1.addProduct(v, Vec(repeating: w[1]))
                                    a2.addProduct(v, Vec(repeating: w[2])); a3.addProduct(v, Vec(repeating: w[3]))
                                    a4.addProduct(v, Vec(repeating: w[4])); a5.addProduct(v, Vec(repeating: w[5]))
                                    a6.addProduct(v, Vec(repeating: w[6])); a7.addProduct(v, Vec(repeating: w[7]))
                                    w += 8
                                }
                            }
                        }
                        for (j, a) in [a0, a1, a2, a3, a4, a5, a6, a7].enumerated() {
                            UnsafeMutableRawPointer(tmp + j * vecWidth).storeBytes(of: a, as: Vec.self)
                        }
                        let dst = out + ((n * g.outHeight + oh) * g.outWidth + ob) * filters + fg * 8
                        for lane in 0..<min(vecWidth, g.outWidth - ob) {
                            for j in 0..<count { dst[lane * filters + j] = tmp[j * vecWidth + lane] }
                        }
                    }
                }
            }
        }
    }

    /// Copies image `n` of the channels-last output gradient into filter planes (rows padded with zeros).
    func makeGradientPlanes(_ gOut: UnsafePointer<Float>, image n: Int, into planes: UnsafeMutablePointer<Float>) {
        planes.update(repeating: 0, count: outputPlaneFloats)
        let src = gOut + n * g.outPixels * filters
        for oh in 0..<g.outHeight {
            for ow in 0..<g.outWidth {
                for f in 0..<filters {
                    planes[(f * g.outHeight + oh) * paddedOutWidth + ow] = src[(oh * g.outWidth + ow) * filters + f]
                }
            }
        }
    }

    /// gradient[tap][f] += Σ over the image of input(tap shift) · dOut[f], in the grouped layout.
    func kernelGradient(planes: UnsafePointer<Float>, gradientPlanes: UnsafePointer<Float>,
                        into gradient: UnsafeMutablePointer<Float>) {
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> Vec { UnsafeRawPointer(p).loadUnaligned(as: Vec.self) }
        let taps = g.channels * g.kernelH * g.kernelW
        let outPlane = g.outHeight * paddedOutWidth
        for fg in 0..<((filters + 7) / 8) {
            let count = min(8, filters - fg * 8)
            // Missing filters of the last group read the first plane; their sums are discarded.
            func plane(_ j: Int) -> UnsafePointer<Float> { gradientPlanes + (fg * 8 + (j < count ? j : 0)) * outPlane }
            let d0 = plane(0), d1 = plane(1), d2 = plane(2), d3 = plane(3)
            let d4 = plane(4), d5 = plane(5), d6 = plane(6), d7 = plane(7)
            for c in 0..<g.channels {
                for kh in 0..<g.kernelH {
                    for kw in 0..<g.kernelW {
                        var a0 = Vec(), a1 = Vec(), a2 = Vec(), a3 = Vec(), a4 = Vec(), a5 = Vec(), a6 = Vec(), a7 = Vec()
                        for oh in 0..<g.outHeight {
                            let row = planes + (c * planeRows + oh + kh) * planeCols + kw
                            let o = oh * paddedOutWidth
                            for ob in stride(from: 0, to: paddedOutWidth, by: vecWidth) {
                                let v = load(row + ob)
                                let at = o + ob
                                a0.addProduct(v, load(d0 + at)); a1.addProduct(v, load(d1 + at))
                                a2.addProduct(v, load(d2 + at)); a3.addProduct(v, load(d3 + at))
                                a4.addProduct(v, load(d4 + at)); a5.addProduct(v, load(d5 + at))
                                a6.addProduct(v, load(d6 + at)); a7.addProduct(v, load(d7 + at))
                            }
                        }
                        let tap = (c * g.kernelH + kh) * g.kernelW + kw
                        let dst = gradient + (fg * taps + tap) * 8
                        let sums = [a0.sum(), a1.sum(), a2.sum(), a3.sum(), a4.sum(), a5.sum(), a6.sum(), a7.sum()]
                        for j in 0..<count { dst[j] += sums[j] }
                    }
                }
            }
        }
    }

    /// Adds a grouped-layout gradient into a Keras-layout kernel gradient [kh, kw, c, filters].
    func ungroup(_ grouped: UnsafePointer<Float>, into kernelGradient: UnsafeMutablePointer<Float>) {
        let taps = g.channels * g.kernelH * g.kernelW
        for fg in 0..<((filters + 7) / 8) {
            for c in 0..<g.channels {
                for kh in 0..<g.kernelH {
                    for kw in 0..<g.kernelW {
                        let tap = (c * g.kernelH + kh) * g.kernelW + kw
                        for j in 0..<8 where fg * 8 + j < filters {
                            kernelGradient[((kh * g.kernelW + kw) * g.channels + c) * filters + fg * 8 + j] +=
                                grouped[(fg * taps + tap) * 8 + j]
                        }
                    }
                }
            }
        }
    }
}
