/// Keras's padding modes for convolutions and pooling.
public enum Padding: String {
    case valid, same
}

/// The index arithmetic of a 2-D convolution over channels-last images: which input pixels each
/// output pixel reads. Also describes pooling windows.
struct ConvGeometry: Equatable {
    let height: Int, width: Int, channels: Int
    let kernelH: Int, kernelW: Int
    let strideH: Int, strideW: Int
    let dilationH: Int, dilationW: Int
    let padTop: Int, padLeft: Int
    let outHeight: Int, outWidth: Int

    var patchSize: Int { kernelH * kernelW * channels }
    var outPixels: Int { outHeight * outWidth }
    var inPixels: Int { height * width }

    /// TensorFlow's output length and leading padding: "valid" keeps whole windows, "same" gives
    /// ceil(input / stride) outputs with the padding split evenly (the extra one after).
    static func length(_ input: Int, kernel: Int, stride: Int, dilation: Int, padding: Padding) -> (out: Int, before: Int) {
        let effective = (kernel - 1) * dilation + 1
        switch padding {
        case .valid:
            return (input >= effective ? (input - effective) / stride + 1 : 0, 0)
        case .same:
            let out = (input + stride - 1) / stride
            let total = max((out - 1) * stride + effective - input, 0)
            return (out, total / 2)
        }
    }

    init(height: Int, width: Int, channels: Int, kernel: (Int, Int), stride: (Int, Int), dilation: (Int, Int) = (1, 1),
         padding: Padding) {
        let rows = ConvGeometry.length(height, kernel: kernel.0, stride: stride.0, dilation: dilation.0, padding: padding)
        let cols = ConvGeometry.length(width, kernel: kernel.1, stride: stride.1, dilation: dilation.1, padding: padding)
        self.init(height: height, width: width, channels: channels, kernel: kernel, stride: stride, dilation: dilation,
                  pad: (rows.before, cols.before), output: (rows.out, cols.out))
    }

    init(height: Int, width: Int, channels: Int, kernel: (Int, Int), stride: (Int, Int), dilation: (Int, Int),
         pad: (Int, Int), output: (Int, Int)) {
        self.height = height
        self.width = width
        self.channels = channels
        (kernelH, kernelW) = kernel
        (strideH, strideW) = stride
        (dilationH, dilationW) = dilation
        (padTop, padLeft) = pad
        (outHeight, outWidth) = output
    }

    /// Copies the patches of `images` (channels `channelStart..<channelStart + groupChannels`) into
    /// `cols`: one row per output pixel, laid out (kh, kw, c); outside the image reads zero.
    /// Serial: callers run it per chunk of images on their own threads. `cols` needs 16 floats of
    /// slack after the last row (short runs are copied 16 floats at a time).
    func im2col(_ x: UnsafePointer<Float>, images: Range<Int>, channelStart: Int = 0, groupChannels: Int? = nil,
                into cols: UnsafeMutablePointer<Float>) {
        let cg = groupChannels ?? channels
        let run = kernelW * cg
        // With all channels and no dilation, a kernel row's pixels are one contiguous run of the input.
        let contiguousRuns = cg == channels && dilationW == 1
        var dst = cols
        for n in images {
            let image = x + n * inPixels * channels + channelStart
            let imageEnd = x + (n + 1) * inPixels * channels
            for oh in 0..<outHeight {
                for ow in 0..<outWidth {
                    let iw0 = ow * strideW - padLeft
                    for kh in 0..<kernelH {
                        let ih = oh * strideH - padTop + kh * dilationH
                        if ih < 0 || ih >= height {
                            for i in 0..<run { dst[i] = 0 }
                        } else if contiguousRuns && iw0 >= 0 && iw0 + kernelW <= width {
                            let src = image + (ih * width + iw0) * channels
                            if run <= vecWidth && src + vecWidth <= imageEnd {
                                // Writes past the run are overwritten by the next run.
                                UnsafeMutableRawPointer(dst).storeBytes(of: UnsafeRawPointer(src).loadUnaligned(as: Vec.self), as: Vec.self)
                            } else {
                                copyFloats(src, dst, run)
                            }
                        } else {
                            for kw in 0..<kernelW {
                                let iw = iw0 + kw * dilationW
                                if iw >= 0, iw < width {
                                    copyFloats(image + (ih * width + iw) * channels, dst + kw * cg, cg)
                                } else {
                                    for c in 0..<cg { dst[kw * cg + c] = 0 }
                                }
                            }
                        }
                        dst += run
                    }
                }
            }
        }
    }

    /// The adjoint of `im2col`: adds each patch row of `cols` back into the pixels it came from.
    /// Serial: callers run it per chunk of images on their own threads.
    func col2im(_ cols: UnsafePointer<Float>, images: Range<Int>, channelStart: Int = 0, groupChannels: Int? = nil,
                into x: UnsafeMutablePointer<Float>) {
        let cg = groupChannels ?? channels
        let run = kernelW * cg
        let contiguousRuns = cg == channels && dilationW == 1
        var src = cols
        for n in images {
            let image = x + n * inPixels * channels + channelStart
            for oh in 0..<outHeight {
                for ow in 0..<outWidth {
                    let iw0 = ow * strideW - padLeft
                    for kh in 0..<kernelH {
                        let ih = oh * strideH - padTop + kh * dilationH
                        if ih >= 0 && ih < height {
                            if contiguousRuns && iw0 >= 0 && iw0 + kernelW <= width {
                                // A kernel row's pixels are one contiguous run, as in im2col.
                                addFloats(src, image + (ih * width + iw0) * channels, run)
                            } else {
                                for kw in 0..<kernelW {
                                    let iw = iw0 + kw * dilationW
                                    if iw >= 0, iw < width { addFloats(src + kw * cg, image + (ih * width + iw) * channels, cg) }
                                }
                            }
                        }
                        src += run
                    }
                }
            }
        }
    }

    /// Images per chunk so that a chunk's patch matrix stays near `budget` floats (cache-sized).
    func imagesPerChunk(budget: Int = 1 << 18, groupChannels: Int? = nil) -> Int {
        let perImage = max(outPixels * kernelH * kernelW * (groupChannels ?? channels), 1)
        return max(1, budget / perImage)
    }
}

/// dst[0..<n] = src[0..<n]; short runs (a few channels) skip the call into memcpy.
@inline(__always)
func copyFloats(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
    if n < 16 {
        for i in 0..<n { dst[i] = src[i] }
    } else {
        dst.update(from: src, count: n)
    }
}

/// dst[0..<n] += src[0..<n]: whole vectors, then the few left one by one.
@inline(__always)
func addFloats(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    while i + vecWidth <= n {
        let sum = UnsafeRawPointer(dst + i).loadUnaligned(as: Vec.self) + UnsafeRawPointer(src + i).loadUnaligned(as: Vec.self)
        UnsafeMutableRawPointer(dst + i).storeBytes(of: sum, as: Vec.self)
        i += vecWidth
    }
    while i < n {
        dst[i] += src[i]
        i += 1
    }
}
