import XCTest
@testable import SwiftNet

/// Every op's gradient against finite differences.
final class OpsGradientTests: XCTestCase {
    let checker = GradientChecker()

    func testMatmul() throws {
        let w = try Tensor(variable: [4, 3])
        GradientChecker.values(12, seed: 3).enumerated().forEach { w.data[$0] = $1 }
        try checker.check(inputs: [([5, 4], GradientChecker.values(20, seed: 1))], parameters: [w]) { x in
            try matmul(x[0], w)
        }
    }

    func testMatmulWeightGradientThroughTheSparseInputKernels() throws {
        // Mostly-zero raw data with 32+ outputs takes the sparse path forward and backward.
        var rng = RandomGenerator(seed: 12)
        let x = (0..<6 * 40).map { _ in rng.uniform() < 0.15 ? rng.uniform() : 0 }
        XCTAssertTrue(SparseGemm.isSparse(x, rows: 6, cols: 40))
        let w = try Tensor(variable: [40, 33])
        GradientChecker.values(40 * 33, seed: 14).enumerated().forEach { w.data[$0] = $1 }
        var checker = GradientChecker()
        checker.inputsRequireGrad = false
        try checker.check(inputs: [([6, 40], x)], parameters: [w]) { inputs in try matmul(inputs[0], w) }
    }

    func testMatmulOnRankThreeInput() throws {
        let w = try Tensor(variable: [4, 2])
        GradientChecker.values(8, seed: 5).enumerated().forEach { w.data[$0] = $1 }
        try checker.check(inputs: [([2, 3, 4], GradientChecker.values(24, seed: 2))], parameters: [w]) { x in
            try matmul(x[0], w)
        }
    }

    func testBiasActivationForEveryActivation() throws {
        for activation in Activation.allCases {
            let bias = try Tensor(variable: [5])
            GradientChecker.values(5, seed: 11).enumerated().forEach { bias.data[$0] = $1 * 0.3 }
            try checker.check(inputs: [([3, 5], GradientChecker.values(15, seed: 4))], parameters: [bias]) { x in
                try biasActivation(x[0], bias: bias, activation)
            }
        }
    }

    func testActivationWithoutBias() throws {
        for activation in Activation.allCases {
            try checker.check(inputs: [([4, 6], GradientChecker.values(24, seed: 8))]) { x in
                try applyActivation(x[0], activation)
            }
        }
    }

    func testReshape() throws {
        try checker.check(inputs: [([2, 6], GradientChecker.values(12, seed: 9))]) { x in
            try applyActivation(reshape(x[0], [2, 3, 2]), .tanh)
        }
    }

    func testDropoutUsesTheSameMaskForwardAndBackward() throws {
        // A fixed seed per evaluation keeps the mask constant across finite-difference probes.
        try checker.check(inputs: [([4, 8], GradientChecker.values(32, seed: 10))]) { x in
            var rng = RandomGenerator(seed: 42)
            return try dropout(x[0], rate: 0.4, generator: &rng)
        }
    }

    func testLossesForEveryKindAndLogitsSetting() throws {
        let rows = 4, cols = 3
        for kind in LossOp.Kind.allCases {
            for fromLogits in [false, true] {
                let loss = LossOp(kind, fromLogits: fromLogits)
                var rng = RandomGenerator(seed: 21)
                let target: [Float]
                switch kind {
                case .sparseCategoricalCrossentropy: target = (0..<rows).map { _ in Float(rng.integer(below: cols)) }
                case .categoricalCrossentropy: target = (0..<rows * cols).map { $0 % cols == ($0 / cols) % cols ? 1 : 0 }
                case .binaryCrossentropy: target = (0..<rows * cols).map { _ in rng.uniform() < 0.5 ? 0 : 1 }
                default: target = (0..<rows * cols).map { _ in rng.uniform() }
                }
                let targetShape = kind == .sparseCategoricalCrossentropy ? [rows] : [rows, cols]
                // Probabilities come from a softmax/sigmoid of the inputs, which the fused path must see through.
                let activation: Activation = kind == .binaryCrossentropy ? .sigmoid : (kind == .meanSquaredError || kind == .meanAbsoluteError ? .linear : .softmax)
                try checker.check(inputs: [([rows, cols], GradientChecker.values(rows * cols, seed: 13))]) { x in
                    let prediction = try fromLogits ? x[0] : applyActivation(x[0], activation)
                    return try loss.perSample(target: try Tensor(shape: targetShape, values: target), prediction: prediction,
                                              OpContext(tape: x[0].tape!, training: true, seed: 0))
                }
            }
        }
    }

    func testCrossEntropyOfProbabilitiesWithoutLogitsSource() throws {
        // Probabilities from a sigmoid are not a softmax: the probability path (with its clip) runs.
        let labels = try Tensor(shape: [3], values: [0, 2, 1])
        try checker.check(inputs: [([3, 4], GradientChecker.values(12, seed: 17))]) { x in
            try LossOp(.sparseCategoricalCrossentropy).perSample(target: labels, prediction: try applyActivation(x[0], .sigmoid),
                                                               OpContext(tape: x[0].tape!, training: true, seed: 0))
        }
        let oneHot = try Tensor(shape: [3, 4], values: [0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0.5, 0.5])
        try checker.check(inputs: [([3, 4], GradientChecker.values(12, seed: 18))]) { x in
            try LossOp(.categoricalCrossentropy).perSample(target: oneHot, prediction: try applyActivation(x[0], .sigmoid),
                                                         OpContext(tape: x[0].tape!, training: true, seed: 0))
        }
    }
}
