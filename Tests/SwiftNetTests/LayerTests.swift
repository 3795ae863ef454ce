import XCTest
@testable import SwiftNet

/// Every layer through one harness: config validation, output shapes, weight shapes and order,
/// and gradients (inputs and weights) against finite differences.
final class LayerTests: XCTestCase {
    func make(_ className: String, _ config: String, input: [Int], seed: UInt64 = 1) throws -> Layer {
        let layer = try LayerRegistry.make(className: className, name: className.lowercased(), config: JSON.parse(config))
        _ = try layer.build(inputShapes: [input], seed: seed)
        return layer
    }

    func checkLayer(_ className: String, _ config: String, input: [Int], expectedOutput: [Int],
                    weights: [(String, [Int])] = [], training: Bool = true, file: StaticString = #filePath,
                    line: UInt = #line) throws {
        let layer = try make(className, config, input: input)
        XCTAssertEqual(try layer.outputShape(for: [input]), expectedOutput, file: file, line: line)
        XCTAssertEqual(layer.weights.map(\.name), weights.map(\.0), file: file, line: line)
        XCTAssertEqual(layer.weights.map(\.tensor.shape), weights.map(\.1), file: file, line: line)
        let batch = 3
        let count = batch * input.reduce(1, *)
        try GradientChecker().check(inputs: [([batch] + input, GradientChecker.values(count, seed: 2))],
                                    parameters: layer.weights.filter(\.trainable).map(\.tensor), training: training,
                                    file: file, line: line) { x in
            let y = try layer.call(x, context: CallContext(training: training))
            XCTAssertEqual(y.shape, [batch] + expectedOutput, file: file, line: line)
            return y
        }
    }

    func testDense() throws {
        try checkLayer("Dense", #"{"units": 4, "activation": "tanh"}"#, input: [5], expectedOutput: [4],
                       weights: [("kernel", [5, 4]), ("bias", [4])])
        try checkLayer("Dense", #"{"units": 2, "use_bias": false}"#, input: [3, 5], expectedOutput: [3, 2],
                       weights: [("kernel", [5, 2])])
        for activation in Activation.allCases {
            try checkLayer("Dense", #"{"units": 3, "activation": "\#(activation.rawValue)", "bias_initializer": "ones"}"#,
                           input: [4], expectedOutput: [3], weights: [("kernel", [4, 3]), ("bias", [3])])
        }
    }

    func testActivationFlattenReshapeDropout() throws {
        try checkLayer("Activation", #"{"activation": "softmax"}"#, input: [6], expectedOutput: [6])
        try checkLayer("Flatten", "{}", input: [2, 3, 2], expectedOutput: [12])
        try checkLayer("Reshape", #"{"target_shape": [3, -1]}"#, input: [6], expectedOutput: [3, 2])
        // Dropout is the identity at inference; in training its random mask changes per call.
        try checkLayer("Dropout", #"{"rate": 0.5}"#, input: [8], expectedOutput: [8], training: false)
    }

    func testDropoutScalesKeptValuesAndDropsAboutRate() throws {
        let layer = try make("Dropout", #"{"rate": 0.25, "seed": 3}"#, input: [1000])
        let tape = Tape()
        tape.reset(recording: false, training: true)
        let x = try tape.input(shape: [4, 1000])
        x.data.update(repeating: 1, count: x.count)
        let y = try layer.call([x], context: CallContext(training: true)).values
        let kept = y.filter { $0 != 0 }
        XCTAssertTrue(kept.allSatisfy { abs($0 - 1 / 0.75) < 1e-6 })
        XCTAssertEqual(Double(kept.count) / 4000, 0.75, accuracy: 0.03)
    }

    func testInvalidConfigsAreErrorsNamingTheLayer() {
        let cases: [(String, String, String)] = [
            ("Dense", #"{"units": 0}"#, "[Dense] Expected a positive integer. Received: units=0"),
            ("Dense", #"{"units": "4"}"#, "Expected a number"),
            ("Dense", #"{"units": 4, "activation": "nope"}"#, "Unknown activation: 'nope'"),
            ("Dense", #"{"units": 4, "kernel_initializer": "magic"}"#, "Unknown initializer: 'magic'"),
            ("Dropout", #"{"rate": 1}"#, "Expected a float value between 0 and 1"),
            ("Reshape", #"{"target_shape": [-1, -1]}"#, "at most one -1"),
            ("Flatten", #"{"data_format": "channels_first"}"#, "channels_last"),
            ("Conv9D", "{}", "Unknown layer class: 'Conv9D'"),
        ]
        for (className, config, message) in cases {
            XCTAssertThrowsError(try make(className, config, input: [4])) { error in
                XCTAssertTrue("\(error)".contains(message), "\(className): \(error)")
            }
        }
        XCTAssertThrowsError(try make("Reshape", #"{"target_shape": [5]}"#, input: [4]))
        XCTAssertThrowsError(try make("Dense", #"{"units": 4503599627370496}"#, input: [4])) { error in
            XCTAssertTrue("\(error)".contains("more than"), "\(error)")
        }
    }

    func testGlorotUniformHasKerasLimitAndSeedsAreReproducible() throws {
        let a = try make("Dense", #"{"units": 50}"#, input: [200], seed: 5).weights[0].tensor.values
        let b = try make("Dense", #"{"units": 50}"#, input: [200], seed: 5).weights[0].tensor.values
        let c = try make("Dense", #"{"units": 50}"#, input: [200], seed: 6).weights[0].tensor.values
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        let limit = Float((6.0 / 250.0).squareRoot())
        XCTAssertLessThanOrEqual(a.map(abs).max()!, limit)
        XCTAssertGreaterThan(a.map(abs).max()!, 0.98 * limit)
    }
}
