/// Matrix products with a mostly-zero left operand, such as a batch of images with a black
/// background: only the non-zero entries are multiplied. Sums run in another order than BLAS,
/// so results agree with it to float rounding.
enum SparseGemm {
    /// Above this fraction of non-zeros the dense BLAS product is faster.
    static let maxDensity: Float = 0.3

    /// Whether `a` (rows × cols) has few enough non-zeros for the sparse kernels to win, judged on
    /// at most 64 evenly spaced rows (a wrong guess costs time, never accuracy).
    static func isSparse(_ a: UnsafePointer<Float>, rows: Int, cols: Int) -> Bool {
        let step = max(1, rows / 64)
        var nonZero = 0, seen = 0
        for r in stride(from: 0, to: rows, by: step) {
            nonZero += countNonZeros(a + r * cols, cols)
            seen += cols
        }
        return Float(nonZero) <= maxDensity * Float(max(seen, 1))
    }

    private static func countNonZeros(_ a: UnsafePointer<Float>, _ count: Int) -> Int {
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
        return total
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
    ///
    /// Rows are taken in tiles; for each tile, `b` is walked in blocks of rows small enough to stay
    /// in L1 cache while every row of the tile adds its non-zeros from that block.
    static func multiply(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                         m: Int, n: Int, k: Int) {
        // Small batches (training) are faster row by row: `b` is reused too little to pay for tiling.
        if m < 256 { return multiplyByRows(a, b, into: out, m: m, n: n, k: k) }
        let tileRows = 32
        let blockRows = max(1, (24 * 1024 / 4) / max(n, 1))
        parallelFor(m, minChunk: 256) { range in
            let stride = k + 8
            let index = UnsafeMutablePointer<Int32>.allocate(capacity: tileRows * stride)
            let value = UnsafeMutablePointer<Float>.allocate(capacity: tileRows * stride)
            var counts = [Int](repeating: 0, count: tileRows), cursors = [Int](repeating: 0, count: tileRows)
            defer { index.deallocate(); value.deallocate() }
            for tileStart in Swift.stride(from: range.lowerBound, to: range.upperBound, by: tileRows) {
                let rows = min(tileRows, range.upperBound - tileStart)
                for t in 0..<rows {
                    counts[t] = gatherNonZeros(a + (tileStart + t) * k, k, index + t * stride, value + t * stride)
                    cursors[t] = 0
                }
                (out + tileStart * n).update(repeating: 0, count: rows * n)
                for blockStart in Swift.stride(from: 0, to: k, by: blockRows) {
                    let blockEnd = Int32(min(k, blockStart + blockRows))
                    for t in 0..<rows {
                        let rowIndex = index + t * stride
                        let first = cursors[t]
                        var last = first
                        while last < counts[t] && rowIndex[last] < blockEnd { last += 1 }
                        if last > first {
                            accumulateRows(last - first, rowIndex + first, value + t * stride + first, b, n,
                                           into: out + (tileStart + t) * n, accumulate: true)
                            cursors[t] = last
                        }
                    }
                }
            }
        }
    }

    /// out[m × n] = a[m × k] · b[k × n], two rows at a time: two independent chains keep more
    /// loads of `b` in flight. Threads take whole pairs of rows, so every row is summed in the
    /// same order whatever the thread count.
    static func multiplyByRows(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                               m: Int, n: Int, k: Int) {
        parallelFor((m + 1) / 2, minChunk: 8) { pairs in
            let first = 2 * pairs.lowerBound, rows = min(m, 2 * pairs.upperBound) - first
            multiplyRowRange(a + first * k, b, into: out + first * n, m: rows, n: n, k: k)
        }
    }

    private static func multiplyRowRange(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                                         m: Int, n: Int, k: Int) {
        let index = UnsafeMutablePointer<Int32>.allocate(capacity: 2 * (k + 8))
        let value = UnsafeMutablePointer<Float>.allocate(capacity: 2 * (k + 8))
        defer { index.deallocate(); value.deallocate() }
        let index2 = index + k + 8, value2 = value + k + 8
        var r = 0
        while r + 1 < m {
            let count = gatherNonZeros(a + r * k, k, index, value)
            let count2 = gatherNonZeros(a + (r + 1) * k, k, index2, value2)
            accumulateTwoRows(count, index, value, count2, index2, value2, b, n, into: out + r * n, and: out + (r + 1) * n)
            r += 2
        }
        if r < m {
            let count = gatherNonZeros(a + r * k, k, index, value)
            accumulateRows(count, index, value, b, n, into: out + r * n)
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
                    _ b: UnsafePointer<Float>, _ stride: Int, into out: UnsafeMutablePointer<Float>,
                    columns: Int? = nil, accumulate: Bool = false) {
    let n = columns ?? stride
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
            let row = b + Int(index[e]) * stride + j
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
        for e in 0..<count { acc.addProduct(value[e], load(b + Int(index[e]) * stride + j)) }
        store(acc, out + j)
        j += vecWidth
    }
    while j < n {
        var acc: Float = accumulate ? out[j] : 0
        for e in 0..<count { acc += value[e] * b[Int(index[e]) * stride + j] }
        out[j] = acc
        j += 1
    }
}

/// Two rows of `accumulateRows` at once (no accumulation), interleaved for memory parallelism.
@inline(__always)
func accumulateTwoRows(_ count: Int, _ index: UnsafePointer<Int32>, _ value: UnsafePointer<Float>,
                       _ count2: Int, _ index2: UnsafePointer<Int32>, _ value2: UnsafePointer<Float>,
                       _ b: UnsafePointer<Float>, _ n: Int,
                       into out: UnsafeMutablePointer<Float>, and out2: UnsafeMutablePointer<Float>) {
    @inline(__always) func load(_ p: UnsafePointer<Float>) -> Vec { UnsafeRawPointer(p).loadUnaligned(as: Vec.self) }
    @inline(__always) func store(_ v: Vec, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec.self) }
    var j = 0
    while j + 8 * vecWidth <= n {
        var a0 = Vec(), a1 = Vec(), a2 = Vec(), a3 = Vec(), a4 = Vec(), a5 = Vec(), a6 = Vec(), a7 = Vec()
        var c0 = Vec(), c1 = Vec(), c2 = Vec(), c3 = Vec(), c4 = Vec(), c5 = Vec(), c6 = Vec(), c7 = Vec()
        let common = min(count, count2)
        for e in 0..<common {
            let v = value[e], w = value2[e]
            let row = b + Int(index[e]) * n + j, row2 = b + Int(index2[e]) * n + j
            a0.addProduct(v, load(row)); c0.addProduct(w, load(row2))
            a1.addProduct(v, load(row + 16)); c1.addProduct(w, load(row2 + 16))
            a2.addProduct(v, load(row + 32)); c2.addProduct(w, load(row2 + 32))
            a3.addProduct(v, load(row + 48)); c3.addProduct(w, load(row2 + 48))
            a4.addProduct(v, load(row + 64)); c4.addProduct(w, load(row2 + 64))
            a5.addProduct(v, load(row + 80)); c5.addProduct(w, load(row2 + 80))
            a6.addProduct(v, load(row + 96)); c6.addProduct(w, load(row2 + 96))
            a7.addProduct(v, load(row + 112)); c7.addProduct(w, load(row2 + 112))
        }
        for e in common..<count {
            let v = value[e], row = b + Int(index[e]) * n + j
            a0.addProduct(v, load(row)); a1.addProduct(v, load(row + 16))
            a2.addProduct(v, load(row + 32)); a3.addProduct(v, load(row + 48))
            a4.addProduct(v, load(row + 64)); a5.addProduct(v, load(row + 80))
            a6.addProduct(v, load(row + 96)); a7.addProduct(v, load(row + 112))
        }
        for e in common..<count2 {
            let w = value2[e], row2 = b + Int(index2[e]) * n + j
            c0.addProduct(w, load(row2)); c1.addProduct(w, load(row2 + 16))
            c2.addProduct(w, load(row2 + 32)); c3.addProduct(w, load(row2 + 48))
            c4.addProduct(w, load(row2 + 64)); c5.addProduct(w, load(row2 + 80))
            c6.addProduct(w, load(row2 + 96)); c7.addProduct(w, load(row2 + 112))
        }
        let dst = out + j, dst2 = out2 + j
        store(a0, dst); store(a1, dst + 16); store(a2, dst + 32); store(a3, dst + 48)
        store(a4, dst + 64); store(a5, dst + 80); store(a6, dst + 96); store(a7, dst + 112)
        store(c0, dst2); store(c1, dst2 + 16); store(c2, dst2 + 32); store(c3, dst2 + 48)
        store(c4, dst2 + 64); store(c5, dst2 + 80); store(c6, dst2 + 96); store(c7, dst2 + 112)
        j += 8 * vecWidth
    }
    if j < n {
        // Narrow tails go one row at a time.
        accumulateRows(count, index, value, b + j, n, into: out + j, columns: n - j)
        accumulateRows(count2, index2, value2, b + j, n, into: out2 + j, columns: n - j)
    }
}
