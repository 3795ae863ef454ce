import XCTest
@testable import SwiftNet

/// Every registered op's gradient against central finite differences (forward values are checked
/// against NumPy in the Python suite), plus shape inference with unknown dimensions and errors.
final class OpsTests: XCTestCase {
    let checker = GradientChecker()

    /// Runs op `name` on the inputs (after `prepare`), returning output `output`.
    func op(_ name: String, _ attrs: String = "{}", output: Int = 0, extra: [Tensor] = [],
            prepare: @escaping ([Tensor], OpContext) throws -> [Tensor] = { x, _ in x }) -> ([Tensor]) throws -> Tensor {
        { inputs in
            let context = OpContext(tape: inputs[0].tape!, training: true, seed: 0)
            let operation = try OpRegistry.make(name, attributes: try JSON.parse(attrs))
            return try operation.run(try prepare(inputs, context) + extra, context)[output]
        }
    }

    func check(_ name: String, _ attrs: String = "{}", _ shapes: [[Int]], output: Int = 0, extra: [Tensor] = [],
               file: StaticString = #filePath, line: UInt = #line,
               prepare: @escaping ([Tensor], OpContext) throws -> [Tensor] = { x, _ in x }) throws {
        let inputs = shapes.enumerated().map { i, shape in (shape, GradientChecker.values(shape.reduce(1, *), seed: UInt64(31 + i))) }
        try checker.check(inputs: inputs, file: file, line: line, op(name, attrs, output: output, extra: extra, prepare: prepare))
    }

    func check(_ name: String, _ shapes: [[Int]], output: Int = 0, extra: [Tensor] = [],
               file: StaticString = #filePath, line: UInt = #line,
               prepare: @escaping ([Tensor], OpContext) throws -> [Tensor] = { x, _ in x }) throws {
        try check(name, "{}", shapes, output: output, extra: extra, file: file, line: line, prepare: prepare)
    }

    /// Inputs mapped into (lo, hi) through a sigmoid, for functions with a limited domain.
    func squash(_ lo: Float, _ hi: Float) -> ([Tensor], OpContext) throws -> [Tensor] {
        { inputs, context in
            try inputs.map { x in
                let s = try applyActivation(x, .sigmoid)
                return try binary(.add, try binary(.multiply, s, try scalarTensor(hi - lo, context), context), try scalarTensor(lo, context), context)
            }
        }
    }

    func testUnaryOps() throws {
        for kind in UnaryKind.allCases where kind.differentiable {
            switch kind {
            case .sqrt, .rsqrt, .log, .log2, .log10, .reciprocal: try check(kind.rawValue, [[3, 4]], prepare: squash(0.2, 3))
            case .arcsin, .arccos, .arctanh: try check(kind.rawValue, [[3, 4]], prepare: squash(-0.8, 0.8))
            case .log1p: try check(kind.rawValue, [[3, 4]], prepare: squash(-0.5, 2))
            case .tan: try check(kind.rawValue, [[3, 4]], prepare: squash(-1, 1))
            default: try check(kind.rawValue, [[3, 4]])
            }
        }
    }

    func testBinaryOpsWithBroadcasting() throws {
        let shapes: [[[Int]]] = [[[3, 4], [3, 4]], [[3, 4], [4]], [[2, 1, 4], [3, 1]], [[3, 4], []], [[], [2, 3]], [[4, 1], [1, 5]]]
        for kind in BinaryKind.allCases where kind.differentiable {
            for pair in shapes {
                switch kind {
                case .power: try check(kind.rawValue, pair, prepare: { x, c in [try self.squash(0.3, 2)([x[0]], c)[0], x[1]] })
                case .divide, .mod: try check(kind.rawValue, pair, prepare: { x, c in [x[0], try self.squash(0.5, 2)([x[1]], c)[0]] })
                default: try check(kind.rawValue, pair)
                }
            }
        }
    }

