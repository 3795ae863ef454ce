import XCTest
@testable import SwiftNet

/// Models from specs, compile settings, and sessions (fit, evaluate, predict) in the engine alone.
final class ModelTests: XCTestCase {
    let mlpSpec = #"""
    {"name": "mlp", "seed": 3, "layers": [
      {"class_name": "InputLayer", "name": "in", "config": {"shape": [2]}},
      {"class_name": "Dense", "name": "hidden", "config": {"units": 16, "activation": "tanh"}, "inbound": [0]},
      {"class_name": "Dense", "name": "out", "config": {"units": 2, "activation": "softmax"}, "inbound": [1]}]}
    """#

    func xorData() -> (x: [Float], y: [Float]) {
        var x: [Float] = [], y: [Float] = []
        for i in 0..<64 {
            let a = Float(i & 1), b = Float((i >> 1) & 1)
            x += [a, b]
            y.append(a == b ? 0 : 1)
        }
        return (x, y)
    }

    func testTrainingLearnsXorAndLogsAreEpochAverages() throws {
        let model = try Model(spec: JSON.parse(mlpSpec))
        try model.compile(JSON.parse(#"{"optimizer": {"class_name": "Adam", "config": {"learning_rate": 0.05}}, "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]}"#))
        let (x, y) = xorData()
        try x.withUnsafeBufferPointer { xp in
            try y.withUnsafeBufferPointer { yp in
                let data = try dataset(x: xp.baseAddress!, shape: [64, 2], y: yp.baseAddress!, targetShape: [64])
                let fit = try Session(model: model, mode: .train, data: data, batchSize: 8, seed: 1)
                XCTAssertEqual(fit.stepsPerEpoch, 8)
                for epoch in 0..<60 {
                    fit.beginEpoch(epoch)
                    while try !fit.run(maxSteps: 3) {}
                }
                let evaluation = try Session(model: model, mode: .evaluate, data: data, batchSize: 64)
                evaluation.beginEpoch(0)
                try evaluation.run()
                XCTAssertEqual(evaluation.logs.map(\.name), ["loss", "accuracy"])
                XCTAssertEqual(evaluation.logs[1].value, 1.0)
                XCTAssertLessThan(evaluation.logs[0].value, 0.1)
                XCTAssertEqual(model.optimizer!.iterations, 480)
            }
        }
    }

    func testPredictDoesNotDependOnBatchSize() throws {
        let model = try Model(spec: JSON.parse(mlpSpec))
        let (x, _) = xorData()
        var outputs: [[Float]] = []
        for batch in [1, 7, 64, 1000] {
            var out = [Float](repeating: .nan, count: 128)
            try x.withUnsafeBufferPointer { xp in
                try out.withUnsafeMutableBufferPointer { op in
                    let session = try Session(model: model, mode: .predict, data: dataset(x: xp.baseAddress!, shape: [64, 2]),
                                              batchSize: batch)
                    try session.setOutput(op.baseAddress!, count: op.count)
                    session.beginEpoch(0)
                    try session.run()
                }
            }
            outputs.append(out)
        }
        for out in outputs.dropFirst() {
            for (a, b) in zip(out, outputs[0]) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        }
    }

    func testSpecAndCompileErrors() throws {
        let bad: [(String, String)] = [
            (#"{"layers": []}"#, "no layers"),
            (#"{"layers": [{"class_name": "Dense", "name": "d", "config": {"units": 2}, "inbound": [0]}]}"#, "unknown or later"),
            (#"{"layers": [{"class_name": "InputLayer", "name": "a", "config": {"shape": [2]}}, {"class_name": "Dense", "name": "a", "config": {"units": 2}, "inbound": [0]}]}"#, "unique"),
            (#"{"layers": [{"class_name": "InputLayer", "name": "a", "config": {"shape": [2]}}, {"class_name": "Dense", "name": "b", "config": {"units": 2}}]}"#, "expects 1 input"),
            (#"[1, 2"#, "Invalid JSON"),
        ]
        for (spec, message) in bad {
            XCTAssertThrowsError(try Model(spec: JSON.parse(spec))) { XCTAssertTrue("\($0)".contains(message), "\($0)") }
        }
        let model = try Model(spec: JSON.parse(mlpSpec))
        XCTAssertThrowsError(try model.compile(JSON.parse(#"{"loss": "hinge"}"#))) { XCTAssertTrue("\($0)".contains("Unknown loss")) }
        XCTAssertThrowsError(try model.compile(JSON.parse(#"{"loss": "mse", "optimizer": {"class_name": "SGD", "config": {"momentum": 2}}}"#)))
        XCTAssertThrowsError(try model.compile(JSON.parse(#"{"loss": "mse", "metrics": ["mse", "mse"]}"#)))
        XCTAssertNil(model.loss)  // failed compiles change nothing
        let (x, y) = xorData()
        try x.withUnsafeBufferPointer { xp in
            try y.withUnsafeBufferPointer { yp in
                let data = try dataset(x: xp.baseAddress!, shape: [64, 2], y: yp.baseAddress!, targetShape: [64])
                XCTAssertThrowsError(try Session(model: model, mode: .train, data: data, batchSize: 8)) { error in
                    XCTAssertEqual((error as? SwiftNetError)?.kind, .invalidState)
                }
            }
        }
    }

    func testJSONRoundTrip() throws {
        let text = #"{"a": [1, 2.5, -3e2, true, null], "b": "x\"y\n\u00e9", "c": {}}"#
        let value = try JSON.parse(text)
        XCTAssertEqual(try JSON.parse(value.serialized), value)
        XCTAssertEqual(value["b"], .string("x\"y\né"))
        XCTAssertThrowsError(try JSON.parse(#"{"a": }"#))
        XCTAssertThrowsError(try JSON.parse(String(repeating: "[", count: 100) + String(repeating: "]", count: 100)))
    }
}

/// A dataset over float arrays the caller keeps alive.
func dataset(x: UnsafePointer<Float>, shape: [Int], y: UnsafePointer<Float>? = nil, targetShape: [Int] = []) throws -> Dataset {
    let data = Dataset()
    try data.add("x", ArrayView(dtype: .float32, shape: shape, data: UnsafeRawPointer(x)))
    if let y { try data.add("y", ArrayView(dtype: .float32, shape: targetShape, data: UnsafeRawPointer(y))) }
    return data
}
