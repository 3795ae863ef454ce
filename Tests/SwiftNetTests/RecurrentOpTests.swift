import XCTest
@testable import SwiftNet

/// Backpropagation through time of the recurrent ops against finite differences: every output
/// (sequence or last output, final states) weighted at once, with masks, reversed processing,
/// initial states and recurrent dropout.
final class RecurrentOpTests: XCTestCase {
    let batch = 3, time = 4, features = 3, units = 2

    /// A mask with leading, middle and trailing masked steps.
    func mask() throws -> Tensor {
        let values: [Float] = [0, 1, 1, 1,
                               1, 0, 1, 0,
                               1, 1, 1, 1]
        return try Tensor(shape: [batch, time], values: values)
    }

    func check(_ cell: RecurrentCell, _ attrs: [String: String], masked: Bool = false, initialState: Bool = false,
               recurrentDropout: Bool = false, file: StaticString = #filePath, line: UInt = #line) throws {
        let gates = cell.gates, width = cell.gates * units
        let resetAfter = cell == .gru && attrs["reset_after"] != "false"
        var shapes: [[Int]] = [[batch, time, features], [features, width], [units, width], resetAfter ? [2, width] : [width]]
        if initialState { shapes += Array(repeating: [batch, units], count: cell.states) }
        var json = attrs.map { "\"\($0.key)\": \($0.value)" } + ["\"units\": \(units)"]
        if masked { json.append("\"has_mask\": true") }
        if initialState { json.append("\"has_initial_state\": true") }
        if recurrentDropout { json.append("\"has_recurrent_mask\": true") }
        let dropMask = try Tensor(shape: [batch, units], values: [1.25, 0, 1.25, 1.25, 0, 1.25])
        let maskTensor = try mask()
        let operation = try OpRegistry.make(cell.rawValue, attributes: try JSON.parse("{" + json.joined(separator: ", ") + "}"))
        _ = gates
        let inputs = shapes.enumerated().map { i, shape in
            (shape, GradientChecker.values(shape.reduce(1, *), seed: UInt64(11 + i)).map { $0 * 0.6 })
        }
        try GradientChecker().check(inputs: inputs, file: file, line: line) { tensors in
            let context = OpContext(tape: tensors[0].tape!, training: true, seed: 0)
            var operands = Array(tensors[0..<4])
            if masked { operands.append(maskTensor) }
            if initialState { operands += tensors[4...] }
            if recurrentDropout { operands.append(dropMask) }
            let outputs = try operation.run(operands, context)
            let flat = outputs.map { reshape($0, [$0.count]) }
            return try concatenate(flat, axis: 0, context)
        }
    }

    func testEveryCellWithEveryOption() throws {
        let cells: [(RecurrentCell, [String: String])] = [
            (.simpleRNN, [:]), (.lstm, [:]), (.gru, [:]), (.gru, ["reset_after": "false"]),
            (.simpleRNN, ["activation": "\"softsign\""]),
            (.lstm, ["activation": "\"softsign\"", "recurrent_activation": "\"hard_sigmoid\""]),
        ]
        for (cell, attrs) in cells {
            try check(cell, attrs)
            try check(cell, attrs.merging(["return_sequences": "true"]) { $1 })
            try check(cell, attrs.merging(["return_sequences": "true", "go_backwards": "true"]) { $1 }, masked: true)
            try check(cell, attrs.merging(["return_sequences": "true", "zero_output_for_mask": "true"]) { $1 }, masked: true)
            try check(cell, attrs, masked: true, initialState: true, recurrentDropout: true)
            try check(cell, attrs.merging(["return_sequences": "true"]) { $1 }, initialState: true, recurrentDropout: true)
        }
    }

    func testShapesAreChecked() throws {
        let lstm = try OpRegistry.make("lstm", attributes: try JSON.parse(#"{"units": 4}"#))
        XCTAssertEqual(try lstm.infer([TensorSpec(shape: [nil, nil, 3]), TensorSpec(shape: [3, 16]), TensorSpec(shape: [4, 16]),
                                       TensorSpec(shape: [16])]).map(\.shape), [[nil, 4], [nil, 4], [nil, 4]])
        XCTAssertThrowsError(try lstm.infer([TensorSpec(shape: [2, 3]), TensorSpec(shape: [3, 16]), TensorSpec(shape: [4, 16]),
                                             TensorSpec(shape: [16])])) { XCTAssertTrue("\($0)".contains("(batch, timesteps, features)")) }
        XCTAssertThrowsError(try lstm.infer([TensorSpec(shape: [2, 5, 3]), TensorSpec(shape: [3, 12]), TensorSpec(shape: [4, 16]),
                                             TensorSpec(shape: [16])])) { XCTAssertTrue("\($0)".contains("kernel")) }
        XCTAssertThrowsError(try OpRegistry.make("gru", attributes: try JSON.parse(#"{"units": 0}"#)))
        XCTAssertThrowsError(try OpRegistry.make("gru", attributes: try JSON.parse(#"{"units": 2, "activation": "softmax"}"#)))
    }
}