    func testWhereAndClip() throws {
        let condition = try Tensor(shape: [3, 1], values: [1, 0, 1])
        try check("where", [[3, 4], [4]], prepare: { x, _ in [condition] + x })
        try check("clip", #"{"x_min": -0.5, "x_max": 0.7}"#, [[4, 5]])
    }

    func testReductions() throws {
        // Values at least 0.1 apart, so that finite differences never straddle a max/min kink.
        var rng = RandomGenerator(seed: 5)
        var spread = (0..<24).map { Float($0) * 0.1 - 1.2 }
        spread.withUnsafeMutableBufferPointer { b in
            for i in stride(from: b.count - 1, to: 0, by: -1) { b.swapAt(i, rng.integer(below: i + 1)) }
        }
        for name in ["sum", "mean", "max", "min", "prod", "var", "std", "logsumexp"] {
            for attrs in ["{}", #"{"axis": 1}"#, #"{"axis": [0, 2], "keepdims": true}"#, #"{"axis": -1}"#, #"{"axis": 0}"#] {
                try checker.check(inputs: [([2, 3, 4], spread)], op(name, attrs))
            }
        }
        // Ties share the gradient; a zero in a product gets the product of the others.
        let tied = try Tensor(shape: [2, 3], values: [1, 3, 3, 2, 2, 0])
        try checker.check(inputs: [([1], [0.5])], op("max", #"{"axis": 1}"#, prepare: { x, c in [try binary(.add, tied, x[0], c)] }))
        try checker.check(inputs: [([2, 3], [1.5, 0, 2, -1, 0.5, 0.7])], op("prod", #"{"axis": 1}"#))
    }

    func testMatmulAndEinsum() throws {
        try check("matmul", [[3, 4], [4, 2]])
        try check("matmul", [[2, 3, 4], [4, 5]])
        try check("matmul", [[2, 3, 4], [2, 4, 5]])
        try check("matmul", [[1, 3, 4], [2, 4, 2]])
        try check("matmul", [[4], [4, 3]])
        try check("matmul", [[3, 4], [4]])
        try check("einsum", #"{"subscripts": "ij,jk->ik"}"#, [[3, 4], [4, 2]])
        try check("einsum", #"{"subscripts": "bij,bjk->bik"}"#, [[2, 3, 4], [2, 4, 2]])
        try check("einsum", #"{"subscripts": "bqhd,bkhd->bhqk"}"#, [[2, 3, 2, 4], [2, 5, 2, 4]])
        try check("einsum", #"{"subscripts": "...ij,jk"}"#, [[2, 3, 4], [4, 2]])
        try check("einsum", #"{"subscripts": "ij->ji"}"#, [[3, 4]])
        try check("einsum", #"{"subscripts": "ij,ij->i"}"#, [[3, 4], [3, 4]])
        try check("einsum", #"{"subscripts": "ij,jk,kl->il"}"#, [[2, 3], [3, 4], [4, 2]])
        try check("einsum", #"{"subscripts": "ii->i"}"#, [[3, 3]])
        try check("einsum", #"{"subscripts": "bii->b"}"#, [[2, 3, 3]])
        try check("einsum", #"{"subscripts": "...ij,...jk->...ik"}"#, [[2, 1, 2, 3], [3, 3, 4]])
    }

    func testLayoutOps() throws {
        try check("reshape", #"{"shape": [4, -1]}"#, [[2, 3, 2]])
        try check("transpose", #"{"axes": [2, 0, 1]}"#, [[2, 3, 4]])
        try check("transpose", [[3, 4]])
        try check("expand_dims", #"{"axis": 1}"#, [[3, 4]])
        try check("squeeze", #"{"axis": 1}"#, [[3, 1, 4]])
        try check("concatenate", #"{"axis": 1}"#, [[2, 3], [2, 1], [2, 2]])
        try check("stack", #"{"axis": -1}"#, [[2, 3], [2, 3]])
        try check("split", #"{"indices_or_sections": 2, "axis": 1}"#, [[2, 4]], output: 1)
        try check("split", #"{"indices_or_sections": [1, 3], "axis": 0}"#, [[5, 2]], output: 1)
        try check("strided_slice", #"{"slices": [[1, null, null], [null, null, -2]]}"#, [[4, 5]])
        try check("strided_slice", #"{"slices": [[-3, -1, 1]]}"#, [[5, 2]])
        try check("tile", #"{"repeats": [2, 1, 3]}"#, [[2, 3]])
        try check("repeat", #"{"repeats": 3, "axis": 1}"#, [[2, 3]])
        try check("repeat", #"{"repeats": 2}"#, [[2, 3]])
        for mode in ["constant", "reflect", "symmetric", "edge"] {
            try check("pad", #"{"pad_width": [[1, 2], [2, 1]], "mode": "\#(mode)", "constant_values": 0.5}"#, [[3, 4]])
        }
        try check("broadcast_to", #"{"shape": [2, 3, 4]}"#, [[3, 1]])
        // The new shape's leading sizes taken from a second input (TimeDistributed's unfolding).
        let like = try Tensor(zeros: [2, 3, 7])
        try check("reshape", #"{"shape": [4], "leading": 2}"#, [[6, 4]], extra: [like])
    }

    func testLayerNormalization() throws {
        try check("layer_normalization", [[3, 5], [5], [5]])
        try check("layer_normalization", #"{"axes": 2, "epsilon": 0.01}"#, [[2, 3, 4], [3, 4], [3, 4]])
        try check("layer_normalization", #"{"center": false}"#, [[4, 6], [6]])
        try check("layer_normalization", #"{"scale": false, "center": false}"#, [[4, 6]])
    }

    func testIndexOps() throws {
        let ids = try Tensor(zeros: [2, 3], dtype: .int32)
        for (i, v) in [1, 0, 3, 3, 2, -1].enumerated() { ids.int32s[i] = Int32(v) }
        try check("take", #"{"axis": 0}"#, [[4, 5]], extra: [ids])
        try check("take", #"{"axis": 1}"#, [[2, 4]], extra: [ids])
        let along = try Tensor(zeros: [3, 2], dtype: .int64)
        for (i, v) in [0, 2, 1, 1, 3, 0].enumerated() { along.int64s[i] = Int64(v) }
        try check("take_along_axis", #"{"axis": 1}"#, [[3, 4]], extra: [along])
    }

    func testActivations() throws {
        for name in ["relu", "sigmoid", "tanh", "softplus", "softsign", "silu", "swish", "elu", "selu", "gelu", "leaky_relu",
                     "relu6", "hard_sigmoid", "exponential", "log_sigmoid", "hard_silu", "softmax", "log_softmax"] {
            try check(name, [[3, 5]])
        }
        try check("gelu", #"{"approximate": false}"#, [[3, 5]])
        try check("leaky_relu", #"{"negative_slope": 0.1}"#, [[3, 5]])
        try check("elu", #"{"alpha": 0.5}"#, [[3, 5]])
        try check("softmax", #"{"axis": 0}"#, [[3, 5]])
        try check("log_softmax", #"{"axis": 1}"#, [[2, 3, 4]])
    }

    func testCastsAndDropout() throws {
        try check("cast", #"{"dtype": "float32"}"#, [[3, 2]])
        try check("random.dropout", #"{"rate": 0.3, "seed": 4}"#, [[4, 6]])
        try check("random.dropout", #"{"rate": 0.5, "seed": 4, "noise_shape": [-1, 1, 3]}"#, [[4, 5, 3]])
    }

    func testShapeInferenceKeepsUnknownDimensions() throws {
        func infer(_ name: String, _ attrs: String, _ inputs: [[Int?]]) throws -> [Int?] {
            try OpRegistry.make(name, attributes: JSON.parse(attrs)).infer(inputs.map { TensorSpec(shape: $0) })[0].shape
        }
        XCTAssertEqual(try infer("add", "{}", [[nil, 3], [3]]), [nil, 3])
        XCTAssertEqual(try infer("add", "{}", [[nil, 1], [nil, 4]]), [nil, 4])
        XCTAssertEqual(try infer("matmul", "{}", [[nil, nil, 4], [4, 8]]), [nil, nil, 8])
        XCTAssertEqual(try infer("sum", #"{"axis": 1}"#, [[nil, nil, 4]]), [nil, 4])
        XCTAssertEqual(try infer("reshape", #"{"shape": [-1, 4]}"#, [[nil, 2, 2]]), [nil, 4])
        XCTAssertEqual(try infer("concatenate", #"{"axis": 1}"#, [[nil, 2], [nil, 3]]), [nil, 5])
        XCTAssertEqual(try infer("concatenate", #"{"axis": 1}"#, [[nil, nil], [nil, 3]]), [nil, nil])
        XCTAssertEqual(try infer("take", #"{"axis": 0}"#, [[100, 8], [nil, nil]]), [nil, nil, 8])
        XCTAssertEqual(try infer("strided_slice", #"{"slices": [[null, null, null], [1, null, null]]}"#, [[nil, 5]]), [nil, 4])
        XCTAssertThrowsError(try infer("add", "{}", [[nil, 3], [4]])) { XCTAssertTrue("\($0)".contains("Cannot broadcast")) }
        XCTAssertThrowsError(try infer("matmul", "{}", [[2, 3], [4, 5]])) { XCTAssertTrue("\($0)".contains("Inner dimensions")) }
        XCTAssertThrowsError(try infer("sum", #"{"axis": 3}"#, [[2, 3]])) { XCTAssertTrue("\($0)".contains("out of bounds")) }
        XCTAssertThrowsError(try infer("reshape", #"{"shape": [5, -1]}"#, [[2, 3]]))
        XCTAssertThrowsError(try OpRegistry.make("einsum", attributes: JSON.parse(#"{"subscripts": "i,j->?"}"#)))
        XCTAssertEqual(try infer("einsum", #"{"subscripts": "ii->i"}"#, [[3, 3]]), [3])
    }
}
