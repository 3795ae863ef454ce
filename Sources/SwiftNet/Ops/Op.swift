/// Primitive ops: the graph engine's vocabulary. Each op infers its output specs (shapes with
/// unknown dimensions, dtypes) and runs on tensors, recording its vector-Jacobian product on the
/// tape beside the forward code (MLX's op/VJP pairing). Composite ops are built from primitives
/// and need no gradient code of their own.

/// What an op's forward pass may use besides its inputs.
public struct OpContext {
    /// Where outputs are allocated and gradients recorded.
    public let tape: Tape
    /// Training mode: dropout active, batch statistics used.
    public let training: Bool
    /// Seeds random ops: fixed per graph node, different every step.
    public let seed: UInt64

    public init(tape: Tape, training: Bool, seed: UInt64) {
        self.tape = tape
        self.training = training
        self.seed = seed
    }
}

/// A primitive op with its attributes parsed and checked.
public protocol Op {
    /// The specs of the outputs for inputs of `inputs` specs (nil dimensions unknown).
    /// - Throws: `SwiftNetError` naming the op when the inputs do not fit it.
    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec]
    /// The outputs for concrete inputs, with gradients recorded on `context.tape`.
    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor]
}

/// Creates ops from their name and JSON attributes, as graphs and `sn_op_run` name them.
public enum OpRegistry {
    public typealias Factory = (_ attributes: ConfigReader) throws -> Op

    private static let factories: [String: Factory] = {
        var table: [String: Factory] = [:]
        for family in [elementwiseOps, reductionOps, layoutOps, indexOps, creationOps, matmulOps, nnOps, randomOps, lossOps,
                       recurrentOps] {
            table.merge(family) { first, _ in first }
        }
        return table
    }()

    /// Every op name.
    public static var names: [String] { factories.keys.sorted() }

    /// - Throws: `SwiftNetError` for unknown ops and invalid attributes.
    public static func make(_ name: String, attributes: JSON?) throws -> Op {
        guard let factory = factories[name] else {
            throw SwiftNetError.value("Unknown op: '\(name)'.")
        }
        return try factory(try ConfigReader(owner: name, attributes))
    }
}

/// Checks the number of inputs an op received.
func expectInputs(_ inputs: [TensorSpec], _ count: Int, _ op: String) throws {
    guard inputs.count == count else {
        throw SwiftNetError.value("[\(op)] Expected \(count) input\(count == 1 ? "" : "s"). Received: \(inputs.count).")
    }
}

/// A possibly negative axis resolved against `rank`, or an error naming the op.
func resolveAxis(_ axis: Int, rank: Int, _ op: String) throws -> Int {
    let resolved = axis < 0 ? axis + rank : axis
    guard resolved >= 0, resolved < max(rank, 1) || (rank == 0 && resolved == 0) else {
        throw SwiftNetError.value("[\(op)] Axis \(axis) is out of bounds for a tensor of rank \(rank).")
    }
    return resolved
}

/// The distinct, sorted axes of `axes` (all axes when nil).
func resolveAxes(_ axes: [Int]?, rank: Int, _ op: String) throws -> [Int] {
    guard let axes else { return Array(0..<rank) }
    let resolved = try axes.map { try resolveAxis($0, rank: rank, op) }
    guard Set(resolved).count == resolved.count else {
        throw SwiftNetError.value("[\(op)] Repeated axis in \(axes).")
    }
    return resolved.sorted()
}

extension ConfigReader {
    /// `axis` given as null (all axes), an integer or a list of integers.
    func axes(_ key: String = "axis") throws -> [Int]? {
        guard has(key) else { return nil }
        return try intList(key)
    }
}

extension Tensor {
    /// A new tensor of `dtype` in the context's step memory, tracked when any of `inputs` is.
    static func output(_ shape: [Int], _ dtype: DType = .float32, of inputs: [Tensor], _ context: OpContext) throws -> Tensor {
        _ = try checkedCount(shape, what: "tensor")
        let tracked = dtype == .float32 && context.tape.isRecording && inputs.contains { $0.requiresGrad }
        return try Tensor(shape: shape, dtype: dtype, tape: context.tape, requiresGrad: tracked)
    }
}
