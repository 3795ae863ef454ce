/// Gradients of a replayed eager computation (`swiftnet.GradientTape`): the ops a tape recorded,
/// run again on the step tape with the watched values as leaves, then one backward pass.
///
/// Spec: `{"graph": G, "sources": [leaf, …]}` where G's leaves are `{"input": i}` nodes (array
/// "i" of `inputs`) and its other nodes are ops. Every op runs as it did eagerly (inference mode,
/// context seed 0), so random ops draw the same values. Each graph output is a target: its
/// gradient is seeded from array "seed{k}" of `inputs` when given (same shape), else with ones.
/// `outputs` receives "g{j}", the gradient of source j (float32, the source's shape; zeros when
/// unconnected), and "connected", one float per source: 1 when some path reached it.
/// - Throws: `SwiftNetError` for malformed specs, ops that do not fit their inputs, or buffers
///   that do not fit the results.
public func graphGradients(_ spec: JSON, inputs: Dataset, outputs: Dataset, models: [Model] = []) throws {
    let owner = "GradientTape"
    let config = try ConfigReader(owner: owner, spec)
    var leaves: [ArrayView] = []
    while let array = inputs["\(leaves.count)"] { leaves.append(array) }
    let sources = try config.intList("sources")
    guard case .some(.array(let items)) = config.json("nodes") else { throw SwiftNetError.value("[\(owner)] Expected `nodes`.") }
    let outputRefs = try Graph.refs(config.json("outputs"), before: items.count, owner: owner)
    let weightSources = try parseWeightSources(config.json("weights"), models: models, owner: owner)

    // Each source leaf is a weight-like tensor: gradients of its views accumulate in its buffer.
    var bases: [Int: Tensor] = [:]
    for leaf in sources where bases[leaf] == nil {
        guard leaves.indices.contains(leaf) else {
            throw SwiftNetError.value("[\(owner)] Source leaf \(leaf) does not exist (there are \(leaves.count)).")
        }
        let array = leaves[leaf]
        guard array.dtype == .float32 else { throw SwiftNetError.type("[\(owner)] Sources must be float32; leaf \(leaf) is \(array.dtype.name).") }
        let base = try Tensor(variable: array.shape)
        base.data.update(from: array.data.assumingMemoryBound(to: Float.self), count: base.count)
        bases[leaf] = base
    }
    for weight in weightSources { weight.clearGradient() }
    defer { for weight in weightSources { weight.clearGradient() } }

    let tape = Tape()
    tape.reset(recording: true, training: false)
    defer { tape.finishStep() }
    var values: [[Tensor]] = []
    values.reserveCapacity(items.count)
    for (index, item) in items.enumerated() {
        let entry = try ConfigReader(owner: owner, item)
        let operands = try Graph.refs(entry.json("inputs"), before: index, owner: owner).map { ref -> Tensor in
            guard values[ref.node].indices.contains(ref.output) else {
                throw SwiftNetError.value("[\(owner)] Node \(index) reads output \(ref.output) of node \(ref.node), which has \(values[ref.node].count).")
            }
            return values[ref.node][ref.output]
        }
        if entry.has("input") {
            let i = try entry.int("input")
            guard leaves.indices.contains(i) else { throw SwiftNetError.value("[\(owner)] Node \(index) reads missing leaf \(i).") }
            if let base = bases[i] {
                values.append([Tensor.read(base, tape: tape, trainable: true)])
            } else {
                values.append([tape.input(viewing: leaves[i].data, shape: leaves[i].shape, dtype: leaves[i].dtype)])
            }
        } else if entry.has("op") {
            let op = try OpRegistry.make(try entry.string("op"), attributes: entry.json("attrs"))
            _ = try op.infer(operands.map(TensorSpec.init))
            values.append(try op.run(operands, OpContext(tape: tape, training: false, seed: 0)))
        } else if entry.has("model") {
            let k = try entry.int("model")
            guard models.indices.contains(k) else { throw SwiftNetError.value("[\(owner)] Node \(index) names missing model \(k).") }
            values.append(try models[k].call(operands, tape: tape, training: try entry.bool("training", default: false),
                                             seed: UInt64(truncatingIfNeeded: try entry.int("seed", default: 0))))
        } else {
            throw SwiftNetError.value("[\(owner)] Node \(index): a recorded computation holds only inputs, ops and model calls.")
        }
    }

    for (k, ref) in outputRefs.enumerated() {
        let root = values[ref.node][ref.output]
        // Integer and boolean targets, and targets no source reaches, have no gradient path.
        guard root.requiresGrad else { continue }
        if let seed = inputs["seed\(k)"] {
            guard seed.shape == root.shape, seed.dtype == .float32 else {
                throw SwiftNetError.value("[\(owner)] The output gradient \(k) has shape \(describe(seed.shape.map { $0 })); the target has shape \(describe(root.shape.map { $0 })).")
            }
            let given = seed.data.assumingMemoryBound(to: Float.self)
            try root.accumulateGradient { g, accumulate in
                for j in 0..<root.count { g[j] = (accumulate ? g[j] : 0) + given[j] }
            }
        } else {
            try root.accumulateGradient { g, accumulate in
                for j in 0..<root.count { g[j] = (accumulate ? g[j] : 0) + 1 }
            }
        }
    }
    try tape.backward()

    guard let connected = outputs["connected"], connected.dtype == .float32,
          connected.shape.reduce(1, *) == sources.count + weightSources.count else {
        throw SwiftNetError.value("[\(owner)] Expected a float32 `connected` buffer of \(sources.count + weightSources.count) values.")
    }
    let flags = UnsafeMutablePointer(mutating: connected.data.assumingMemoryBound(to: Float.self))
    let tensors = sources.map { bases[$0]! } + weightSources
    for (j, tensor) in tensors.enumerated() {
        let name = j < sources.count ? "g\(j)" : "w\(j - sources.count)"
        guard let target = outputs[name], target.dtype == .float32, target.shape == tensor.shape else {
            throw SwiftNetError.value("[\(owner)] Expected a float32 buffer `\(name)` of shape \(describe(tensor.shape.map { $0 })).")
        }
        let out = UnsafeMutablePointer(mutating: target.data.assumingMemoryBound(to: Float.self))
        if tensor.hasGradient, let grad = tensor.grad {
            out.update(from: grad, count: tensor.count)
            flags[j] = 1
        } else {
            out.update(repeating: 0, count: tensor.count)
            flags[j] = 0
        }
    }
}

