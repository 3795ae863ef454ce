import XCTest
@testable import SwiftNet

/// Models from specs, compile settings, and sessions (fit, evaluate, predict) in the engine alone.
final class ModelTests: XCTestCase {
    let mlpSpec = #"""
    {"name": "mlp", "seed": 3, "inputs": [{"name": "in", "shape": [null, 2]}],
     "layers": [{"class_name": "Dense", "name": "hidden", "config": {"units": 16, "activation": "tanh"}},
                {"class_name": "Dense", "name": "out", "config": {"units": 2, "activation": "softmax"}}],
     "graph": {"nodes": [{"input": 0}, {"layer": 0, "inputs": [[0, 0]]}, {"layer": 1, "inputs": [[1, 0]]}],
               "outputs": [[2, 0]]}}
    """#

    /// Sparse cross-entropy and an accuracy metric whose state the loss graph updates.
    let objective = #"""
    {"graph": {"nodes": [
        {"target": 0}, {"output": 0},
        {"op": "loss", "attrs": {"kind": "sparse_categorical_crossentropy"}, "inputs": [[0, 0], [1, 0]]},
        {"op": "mean", "inputs": [[2, 0]]},
        {"op": "argmax", "attrs": {"axis": -1}, "inputs": [[1, 0]]},
        {"op": "cast", "attrs": {"dtype": "int32"}, "inputs": [[0, 0]]},
        {"op": "equal", "inputs": [[4, 0], [5, 0]]},
        {"op": "cast", "attrs": {"dtype": "float32"}, "inputs": [[6, 0]]},
        {"state": 0}, {"op": "sum", "inputs": [[7, 0]]}, {"op": "add", "inputs": [[8, 0], [9, 0]]}, {"update": 0, "inputs": [[10, 0]]},
        {"state": 1}, {"op": "ones_like", "inputs": [[7, 0]]}, {"op": "sum", "inputs": [[13, 0]]},
        {"op": "add", "inputs": [[12, 0], [14, 0]]}, {"update": 1, "inputs": [[15, 0]]}],
      "outputs": [[3, 0]]},
     "loss_names": ["loss"],
     "states": [{"name": "total", "shape": []}, {"name": "count", "shape": []}],
     "results": {"nodes": [{"state": 0}, {"state": 1}, {"op": "divide", "inputs": [[0, 0], [1, 0]]}], "outputs": [[2, 0]]},
     "result_names": ["accuracy"]}
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
        try model.compile(JSON.parse(#"{"optimizer": {"class_name": "Adam", "config": {"learning_rate": 0.05}}}"#))
        let (x, y) = xorData()
        try x.withUnsafeBufferPointer { xp in
            try y.withUnsafeBufferPointer { yp in
                let data = try dataset(x: xp.baseAddress!, shape: [64, 2], y: yp.baseAddress!, targetShape: [64])
                let fit = try Session(model: model, mode: .train, data: data, objective: JSON.parse(objective), batchSize: 8, seed: 1)
                XCTAssertEqual(fit.stepsPerEpoch, 8)
                for epoch in 0..<60 {
                    fit.beginEpoch(epoch)
                    while try !fit.run(maxSteps: 3) {}
                }
                let evaluation = try Session(model: model, mode: .evaluate, data: data, objective: JSON.parse(objective), batchSize: 64)
                evaluation.beginEpoch(0)
                try evaluation.run()
                let logs = try evaluation.logs()
                XCTAssertEqual(logs.map(\.name), ["loss", "accuracy"])
                XCTAssertEqual(logs[1].value, 1.0)
                XCTAssertLessThan(logs[0].value, 0.1)
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
                    try session.setOutput(0, op.baseAddress!, count: op.count)
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
            (#"{"inputs": [], "graph": {"nodes": []}}"#, "no inputs"),
            (#"{"inputs": [{"shape": [null, 2]}], "layers": [{"class_name": "Dense", "name": "d", "config": {"units": 2}}], "graph": {"nodes": [{"layer": 0, "inputs": [[0, 0]]}], "outputs": [[0, 0]]}}"#, "earlier nodes"),
            (#"{"inputs": [{"shape": [null, 2]}], "layers": [{"class_name": "Dense", "name": "a", "config": {"units": 2}}, {"class_name": "Dense", "name": "a", "config": {"units": 2}}], "graph": {"nodes": []}}"#, "unique"),
            (#"{"inputs": [{"shape": [null, 2]}], "graph": {"nodes": [{"input": 0}, {"op": "nope", "inputs": [[0, 0]]}], "outputs": [[1, 0]]}}"#, "Unknown op"),
            (#"{"inputs": [{"shape": [null, 2]}], "graph": {"nodes": [{"input": 0}, {"op": "add", "inputs": [[0, 0]]}], "outputs": [[1, 0]]}}"#, "Expected 2 inputs"),
            (#"{"inputs": [{"shape": [null, 2]}], "graph": {"nodes": [{"input": 3}], "outputs": [[0, 0]]}}"#, "names input 3"),
            (#"[1, 2"#, "Invalid JSON"),
        ]
        for (spec, message) in bad {
            XCTAssertThrowsError(try Model(spec: JSON.parse(spec))) { XCTAssertTrue("\($0)".contains(message), "\($0)") }
        }
        let model = try Model(spec: JSON.parse(mlpSpec))
        XCTAssertThrowsError(try model.compile(JSON.parse(#"{"optimizer": {"class_name": "SGD", "config": {"momentum": 2}}}"#)))
        XCTAssertNil(model.optimizer)  // failed compiles change nothing
        let (x, y) = xorData()
        try x.withUnsafeBufferPointer { xp in
            try y.withUnsafeBufferPointer { yp in
                let data = try dataset(x: xp.baseAddress!, shape: [64, 2], y: yp.baseAddress!, targetShape: [64])
                XCTAssertThrowsError(try Session(model: model, mode: .train, data: data, objective: JSON.parse(objective), batchSize: 8)) { error in
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

/// A dataset over float arrays the caller keeps alive: "x0" and, when given, "y0".
func dataset(x: UnsafePointer<Float>, shape: [Int], y: UnsafePointer<Float>? = nil, targetShape: [Int] = []) throws -> Dataset {
    let data = Dataset()
    try data.add("x0", ArrayView(dtype: .float32, shape: shape, data: UnsafeRawPointer(x)))
    if let y { try data.add("y0", ArrayView(dtype: .float32, shape: targetShape, data: UnsafeRawPointer(y))) }
    return data
}
