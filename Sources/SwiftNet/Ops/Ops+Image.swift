#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Spatial ops on channels-last images [n, h, w, c]: padding, cropping, resizing, warping.

/// Zero padding: `top`, `bottom`, `left`, `right` pixels around each image.
func zeroPad2d(_ x: Tensor, top: Int, bottom: Int, left: Int, right: Int) throws -> Tensor {
    let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let oh = h + top + bottom, ow = w + left + right
    let out = try Tensor.result(shape: [n, oh, ow, c], of: x)
    out.data.update(repeating: 0, count: out.count)
    for image in 0..<n {
        for r in 0..<h {
            copyFloats(x.data + ((image * h + r) * w) * c, out.data + ((image * oh + r + top) * ow + left) * c, w * c)
        }
    }
    out.onBackward { [x, out] in
        guard x.requiresGrad else { return }
        let gx = try x.gradientForAccumulation()
        for image in 0..<n {
            for r in 0..<h {
                addFloats(out.grad! + ((image * oh + r + top) * ow + left) * c, gx + ((image * h + r) * w) * c, w * c)
            }
        }
    }
    return out
}

/// The window [top, top + height) × [left, left + width) of each image.
func crop2d(_ x: Tensor, top: Int, left: Int, height: Int, width: Int) throws -> Tensor {
    let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let out = try Tensor.result(shape: [n, height, width, c], of: x)
    for image in 0..<n {
        for r in 0..<height {
            copyFloats(x.data + ((image * h + r + top) * w + left) * c, out.data + ((image * height + r) * width) * c, width * c)
        }
    }
    out.onBackward { [x, out] in
        guard x.requiresGrad else { return }
        let gx = try x.gradientForAccumulation()
        for image in 0..<n {
            for r in 0..<height {
                addFloats(out.grad! + ((image * height + r) * width) * c, gx + ((image * h + r + top) * w + left) * c, width * c)
            }
        }
    }
    return out
}

/// Nearest-neighbour upsampling by integer factors (each pixel repeated `sh` × `sw` times).
func upsampleNearest(_ x: Tensor, sh: Int, sw: Int) throws -> Tensor {
    let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let out = try Tensor.result(shape: [n, h * sh, w * sw, c], of: x)
    for image in 0..<n {
        for r in 0..<(h * sh) {
            for col in 0..<(w * sw) {
                copyFloats(x.data + ((image * h + r / sh) * w + col / sw) * c,
                           out.data + ((image * h * sh + r) * w * sw + col) * c, c)
            }
        }
    }
    out.onBackward { [x, out] in
        guard x.requiresGrad else { return }
        let gx = try x.gradientForAccumulation()
        for image in 0..<n {
            for r in 0..<(h * sh) {
                for col in 0..<(w * sw) {
                    addFloats(out.grad! + ((image * h * sh + r) * w * sw + col) * c, gx + ((image * h + r / sh) * w + col / sw) * c, c)
                }
            }
        }
    }
    return out
}

/// How sampling treats positions outside the image (Keras's `fill_mode`).
public enum FillMode: String {
    /// d c b a | a b c d | d c b a
    case reflect
    /// a b c d | a b c d | a b c d
    case wrap
    /// a a a a | a b c d | d d d d
    case nearest
    /// k k k k | a b c d | k k k k, with k the fill value
    case constant
}

/// Per image, a map from output pixel (row, col) to the input position it samples:
/// input = (a·col + b·row + c, d·col + e·row + f) as (x, y).
struct AffineMap {
    var a: Float, b: Float, c: Float, d: Float, e: Float, f: Float

    static let identity = AffineMap(a: 1, b: 0, c: 0, d: 0, e: 1, f: 0)
}

/// TensorFlow's `map_coordinate` for a fill mode: brings a coordinate back inside [0, size - 1].
@inline(__always)
func mapCoordinate(_ value: Float, size: Int, mode: FillMode) -> Float {
    let length = Float(size)
    switch mode {
    case .reflect:
        if size == 1 { return 0 }
        var v = value
        let period = 2 * length
        if v < 0 {
            if v < -period { v += period * Float(Int(-v / period)) }
            v = v < -length ? v + period : -v - 1
        } else if v > length - 1 {
            if v > period { v -= period * Float(Int(v / period)) }
            if v >= length { v = period - v - 1 }
        }
        return min(max(v, 0), length - 1)
    case .wrap:
        if size == 1 { return 0 }
        var v = value
        if v < 0 {
            if v < -length { v += length * Float(Int(-v / length)) }
            if v < 0 { v += length }
        } else if v > length - 1 {
            if v > length { v -= length * Float(Int(v / length)) }
            if v > length - 1 { v -= length }
        }
        return min(max(v, 0), length - 1)
    case .nearest:
        return min(max(value, 0), length - 1)
    case .constant:
        return value
    }
}

