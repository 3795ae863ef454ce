import XCTest
@testable import SwiftNet

/// Checks reverse-mode gradients against central finite differences of Σ R⊙f(inputs), with a
/// fixed random R, for every input and for `parameters` (weights used inside `f`).
struct GradientChecker {
    var step: Float = 1e-2
    var tolerance: Float = 2e-2
    var seed: UInt64 = 7
    /// False to feed inputs as raw data (no gradient), e.g. to reach the sparse-input kernels.
    var inputsRequireGrad = true

    /// Random values in [-1.5, 1.5], avoiding the kinks of relu-like functions near 0.
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var rng = RandomGenerator(seed: seed)
        return (0..<count).map { _ in
            var v = rng.uniform() * 3 - 1.5
            if abs(v) < 0.05 { v += 0.1 }
            return v
        }
    }

    func check(inputs inputValues: [(shape: [Int], values: [Float])], parameters: [Tensor] = [],
               training: Bool = true, file: StaticString = #filePath, line: UInt = #line,
               _ f: ([Tensor]) throws -> Tensor) throws {
        let tape = Tape()
        var values = inputValues.map(\.values)
        func evaluate(recording: Bool) throws -> (Tensor, [Tensor]) {
            tape.reset(recording: recording, training: training)
            let inputs = try inputValues.enumerated().map { i, spec -> Tensor in
                let t = try Tensor(shape: spec.shape, tape: tape, requiresGrad: inputsRequireGrad)
                values[i].withUnsafeBufferPointer { t.data.update(from: $0.baseAddress!, count: t.count) }
                return t
            }
            return (try f(inputs), inputs)
        }
        let (probe, _) = try evaluate(recording: false)
        let weights = GradientChecker.values(probe.count, seed: seed &+ 99)
        func objective() throws -> Double {
            let (out, _) = try evaluate(recording: false)
            return zip(out.values, weights).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        // Analytic gradients.
        for p in parameters { p.clearGradient() }
        let (out, inputs) = try evaluate(recording: true)
        try out.accumulateGradient { g, _ in
            weights.withUnsafeBufferPointer { g.update(from: $0.baseAddress!, count: out.count) }
        }
        try tape.backward()
        let inputGradients = inputs.map { $0.gradientValues ?? Array(repeating: 0, count: $0.count) }
        let parameterGradients = parameters.map { $0.gradientValues ?? Array(repeating: 0, count: $0.count) }

        func compare(_ analytic: Float, _ numeric: Float, _ what: String) {
            let scale = max(1, abs(numeric), abs(analytic))
            XCTAssert(abs(analytic - numeric) <= tolerance * scale,
                      "\(what): analytic \(analytic) vs numeric \(numeric)", file: file, line: line)
        }
        for i in values.indices where inputsRequireGrad {
            for j in values[i].indices {
                let original = values[i][j]
                values[i][j] = original + step
                let plus = try objective()
                values[i][j] = original - step
                let minus = try objective()
                values[i][j] = original
                compare(inputGradients[i][j], Float((plus - minus) / Double(2 * step)), "input \(i)[\(j)]")
            }
        }
        for (k, p) in parameters.enumerated() {
            for j in 0..<p.count {
                let original = p.data[j]
                p.data[j] = original + step
                let plus = try objective()
                p.data[j] = original - step
                let minus = try objective()
                p.data[j] = original
                compare(parameterGradients[k][j], Float((plus - minus) / Double(2 * step)), "parameter \(k)[\(j)]")
            }
        }
    }
}
