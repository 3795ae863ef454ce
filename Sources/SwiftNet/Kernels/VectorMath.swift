#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIMD transcendental functions on 16 lanes (AVX-512 registers where available), accurate to a
/// few float32 ulps, so activations run vectorised instead of one `expf` call per element.
typealias Vec = SIMD16<Float>
let vecWidth = Vec.scalarCount

/// `v` limited to [lo, hi] lane by lane, NaN lanes left NaN (`SIMD.clamped` runs a generic
/// per-lane loop).
@_transparent
func vclamp(_ v: Vec, _ lo: Float, _ hi: Float) -> Vec {
    let raised = v.replacing(with: Vec(repeating: lo), where: v .< lo)
    return raised.replacing(with: Vec(repeating: hi), where: raised .> hi)
}

/// |x| lane-wise, by clearing the sign bits.
@_transparent
func vabs(_ x: Vec) -> Vec {
    unsafeBitCast(unsafeBitCast(x, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF, to: Vec.self)
}

enum VectorMath {
    /// e^x; 0 below -87.3, +inf above 88.7.
    @_transparent  // inlined even into the large recurrent and activation loops: called, a
    // vector travels in four 128-bit registers and the polynomial runs at a quarter width
    static func exp(_ x: Vec) -> Vec {
        let clamped = vclamp(x, -87.33654, 88.72283)
        // n = round(x·log2 e), to nearest even, by adding and removing 1.5·2^23: plain vector adds,
        // where SIMD's `rounded` can be compiled lane by lane inside large loops.
        let n = (clamped * 1.442695041 + 12_582_912) - 12_582_912
        // Cody–Waite reduction: r = x - n·ln2 in two parts keeps r exact.
        var r = clamped - n * 0.693359375
        r = r + n * 2.12194440e-4
        // Cephes expf polynomial on [-ln2/2, ln2/2].
        var p = Vec(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        p = p * (r * r) + r + 1
        // Scale by 2^n through the exponent bits; n + 127 in [0, 255] after the clamp.
        // n + 127 is an integer in [1, 255]: adding 2^23 puts it in the low mantissa bits.
        let exponent = (unsafeBitCast(n + (8_388_608 + 127), to: SIMD16<Int32>.self) &- 0x4B00_0000) &<< 23
        var result = p * unsafeBitCast(exponent, to: Vec.self)
        result.replace(with: 0, where: x .< -87.33654)
        result.replace(with: .infinity, where: x .> 88.72283)
        result.replace(with: x, where: x .!= x)  // NaN stays NaN
        return result
    }

    /// 1 / (1 + e^-x), without overflow for large |x|.
    @_transparent
    static func sigmoid(_ x: Vec) -> Vec {
        let e = exp(-vabs(x))  // in (0, 1]
        let positive = 1 / (1 + e)
        var out = e * positive  // = sigmoid(-|x|)
        out.replace(with: positive, where: x .>= 0)
        return out
    }

    /// tanh(x) = sign(x)·(1 - e^(-2|x|)) / (1 + e^(-2|x|)); a series near 0 keeps small values exact.
    @_transparent
    static func tanh(_ x: Vec) -> Vec {
        let a = vabs(x)
        let e = exp(-2 * a)
        var t = (1 - e) / (1 + e)
        let a2 = a * a
        let series = a * (1 + a2 * (-0.333333333 + a2 * (0.133333333 + a2 * -0.053968254)))
        t.replace(with: series, where: a .< 0.0625)
        var out = t
        out.replace(with: -t, where: x .< 0)
        return out
    }

    /// log(1 + e^x) = max(x, 0) + log1p(e^-|x|).
    @_transparent
    static func softplus(_ x: Vec) -> Vec {
        var out = Vec()
        let e = exp(-vabs(x))
        for i in 0..<vecWidth { out[i] = max(x[i], 0) + log1pf(e[i]) }
        return out
    }

    /// The error function, Abramowitz–Stegun 7.1.26 refined: |error| < 1.5e-7.
    @_transparent
    static func erf(_ x: Vec) -> Vec {
        let a = vabs(x)
        let t = 1 / (1 + 0.3275911 * a)
        var poly = Vec(repeating: 1.061405429)
        poly = poly * t - 1.453152027
        poly = poly * t + 1.421413741
        poly = poly * t - 0.284496736
        poly = poly * t + 0.254829592
        poly = poly * t
        var y = 1 - poly * exp(-a * a)
        // The series erf(x) ≈ 2/√π (x - x³/3 + x⁵/10) is more accurate near zero.
        let a2 = a * a
        let series = a * 1.1283791671 * (1 + a2 * (-0.333333333 + a2 * (0.1 + a2 * -0.0238095238)))
        y.replace(with: series, where: a .< 0.125)
        var out = y
        out.replace(with: -y, where: x .< 0)
        return out
    }
}

/// Visits 0..<count in runs of lanes: whole vectors, then one partial tail, as
/// `body(offset, lanes)`. With `loadLanes`/`storeLanes` it fuses several element-wise passes
/// over the same rows into one.
@_transparent
func forEachLanes(_ count: Int, _ body: (Int, Int) -> Void) {
    var i = 0
    while i + vecWidth <= count {
        body(i, vecWidth)
        i += vecWidth
    }
    if i < count { body(i, count - i) }
}

@_transparent
func loadLanes(_ p: UnsafePointer<Float>, _ lanes: Int) -> Vec {
    if lanes == vecWidth { return UnsafeRawPointer(p).loadUnaligned(as: Vec.self) }
    var v = Vec()
    for j in 0..<lanes { v[j] = p[j] }
    return v
}

@_transparent
func storeLanes(_ v: Vec, _ p: UnsafeMutablePointer<Float>, _ lanes: Int) {
    if lanes == vecWidth {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec.self)
        return
    }
    for j in 0..<lanes { p[j] = v[j] }
}

/// Applies `f` lane-wise to `count` floats; the tail goes through the same vector code so every
/// element gets bit-identical results wherever it sits.
@_transparent
func vectorMap(_ count: Int, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ f: (Vec) -> Vec) {
    var i = 0
    while i + vecWidth <= count {
        let v = UnsafeRawPointer(src + i).loadUnaligned(as: Vec.self)
        UnsafeMutableRawPointer(dst + i).storeBytes(of: f(v), as: Vec.self)
        i += vecWidth
    }
    if i < count {
        var v = Vec()
        for j in 0..<(count - i) { v[j] = src[i + j] }
        let r = f(v)
        for j in 0..<(count - i) { dst[i + j] = r[j] }
    }
}

/// Like `vectorMap` with two inputs.
@_transparent
func vectorMap2(_ count: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                _ f: (Vec, Vec) -> Vec) {
    var i = 0
    while i + vecWidth <= count {
        let va = UnsafeRawPointer(a + i).loadUnaligned(as: Vec.self)
        let vb = UnsafeRawPointer(b + i).loadUnaligned(as: Vec.self)
        UnsafeMutableRawPointer(dst + i).storeBytes(of: f(va, vb), as: Vec.self)
        i += vecWidth
    }
    if i < count {
        var va = Vec(), vb = Vec()
        for j in 0..<(count - i) { va[j] = a[i + j]; vb[j] = b[i + j] }
        let r = f(va, vb)
        for j in 0..<(count - i) { dst[i + j] = r[j] }
    }
}

/// Like `vectorMap` with three inputs.
@_transparent
func vectorMap3(_ count: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                _ dst: UnsafeMutablePointer<Float>, _ f: (Vec, Vec, Vec) -> Vec) {
    var i = 0
    while i + vecWidth <= count {
        let va = UnsafeRawPointer(a + i).loadUnaligned(as: Vec.self)
        let vb = UnsafeRawPointer(b + i).loadUnaligned(as: Vec.self)
        let vc = UnsafeRawPointer(c + i).loadUnaligned(as: Vec.self)
        UnsafeMutableRawPointer(dst + i).storeBytes(of: f(va, vb, vc), as: Vec.self)
        i += vecWidth
    }
    if i < count {
        var va = Vec(), vb = Vec(), vc = Vec()
        for j in 0..<(count - i) { va[j] = a[i + j]; vb[j] = b[i + j]; vc[j] = c[i + j] }
        let r = f(va, vb, vc)
        for j in 0..<(count - i) { dst[i + j] = r[j] }
    }
}

/// Horizontal helpers on contiguous floats.
enum Reduce {
    /// Σ src[0..<count], summed in 16 float lanes (4 accumulators) and added up in double.
    static func sum(_ src: UnsafePointer<Float>, _ count: Int) -> Float {
        var total = 0.0
        var i = 0
        // Float lanes add at most 64 values each before joining the double total, so long sums
        // keep float32 accuracy (as NumPy's pairwise sum does).
        let block = 64 * 4 * vecWidth
        while i + 4 * vecWidth <= count {
            var a0 = Vec(), a1 = Vec(), a2 = Vec(), a3 = Vec()
            let end = min(count, i + block)
            while i + 4 * vecWidth <= end {
                let p = UnsafeRawPointer(src + i)
                a0 += p.loadUnaligned(as: Vec.self)
                a1 += p.loadUnaligned(fromByteOffset: 64, as: Vec.self)
                a2 += p.loadUnaligned(fromByteOffset: 128, as: Vec.self)
                a3 += p.loadUnaligned(fromByteOffset: 192, as: Vec.self)
                i += 4 * vecWidth
            }
            let lanes = (a0 + a1) + (a2 + a3)
            for lane in 0..<vecWidth { total += Double(lanes[lane]) }
        }
        while i < count {
            total += Double(src[i])
            i += 1
        }
        return Float(total)
    }

    /// dst[j] (+)= Σ_i src[i·cols + j]: the bias gradient.
    static func sumRows(_ src: UnsafePointer<Float>, rows: Int, cols: Int, into dst: UnsafeMutablePointer<Float>,
                        accumulate: Bool) {
        if !accumulate { dst.update(repeating: 0, count: cols) }
        if cols < vecWidth && rows * cols >= 4 * vecWidth * cols {
            sumFewColumns(src, rows: rows, cols: cols, into: dst)
            return
        }
        for r in 0..<rows {
            let row = src + r * cols
            vectorMap2(cols, dst, row, dst) { $0 + $1 }
        }
    }

    /// sumRows for fewer than 16 columns: blocks of lcm(cols, 16) values are summed as vectors,
    /// then folded into the columns.
    private static func sumFewColumns(_ src: UnsafePointer<Float>, rows: Int, cols: Int,
                                      into dst: UnsafeMutablePointer<Float>) {
        var block = vecWidth
        while block % cols != 0 { block += vecWidth }
        let vectors = block / vecWidth, count = rows * cols
        var accumulators = [Vec](repeating: Vec(), count: vectors)
        var i = 0
        accumulators.withUnsafeMutableBufferPointer { acc in
            while i + block <= count {
                for v in 0..<vectors { acc[v] += UnsafeRawPointer(src + i + v * vecWidth).loadUnaligned(as: Vec.self) }
                i += block
            }
        }
        for v in 0..<vectors {
            for lane in 0..<vecWidth { dst[(v * vecWidth + lane) % cols] += accumulators[v][lane] }
        }
        while i < count {
            dst[i % cols] += src[i]
            i += 1
        }
    }

    /// Index of the first NaN or ±inf; large arrays are scanned on all cores.
    static func firstNonFinite(_ src: UnsafePointer<Float>, _ count: Int) -> Int? {
        let chunks = max(1, min(Parallelism.threads, count / (1 << 20)))
        if chunks == 1 { return firstNonFiniteSerial(src, count) }
        var found = [Int?](repeating: nil, count: chunks)
        found.withUnsafeMutableBufferPointer { results in
            parallelWorkers(count, workers: chunks) { c, range in
                results[c] = firstNonFiniteSerial(src + range.lowerBound, range.count).map { $0 + range.lowerBound }
            }
        }
        return found.compactMap { $0 }.first
    }

    private static func firstNonFiniteSerial(_ src: UnsafePointer<Float>, _ count: Int) -> Int? {
        var i = 0
        let limit = Vec(repeating: .greatestFiniteMagnitude)
        while i + vecWidth <= count {
            let v = UnsafeRawPointer(src + i).loadUnaligned(as: Vec.self)
            // NaN fails every comparison, so `.<=` is false for NaN and ±inf alike.
            if !all(vabs(v) .<= limit) { break }
            i += vecWidth
        }
        while i < count {
            if !src[i].isFinite { return i }
            i += 1
        }
        return nil
    }
}

/// Index of the first NaN or ±inf among `count` floats, if any.
public func firstNonFinite(_ values: UnsafePointer<Float>, _ count: Int) -> Int? {
    Reduce.firstNonFinite(values, count)
}