/// Samples every image through its `AffineMap` with bilinear or nearest interpolation, reading
/// `fillValue` outside the image in constant mode. Gradients flow back through the same weights.
func affineWarp(_ x: Tensor, maps: [AffineMap], outHeight: Int, outWidth: Int, fill: FillMode, fillValue: Float,
                bilinear: Bool) throws -> Tensor {
    let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let out = try Tensor.result(shape: [n, outHeight, outWidth, c], of: x)

    /// Calls `tap(inputPixel or nil for the fill value, weight)` for the samples of output (row, col).
    func samples(_ map: AffineMap, _ row: Int, _ col: Int, _ tap: (Int?, Float) -> Void) {
        let fx = mapCoordinate(map.a * Float(col) + map.b * Float(row) + map.c, size: w, mode: fill)
        let fy = mapCoordinate(map.d * Float(col) + map.e * Float(row) + map.f, size: h, mode: fill)
        func pixel(_ y: Int, _ x: Int) -> Int? { (y >= 0 && y < h && x >= 0 && x < w) ? y * w + x : nil }
        if !bilinear {
            tap(pixel(Int(fy.rounded(.toNearestOrEven)), Int(fx.rounded(.toNearestOrEven))), 1)
            return
        }
        let y0 = floorf(fy), x0 = floorf(fx)
        let wy = fy - y0, wx = fx - x0
        let iy = Int(y0), ix = Int(x0)
        tap(pixel(iy, ix), (1 - wy) * (1 - wx))
        tap(pixel(iy, ix + 1), (1 - wy) * wx)
        tap(pixel(iy + 1, ix), wy * (1 - wx))
        tap(pixel(iy + 1, ix + 1), wy * wx)
    }

    parallelFor(n, minChunk: 1) { images in
        for image in images {
            let src = x.data + image * h * w * c
            for row in 0..<outHeight {
                for col in 0..<outWidth {
                    let dst = out.data + ((image * outHeight + row) * outWidth + col) * c
                    for ch in 0..<c { dst[ch] = 0 }
                    samples(maps[image], row, col) { pixel, weight in
                        if weight == 0 { return }
                        if let pixel {
                            for ch in 0..<c { dst[ch] += weight * src[pixel * c + ch] }
                        } else if fill == .constant {
                            for ch in 0..<c { dst[ch] += weight * fillValue }
                        }
                    }
                }
            }
        }
    }
    out.onBackward { [x, out] in
        guard x.requiresGrad else { return }
        let gx = try x.gradientForAccumulation()
        parallelFor(n, minChunk: 1) { images in
            for image in images {
                let dstImage = gx + image * h * w * c
                for row in 0..<outHeight {
                    for col in 0..<outWidth {
                        let d = out.grad! + ((image * outHeight + row) * outWidth + col) * c
                        samples(maps[image], row, col) { pixel, weight in
                            guard let pixel, weight != 0 else { return }
                            for ch in 0..<c { dstImage[pixel * c + ch] += weight * d[ch] }
                        }
                    }
                }
            }
        }
    }
    return out
}

/// y = x·scale[ch] + offset[ch] over the last axis, with constant `scale` and `offset`
/// (Rescaling, Normalization).
func channelAffine(_ x: Tensor, scale: [Float], offset: [Float]) throws -> Tensor {
    let c = x.lastDim, rows = x.rows
    let out = try Tensor.result(shape: x.shape, of: x)
    let scaleVector = scale.count == 1 ? Array(repeating: scale[0], count: c) : scale
    let offsetVector = offset.count == 1 ? Array(repeating: offset[0], count: c) : offset
    parallelRows(rows, c) { range in
        for r in range {
            for ch in 0..<c { out.data[r * c + ch] = x.data[r * c + ch] * scaleVector[ch] + offsetVector[ch] }
        }
    }
    out.onBackward { [x, out] in
        guard x.requiresGrad else { return }
        let gx = try x.gradientForAccumulation()
        for r in 0..<rows { for ch in 0..<c { gx[r * c + ch] += out.grad![r * c + ch] * scaleVector[ch] } }
    }
    return out
}

/// Per image, (x − mean)·factor + mean with the mean over pixels of each channel, clipped to
/// [low, high] (Keras's RandomContrast).
func adjustContrast(_ x: Tensor, factors: [Float], low: Float, high: Float) throws -> Tensor {
    let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let pixels = h * w
    let out = try Tensor.result(shape: x.shape, of: x)
    var means = [Float](repeating: 0, count: n * c)
    for image in 0..<n {
        let src = x.data + image * pixels * c, dst = out.data + image * pixels * c
        for ch in 0..<c {
            var sum = 0.0
            for p in 0..<pixels { sum += Double(src[p * c + ch]) }
            means[image * c + ch] = Float(sum / Double(pixels))
        }
        for p in 0..<pixels {
            for ch in 0..<c {
                let m = means[image * c + ch]
                dst[p * c + ch] = min(max((src[p * c + ch] - m) * factors[image] + m, low), high)
            }
        }
    }
    out.onBackward { [x, out] in
        guard x.requiresGrad else { return }
        let gx = try x.gradientForAccumulation()
        for image in 0..<n {
            let g = out.grad! + image * pixels * c, dst = gx + image * pixels * c, y = out.data + image * pixels * c
            let f = factors[image]
            for ch in 0..<c {
                // Clipped outputs pass no gradient; the mean spreads (1 − f)/pixels of the rest.
                var passed = 0.0
                for p in 0..<pixels where y[p * c + ch] > low && y[p * c + ch] < high { passed += Double(g[p * c + ch]) }
                let shared = Float(passed) * (1 - f) / Float(pixels)
                for p in 0..<pixels {
                    let inside = y[p * c + ch] > low && y[p * c + ch] < high
                    dst[p * c + ch] += (inside ? g[p * c + ch] * f : 0) + shared
                }
            }
        }
    }
    return out
}