/// `[[model, layer, weight], …]` (layer -1: the model's variable `weight`) as the weight tensors.
func parseWeightSources(_ json: JSON?, models: [Model], owner: String) throws -> [Tensor] {
    guard let json else { return [] }
    guard case .array(let items) = json else { throw SwiftNetError.value("[\(owner)] Expected `weights` to be a list.") }
    return try items.map { item in
        guard case .array(let parts) = item, parts.count == 3,
              case .number(let m) = parts[0], case .number(let l) = parts[1], case .number(let w) = parts[2],
              models.indices.contains(Int(m)) else {
            throw SwiftNetError.value("[\(owner)] Expected [model, layer, weight]. Received: \(item.serialized)")
        }
        let model = models[Int(m)]
        if Int(l) == -1 {
            guard model.variables.indices.contains(Int(w)) else { throw SwiftNetError.value("[\(owner)] No variable \(Int(w)).") }
            return model.variables[Int(w)].tensor
        }
        guard model.layers.indices.contains(Int(l)), model.layers[Int(l)].weights.indices.contains(Int(w)) else {
            throw SwiftNetError.value("[\(owner)] No weight \(Int(w)) of layer \(Int(l)).")
        }
        return model.layers[Int(l)].weights[Int(w)].tensor
    }
}

extension Model {
    /// Runs the model on `inputs` on another tape (a gradient tape's replay, a traced step):
    /// weights read there collect their gradients in their own buffers. Also returns the state
    /// updates of the call (batch normalization's moving statistics), for the caller to write.
    func callReturningStates(_ inputs: [Tensor], tape: Tape, training: Bool, seed: UInt64) throws
        -> (outputs: [Tensor], assigns: [(Variable, Tensor)]) {
        guard inputs.count == inputSpecs.count else {
            throw SwiftNetError.value("[\(name)] Expected \(inputSpecs.count) inputs. Received: \(inputs.count).")
        }
        let graph = training ? self.training : inference
        return try graph.run({ kind in
            switch kind {
            case .input(let i): return inputs[i]
            case .variable(let i): return Tensor.read(variables[i].tensor, tape: tape, trainable: variables[i].trainable)
            default: throw SwiftNetError.value("[\(name)] The model graph reads a loss-graph value.")
            }
        }, scope: scope, tape: tape, training: training, stepSeed: seed)
    }

    func call(_ inputs: [Tensor], tape: Tape, training: Bool, seed: UInt64) throws -> [Tensor] {
        try callReturningStates(inputs, tape: tape, training: training, seed: seed).outputs
    }
}
