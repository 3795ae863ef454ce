/// Products with a small right operand that stays the same over many calls, such as a recurrent
/// kernel multiplied once per time step: the operand is packed once into panels of 64 columns,
/// then each call multiplies blocks of 4 rows held in registers, with no packing per call (which
/// dominates BLAS on such small products).
struct PackedMatrix {
    static let panelWidth = 4 * vecWidth

    let k: Int, n: Int
    private let panels: UnsafeMutablePointer<Float>

    /// Floats of scratch a packed k × n matrix needs.
    static func floats(k: Int, n: Int) -> Int {
        k * ((n + panelWidth - 1) / panelWidth) * panelWidth
    }

    /// Packs B (k × n, rows `ldb` apart), or Bᵀ when `transposed` (B is then n × k, rows `ldb`
    /// apart), into `scratch` (`floats(k:n:)` floats): panel p holds columns 64p..<64p+64 of every
    /// row, zero-padded.
    init(_ b: UnsafePointer<Float>, ldb: Int, k: Int, n: Int, transposed: Bool = false,
         into scratch: UnsafeMutablePointer<Float>) {
        self.k = k
        self.n = n
        panels = scratch
        let width = PackedMatrix.panelWidth
        let panelCount = (n + width - 1) / width
        for p in 0..<panelCount {
            let panel = scratch + p * k * width
            for row in 0..<k {
                let dst = panel + row * width
                for j in 0..<width {
                    let column = p * width + j
                    dst[j] = column < n ? (transposed ? b[column * ldb + row] : b[row * ldb + column]) : 0
                }
            }
        }
    }

    /// C[rows × n] (+)= A[rows × k] · B, rows of A `lda` apart and of C `ldc` apart.
    func multiply(_ a: UnsafePointer<Float>, lda: Int, rows: Int, into c: UnsafeMutablePointer<Float>, ldc: Int,
                  accumulate: Bool = false) {
        let width = PackedMatrix.panelWidth
        let panelCount = (n + width - 1) / width
        var r = 0
        while r + 4 <= rows {
            for p in 0..<panelCount { block4(a + r * lda, lda, p, c + r * ldc, ldc, accumulate) }
            r += 4
        }
        while r < rows {
            for p in 0..<panelCount { block1(a + r * lda, p, c + r * ldc, accumulate) }
            r += 1
        }
    }

    /// Columns of panel `p` that exist in C, per vector of the panel.
    @inline(__always)
    private func lanes(_ p: Int, _ v: Int) -> Int {
        max(0, min(vecWidth, n - p * PackedMatrix.panelWidth - v * vecWidth))
    }

    @inline(__always)
    private func block4(_ a: UnsafePointer<Float>, _ lda: Int, _ p: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
                        _ accumulate: Bool) {
        let width = PackedMatrix.panelWidth
        let panel = panels + p * k * width
        var c00 = Vec(), c01 = Vec(), c02 = Vec(), c03 = Vec()
        var c10 = Vec(), c11 = Vec(), c12 = Vec(), c13 = Vec()
        var c20 = Vec(), c21 = Vec(), c22 = Vec(), c23 = Vec()
        var c30 = Vec(), c31 = Vec(), c32 = Vec(), c33 = Vec()
        let a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda
        for e in 0..<k {
            let row = UnsafeRawPointer(panel + e * width)
            let b0 = row.loadUnaligned(as: Vec.self), b1 = row.loadUnaligned(fromByteOffset: 64, as: Vec.self)
            let b2 = row.loadUnaligned(fromByteOffset: 128, as: Vec.self), b3 = row.loadUnaligned(fromByteOffset: 192, as: Vec.self)
            let x0 = a0[e], x1 = a1[e], x2 = a2[e], x3 = a3[e]
            c00.addProduct(x0, b0); c01.addProduct(x0, b1); c02.addProduct(x0, b2); c03.addProduct(x0, b3)
            c10.addProduct(x1, b0); c11.addProduct(x1, b1); c12.addProduct(x1, b2); c13.addProduct(x1, b3)
            c20.addProduct(x2, b0); c21.addProduct(x2, b1); c22.addProduct(x2, b2); c23.addProduct(x2, b3)
            c30.addProduct(x3, b0); c31.addProduct(x3, b1); c32.addProduct(x3, b2); c33.addProduct(x3, b3)
        }
        let base = p * width
        write(c00, c + base, p, 0, accumulate)
        write(c01, c + base, p, 1, accumulate)
        write(c02, c + base, p, 2, accumulate)
        write(c03, c + base, p, 3, accumulate)
        write(c10, c + ldc + base, p, 0, accumulate)
        write(c11, c + ldc + base, p, 1, accumulate)
        write(c12, c + ldc + base, p, 2, accumulate)
        write(c13, c + ldc + base, p, 3, accumulate)
        write(c20, c + 2 * ldc + base, p, 0, accumulate)
        write(c21, c + 2 * ldc + base, p, 1, accumulate)
        write(c22, c + 2 * ldc + base, p, 2, accumulate)
        write(c23, c + 2 * ldc + base, p, 3, accumulate)
        write(c30, c + 3 * ldc + base, p, 0, accumulate)
        write(c31, c + 3 * ldc + base, p, 1, accumulate)
        write(c32, c + 3 * ldc + base, p, 2, accumulate)
        write(c33, c + 3 * ldc + base, p, 3, accumulate)
    }

    @inline(__always)
    private func block1(_ a: UnsafePointer<Float>, _ p: Int, _ c: UnsafeMutablePointer<Float>, _ accumulate: Bool) {
        let width = PackedMatrix.panelWidth
        let panel = panels + p * k * width
        var c0 = Vec(), c1 = Vec(), c2 = Vec(), c3 = Vec()
        for e in 0..<k {
            let row = UnsafeRawPointer(panel + e * width)
            let x = a[e]
            c0.addProduct(x, row.loadUnaligned(as: Vec.self))
            c1.addProduct(x, row.loadUnaligned(fromByteOffset: 64, as: Vec.self))
            c2.addProduct(x, row.loadUnaligned(fromByteOffset: 128, as: Vec.self))
            c3.addProduct(x, row.loadUnaligned(fromByteOffset: 192, as: Vec.self))
        }
        write(c0, c + p * width, p, 0, accumulate)
        write(c1, c + p * width, p, 1, accumulate)
        write(c2, c + p * width, p, 2, accumulate)
        write(c3, c + p * width, p, 3, accumulate)
    }

    @inline(__always)
    private func write(_ value: Vec, _ dst: UnsafeMutablePointer<Float>, _ p: Int, _ index: Int, _ accumulate: Bool) {
        let count = lanes(p, index)
        guard count > 0 else { return }
        let out = dst + index * vecWidth
        storeLanes(accumulate ? value + loadLanes(out, count) : value, out, count)
    }
}
