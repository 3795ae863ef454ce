import Dispatch
import XCTest
@testable import SwiftNet

/// Kernels against naive double-precision references.
final class KernelTests: XCTestCase {
    func randomMatrix(_ rows: Int, _ cols: Int, density: Float, seed: UInt64) -> [Float] {
        var rng = RandomGenerator(seed: seed)
        return (0..<rows * cols).map { _ in rng.uniform() < density ? rng.uniform() * 2 - 1 : 0 }
    }

    func naiveProduct(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, transposeA: Bool = false) -> [Double] {
        var out = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for p in 0..<k {
                let av = Double(transposeA ? a[p * m + i] : a[i * k + p])
                if av == 0 { continue }
                for j in 0..<n { out[i * n + j] += av * Double(b[p * n + j]) }
            }
        }
        return out
    }

    func assertClose(_ actual: [Float], _ expected: [Double], tolerance: Double = 1e-4, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        let worst = zip(actual, expected).map { abs(Double($0) - $1) / max(1, abs($1)) }.max() ?? 0
        XCTAssertLessThan(worst, tolerance, file: file, line: line)
    }

    func testSparseProductMatchesNaiveForAwkwardWidths() {
        for (m, n, k) in [(1, 128, 784), (7, 130, 50), (64, 200, 33), (5, 17, 16), (3, 256, 100), (513, 40, 70)] {
            let a = randomMatrix(m, k, density: 0.2, seed: UInt64(m * n))
            let b = randomMatrix(k, n, density: 1, seed: UInt64(k))
            var out = [Float](repeating: .nan, count: m * n)
            SparseGemm.multiply(a, b, into: &out, m: m, n: n, k: k)
            assertClose(out, naiveProduct(a, b, m: m, n: n, k: k))
        }
    }

    func testSparseTransposedProductWritesAndAccumulates() {
        for (m, n, k) in [(64, 128, 784), (9, 33, 20), (1, 10, 5)] {
            let a = randomMatrix(m, k, density: 0.25, seed: 3)
            let g = randomMatrix(m, n, density: 1, seed: 4)
            let expected = naiveProduct(a.transposedCopy(rows: m, cols: k), g, m: k, n: n, k: m)
            var out = [Float](repeating: .nan, count: k * n)
            var scratch = [Float](repeating: 0, count: m * k)
            SparseGemm.multiplyTransposed(a, g, into: &out, m: m, n: n, k: k, accumulate: false, scratch: &scratch)
            assertClose(out, expected)
            SparseGemm.multiplyTransposed(a, g, into: &out, m: m, n: n, k: k, accumulate: true, scratch: &scratch)
            assertClose(out, expected.map { 2 * $0 })
        }
    }

    func testColumnSumsForFewAndManyColumns() {
        for (rows, cols) in [(200, 6), (100, 1), (70, 15), (40, 33), (3, 5)] {
            let a = randomMatrix(rows, cols, density: 1, seed: 31)
            var out = [Float](repeating: 1, count: cols)
            Reduce.sumRows(a, rows: rows, cols: cols, into: &out, accumulate: true)
            for c in 0..<cols {
                let expected = 1 + (0..<rows).reduce(0.0) { $0 + Double(a[$1 * cols + c]) }
                XCTAssertEqual(Double(out[c]), expected, accuracy: 1e-3)
            }
        }
    }

    func testGatherFindsExactlyTheNonZeros() {
        let row: [Float] = (0..<45).map { $0 % 3 == 0 ? 0 : Float($0) } + [0, -0.0, 1e-30]
        var index = [Int32](repeating: -1, count: row.count + 8)
        var value = [Float](repeating: 0, count: row.count + 8)
        let count = SparseGemm.gatherNonZeros(row, row.count, &index, &value)
        let expected = row.indices.filter { row[$0] != 0 }
        XCTAssertEqual(count, expected.count)
        XCTAssertEqual(Array(index[0..<count]).map(Int.init), expected)
        XCTAssertEqual(Array(value[0..<count]), expected.map { row[$0] })
    }

    func testDensityDecision() {
        XCTAssertTrue(SparseGemm.isSparse(randomMatrix(100, 784, density: 0.1, seed: 1), rows: 100, cols: 784))
        XCTAssertFalse(SparseGemm.isSparse(randomMatrix(100, 784, density: 0.9, seed: 1), rows: 100, cols: 784))
    }

    func testBlasProductAndTransposes() {
        let (m, n, k) = (6, 5, 4)
        let a = randomMatrix(m, k, density: 1, seed: 8), b = randomMatrix(k, n, density: 1, seed: 9)
        var out = [Float](repeating: 0, count: m * n)
        Gemm.multiply(a, b, into: &out, m: m, n: n, k: k)
        assertClose(out, naiveProduct(a, b, m: m, n: n, k: k), tolerance: 1e-5)
        let at = a.transposedCopy(rows: m, cols: k)
        Gemm.multiply(at, transposeA: true, b, into: &out, m: m, n: n, k: k)
        assertClose(out, naiveProduct(a, b, m: m, n: n, k: k), tolerance: 1e-5)
    }

    func testVectorMathAgainstLibm() {
        var rng = RandomGenerator(seed: 5)
        let inputs = (0..<4096).map { _ in (rng.uniform() * 2 - 1) * 30 } + [0, -0.0, 1e-8, -1e-8, 88, -87, -100, 100]
        var worst: [String: Double] = [:]
        func check(_ name: String, _ f: (Vec) -> Vec, _ reference: (Double) -> Double) {
            var out = [Float](repeating: 0, count: inputs.count)
            vectorMap(inputs.count, inputs, &out) { f($0) }
            for (x, y) in zip(inputs, out) {
                let r = reference(Double(x))
                let error = abs(Double(y) - r) / max(abs(r), 1e-30)
                if Float(r).isFinite, abs(r) > 1e-30 { worst[name] = max(worst[name] ?? 0, error) }
            }
        }
        check("exp", VectorMath.exp, { Foundation_exp($0) })
        check("sigmoid", VectorMath.sigmoid, { 1 / (1 + Foundation_exp(-$0)) })
        check("tanh", VectorMath.tanh, { Foundation_tanh($0) })
        check("erf", VectorMath.erf, { Foundation_erf($0) })
        check("softplus", VectorMath.softplus, { max($0, 0) + Foundation_log1p(Foundation_exp(-abs($0))) })
        for (name, error) in worst { XCTAssertLessThan(error, 3e-6, name) }
    }

    func testRandomGeneratorIsReproducibleAndUniform() {
        var a = RandomGenerator(seed: 9), b = RandomGenerator(seed: 9)
        let xs = (0..<10000).map { _ in a.uniform() }
        XCTAssertEqual(xs, (0..<10000).map { _ in b.uniform() })
        let mean = xs.reduce(0, +) / Float(xs.count)
        XCTAssertEqual(mean, 0.5, accuracy: 0.01)
        var n = RandomGenerator(seed: 3)
        let normals = (0..<20000).map { _ in Double(n.normal()) }
        let m = normals.reduce(0, +) / Double(normals.count)
        let variance = normals.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(normals.count)
        XCTAssertEqual(m, 0, accuracy: 0.03)
        XCTAssertEqual(variance, 1, accuracy: 0.03)
        XCTAssertTrue((0..<1000).allSatisfy { _ in abs(n.truncatedNormal()) <= 2 })
    }

    func testFirstNonFiniteFindsTheFirstInLargeArrays() {
        var values = [Float](repeating: 1, count: 3_000_001)
        XCTAssertNil(Reduce.firstNonFinite(values, values.count))
        values[2_500_000] = .infinity
        values[2_999_999] = .nan
        XCTAssertEqual(Reduce.firstNonFinite(values, values.count), 2_500_000)
        values[17] = -.infinity
        XCTAssertEqual(Reduce.firstNonFinite(values, values.count), 17)
    }
}

extension Array where Element == Float {
    func transposedCopy(rows: Int, cols: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        for r in 0..<rows { for c in 0..<cols { out[c * rows + r] = self[r * cols + c] } }
        return out
    }
}

#if canImport(Glibc)
import Glibc
#endif
func Foundation_exp(_ x: Double) -> Double { exp(x) }
func Foundation_tanh(_ x: Double) -> Double { tanh(x) }
func Foundation_erf(_ x: Double) -> Double { erf(x) }
func Foundation_log1p(_ x: Double) -> Double { log1p(x) }
