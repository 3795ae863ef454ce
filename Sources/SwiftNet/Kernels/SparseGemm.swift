/// Matrix products with a mostly-zero left operand, such as a batch of images with a black
/// background: only the non-zero entries are multiplied. Sums run in another order than BLAS,
/// so results agree with it to float rounding.
enum SparseGemm {
    /// Above this fraction of non-zeros the dense BLAS product is faster.
    static let maxDensity: Float = 0.3

    /// Whether `a` (count floats) has few enough non-zeros for the sparse kernels to win.
    static func isSparse(_ a: UnsafePointer<Float>, count: Int) -> Bool {
        var nonZero = SIMD16<Int32>()
        var i = 0
        while i + vecWidth <= count {
            let v = UnsafeRawPointer(a + i).loadUnaligned(as: Vec.self)
            nonZero &-= unsafeBitCast(v .!= 0, to: SIMD16<Int32>.self)  // true lanes are -1
            i += vecWidth
        }
        var total = Int(nonZero.wrappedSum())
        while i < count {
            if a[i] != 0 { total += 1 }
            i += 1
        }
        return Float(total) <= maxDensity * Float(count)
    }

    /// For each byte value, the positions of its set bits (padded to 8): compaction by table.
    private static let bitPositions: [SIMD8<Int32>] = (0..<256).map { byte in
        var lanes = SIMD8<Int32>(repeating: 0)
        var next = 0
        for bit in 0..<8 where byte & (1 << bit) != 0 {
            lanes[next] = Int32(bit)
            next += 1
        }
        return lanes
    }

    /// Bit i set when lane i of `v` is non-zero (a movemask built from portable operations).
    @inline(__always)
    static func nonZeroBits(_ v: Vec) -> Int {
        let bytes = SIMD16<Int8>(truncatingIfNeeded: unsafeBitCast(v .!= 0, to: SIMD16<Int32>.self))
        let halves = unsafeBitCast(bytes, to: SIMD2<UInt64>.self)
        // Gathers the top bit of each of 8 bytes into the top byte.
        let low = ((halves[0] & 0x8080_8080_8080_8080) &* 0x0002_0408_1020_4081) >> 56
        let high = ((halves[1] & 0x8080_8080_8080_8080) &* 0x0002_0408_1020_4081) >> 56
        return Int(low | high << 8)
    }

    /// Collects the non-zeros of `cols` contiguous floats: their positions and values; returns how
    /// many. `index` needs room for `cols + 8` entries (the table writes 8 at a time).
    @inline(__always)
    static func gatherNonZeros(_ row: UnsafePointer<Float>, _ cols: Int, _ index: UnsafeMutablePointer<Int32>,
                               _ value: UnsafeMutablePointer<Float>) -> Int {
        var count = 0
        var c = 0
        bitPositions.withUnsafeBufferPointer { table in
            while c + vecWidth <= cols {
                let bits = nonZeroBits(UnsafeRawPointer(row + c).loadUnaligned(as: Vec.self))
                if bits != 0 {
                    let low = bits & 0xFF, high = bits >> 8
                    UnsafeMutableRawPointer(index + count).storeBytes(of: table[low] &+ Int32(c), as: SIMD8<Int32>.self)
                    count += low.nonzeroBitCount
                    UnsafeMutableRawPointer(index + count).storeBytes(of: table[high] &+ Int32(c + 8), as: SIMD8<Int32>.self)
                    count += high.nonzeroBitCount
                }
                c += vecWidth
            }
        }
        while c < cols {
            index[count] = Int32(c)
            count += row[c] != 0 ? 1 : 0
            c += 1
        }
        for e in 0..<count { value[e] = row[Int(index[e])] }
        return count
    }

    /// Whether a product with `n` output columns gains from skipping zeros (few columns do not
    /// pay for finding them).
    static func worthIt(n: Int) -> Bool { n >= 32 }

