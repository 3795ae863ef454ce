/// An optimizer used outside `fit`: `optimizer.apply(grads, variables)` on values the caller
/// holds (NumPy arrays). It keeps its own copy of the variables' shapes and its state (slots,
/// iteration count) between calls; the variables are the same, in the same order, at every call
/// (as Keras builds an optimizer for the variables of its first `apply`).
public final class EagerOptimizer {
    public let optimizer: Optimizer
    private var weights: [Tensor] = []

    public init(json: JSON) throws {
        optimizer = try Optimizer.from(json)
    }

    /// One update: arrays "0", "1", … of `values` are the variables (float32, updated in place),
    /// arrays "0", … of `gradients` their gradients (same shapes).
    /// - Throws: `SwiftNetError` when the arrays differ from the first call's, or a gradient does
    ///   not fit its variable.
    public func apply(values: Dataset, gradients: Dataset) throws {
        var arrays: [ArrayView] = []
        while let array = values["\(arrays.count)"] { arrays.append(array) }
        for (i, array) in arrays.enumerated() where array.dtype != .float32 {
            throw SwiftNetError.type("[optimizer.apply] Variable \(i) is \(array.dtype.name); optimizers update float32 variables.")
        }
        if weights.isEmpty { weights = try arrays.map { try Tensor(variable: $0.shape) } }
        guard arrays.count == weights.count, zip(arrays, weights).allSatisfy({ $0.shape == $1.shape }) else {
            throw SwiftNetError.value("[optimizer.apply] This optimizer was built for \(weights.count) variables of shapes \(weights.map { describe($0.shape.map { $0 }) }); received \(arrays.count) of shapes \(arrays.map { describe($0.shape.map { $0 }) }). Use one optimizer per set of variables.")
        }
        for (i, (array, weight)) in zip(arrays, weights).enumerated() {
            guard let gradient = gradients["\(i)"], gradient.dtype == .float32, gradient.shape == array.shape else {
                throw SwiftNetError.value("[optimizer.apply] Gradient \(i) must be float32 of shape \(describe(array.shape.map { $0 })).")
            }
            weight.data.update(from: array.data.assumingMemoryBound(to: Float.self), count: weight.count)
            let given = gradient.data.assumingMemoryBound(to: Float.self)
            weight.clearGradient()
            try weight.accumulateGradient { g, _ in g.update(from: given, count: weight.count) }
        }
        try optimizer.apply(to: weights)
        for (array, weight) in zip(arrays, weights) {
            UnsafeMutableRawPointer(mutating: array.data).copyMemory(from: weight.data, byteCount: weight.count * 4)
            weight.clearGradient()
        }
    }

    /// One update of tensors the caller holds (a traced step's model weights), from `gradients`
    /// (same shapes). Checked against the variables of the first call, as `apply(values:…)` is.
    public func apply(to tensors: [Tensor], gradients: [Tensor]) throws {
        if weights.isEmpty { weights = try tensors.map { try Tensor(variable: $0.shape) } }
        guard tensors.count == weights.count, zip(tensors, weights).allSatisfy({ $0.shape == $1.shape }) else {
            throw SwiftNetError.value("[optimizer.apply] This optimizer was built for \(weights.count) variables of shapes \(weights.map { describe($0.shape.map { $0 }) }); received \(tensors.count) of shapes \(tensors.map { describe($0.shape.map { $0 }) }). Use one optimizer per set of variables.")
        }
        for (i, (tensor, gradient)) in zip(tensors, gradients).enumerated() {
            guard gradient.dtype == .float32, gradient.shape == tensor.shape else {
                throw SwiftNetError.value("[optimizer.apply] Gradient \(i) must be float32 of shape \(describe(tensor.shape.map { $0 })); received \(describe(gradient.shape.map { $0 })).")
            }
            tensor.clearGradient()
            try tensor.accumulateGradient { g, _ in g.update(from: gradient.data, count: tensor.count) }
        }
        defer { for tensor in tensors { tensor.clearGradient() } }
        try optimizer.apply(to: tensors)
    }
}
