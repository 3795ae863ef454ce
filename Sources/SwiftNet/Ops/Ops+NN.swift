/// `keras.ops.nn`: activations (the fused activation kernels, or compositions for their
/// parameterised forms) and softmax/log_softmax over any axis.

/// A scalar tensor holding `value`.
func scalarTensor(_ value: Float, _ context: OpContext) throws -> Tensor {
    try filled([], .float32, Double(value), context)
}

/// An activation of Keras's `activations`/`ops.nn`, with its parameters.
struct ActivationOp: Op {
    let name: String
    let slope: Float
    let alpha: Float
    let approximate: Bool
    let axis: Int

    init(_ name: String, _ attributes: ConfigReader) throws {
        self.name = name
        slope = try attributes.float("negative_slope", default: 0.2)
        alpha = try attributes.float("alpha", default: 1)
        // keras.ops.gelu approximates by default; the activation function `gelu` does not.
        approximate = try attributes.bool("approximate", default: name == "gelu")
        axis = try attributes.int("axis", default: -1)
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 1, name)
        if name == "softmax" || name == "log_softmax" { _ = try resolveAxis(axis, rank: inputs[0].rank, name) }
        return [TensorSpec(shape: inputs[0].shape, dtype: keepsIntegers(inputs[0].dtype) ? inputs[0].dtype : .float32)]
    }

    /// relu of integers is integer (as in Keras); every other activation computes in float32.
    private func keepsIntegers(_ dtype: DType) -> Bool { dtype.isInteger && name == "relu" }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        let x = inputs[0]
        if keepsIntegers(x.dtype) {
            return [try binary(.maximum, x, try filled([], x.dtype, 0, context), context)]
        }
        return [try activate(try cast(x, to: .float32, context), context)]
    }

    private func activate(_ x: Tensor, _ context: OpContext) throws -> Tensor {
        switch name {
        case "leaky_relu" where slope != Activation.leakySlope:
            let negative = try binary(.multiply, x, try scalarTensor(slope, context), context)
            return try WhereOp().run([try binary(.greaterEqual, x, try scalarTensor(0, context), context), x, negative], context)[0]
        case "elu" where alpha != 1:
            let negative = try binary(.multiply, try unary(.expm1, x, context), try scalarTensor(alpha, context), context)
            return try WhereOp().run([try binary(.greater, x, try scalarTensor(0, context), context), x, negative], context)[0]
        case "gelu" where approximate:
            // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
            let cube = try binary(.multiply, try unary(.square, x, context), x, context)
            let inner = try binary(.add, x, try binary(.multiply, cube, try scalarTensor(0.044715, context), context), context)
            let t = try applyActivation(try binary(.multiply, inner, try scalarTensor(0.7978845608028654, context), context), .tanh)
            let half = try binary(.multiply, x, try scalarTensor(0.5, context), context)
            return try binary(.multiply, half, try binary(.add, t, try scalarTensor(1, context), context), context)
        case "log_sigmoid":
            return try unary(.negative, try applyActivation(try unary(.negative, x, context), .softplus), context)
        case "hard_silu", "hard_swish":
            return try binary(.multiply, x, try applyActivation(x, .hardSigmoid), context)
        case "softmax", "log_softmax":
            let a = try resolveAxis(axis, rank: x.shape.count, name)
            let last = x.shape.count - 1
            if name == "log_softmax" {
                return try binary(.subtract, x, try logSumExp(x, axes: [a], keepdims: true, context), context)
            }
            if a == last || x.shape.isEmpty { return try applyActivation(x, .softmax) }
            var perm = Array(0...last)
            perm.swapAt(a, last)
            return try transpose(try applyActivation(try transpose(x, perm, context), .softmax), perm, context)
        default:
            return try applyActivation(x, try Activation.named(name, owner: name))
        }
    }
}

let nnOps: [String: OpRegistry.Factory] = {
    var table: [String: OpRegistry.Factory] = [:]
    let names = Activation.allCases.map(\.rawValue) + ["silu", "log_sigmoid", "hard_silu", "hard_swish", "log_softmax"]
    for name in names where name != "linear" {
        table[name] = { try ActivationOp(name, $0) }
    }
    table["layer_normalization"] = { try LayerNormOp($0) }
    return table
}()