    /// out[m × n] = a[m × k] · b[k × n].
    static func multiply(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                         m: Int, n: Int, k: Int) {
        parallelFor(m, minChunk: 256) { range in
            let index = UnsafeMutablePointer<Int32>.allocate(capacity: k + 8)
            let value = UnsafeMutablePointer<Float>.allocate(capacity: k)
            defer { index.deallocate(); value.deallocate() }
            for r in range {
                let count = gatherNonZeros(a + r * k, k, index, value)
                accumulateRows(count, index, value, b, n, into: out + r * n)
            }
        }
    }

    /// out[k × n] (+)= a[m × k]ᵀ · g[m × n], from the columns of `a` (transposed into `scratch`,
    /// k × m floats); each thread owns a range of output rows.
    static func multiplyTransposed(_ a: UnsafePointer<Float>, _ g: UnsafePointer<Float>,
                                   into out: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, accumulate: Bool,
                                   scratch: UnsafeMutablePointer<Float>) {
        transpose(a, rows: m, cols: k, into: scratch)
        parallelFor(k, minChunk: 128) { range in
            let index = UnsafeMutablePointer<Int32>.allocate(capacity: m + 8)
            let value = UnsafeMutablePointer<Float>.allocate(capacity: m)
            defer { index.deallocate(); value.deallocate() }
            for c in range {
                let count = gatherNonZeros(scratch + c * m, m, index, value)
                accumulateRows(count, index, value, g, n, into: out + c * n, accumulate: accumulate)
            }
        }
    }

    /// dst[cols × rows] = srcᵀ, in tiles that stay in cache.
    static func transpose(_ src: UnsafePointer<Float>, rows: Int, cols: Int, into dst: UnsafeMutablePointer<Float>) {
        let tile = 32
        for r0 in stride(from: 0, to: rows, by: tile) {
            for c0 in stride(from: 0, to: cols, by: tile) {
                for r in r0..<min(r0 + tile, rows) {
                    for c in c0..<min(c0 + tile, cols) { dst[c * rows + r] = src[r * cols + c] }
                }
            }
        }
    }
}

/// out[0..<n] (+)= Σ_e value[e] · b[index[e], 0..<n], with column blocks of 128 held in registers.
@inline(__always)
func accumulateRows(_ count: Int, _ index: UnsafePointer<Int32>, _ value: UnsafePointer<Float>,
                    _ b: UnsafePointer<Float>, _ n: Int, into out: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
    @inline(__always) func load(_ p: UnsafePointer<Float>) -> Vec { UnsafeRawPointer(p).loadUnaligned(as: Vec.self) }
    @inline(__always) func store(_ v: Vec, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec.self) }
    var j = 0
    while j + 8 * vecWidth <= n {
        var a0 = Vec(), a1 = Vec(), a2 = Vec(), a3 = Vec(), a4 = Vec(), a5 = Vec(), a6 = Vec(), a7 = Vec()
        if accumulate {
            let src = out + j
            a0 = load(src); a1 = load(src + 16); a2 = load(src + 32); a3 = load(src + 48)
            a4 = load(src + 64); a5 = load(src + 80); a6 = load(src + 96); a7 = load(src + 112)
        }
        for e in 0..<count {
            let v = value[e]
            let row = b + Int(index[e]) * n + j
            a0.addProduct(v, load(row)); a1.addProduct(v, load(row + 16))
            a2.addProduct(v, load(row + 32)); a3.addProduct(v, load(row + 48))
            a4.addProduct(v, load(row + 64)); a5.addProduct(v, load(row + 80))
            a6.addProduct(v, load(row + 96)); a7.addProduct(v, load(row + 112))
        }
        let dst = out + j
        store(a0, dst); store(a1, dst + 16); store(a2, dst + 32); store(a3, dst + 48)
        store(a4, dst + 64); store(a5, dst + 80); store(a6, dst + 96); store(a7, dst + 112)
        j += 8 * vecWidth
    }
    while j + vecWidth <= n {
        var acc = accumulate ? load(out + j) : Vec()
        for e in 0..<count { acc.addProduct(value[e], load(b + Int(index[e]) * n + j)) }
        store(acc, out + j)
        j += vecWidth
    }
    while j < n {
        var acc: Float = accumulate ? out[j] : 0
        for e in 0..<count { acc += value[e] * b[Int(index[e]) * n + j] }
        out[j] = acc
        j += 1
    }
}
