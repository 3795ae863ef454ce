/// A custom training (or test) step, traced once from the user's `train_step` and run by the
/// engine for every batch: ops, calls of whole models, gradients of a value with respect to model
/// weights, optimizer updates and metric-state updates, in the order the step made them.
///
/// Spec: `{"rows": n, "nodes": [...], "outputs": [[node, output], ...]}` with nodes
/// - `{"data": i}`: the batch of data array i;
/// - `{"op", "attrs", "inputs"}`: an op (random ops draw afresh every step);
/// - `{"state": i}`: a copy of step state i (a metric's variable) as it is now;
/// - `{"weight": [m, l, w]}`: weight w of layer l of model m (l = -1: the model's variable w);
/// - `{"model": m, "inputs", "training", "seed"}`: model m called on its inputs;
/// - `{"gradient": ref, "seed": ref?, "sources": [[m, l, w], ...]}`: the gradients of the value
///   `ref` (a scalar, or seeded by `seed`) with respect to those weights;
/// - `{"apply": k, "inputs": gradients, "weights": [[m, l, w], ...]}`: optimizer k's update;
/// - `{"update": i, "inputs": [ref]}`: writes step state i.
/// Ops, weight reads and model calls with `"taped": false` ran outside every GradientTape: they
/// record no gradient (as in TensorFlow). Outputs are the step's logs (scalars).
final class StepProgram {
    typealias WeightRef = (model: Int, tensor: Tensor, trainable: Bool)

    enum Node {
        case data(Int)
        case op(Op, [ValueRef], taped: Bool)
        case state(Int)
        case weight(WeightRef, taped: Bool)
        case model(Int, [ValueRef], training: Bool, seed: UInt64, taped: Bool)
        case gradient(target: ValueRef, seed: ValueRef?, sources: [WeightRef])
        case apply(optimizer: Int, gradients: [ValueRef], weights: [WeightRef])
        case update(state: Int, ValueRef)
    }

    let rows: Int
    let nodes: [Node]
    let outputs: [ValueRef]
    private static let owner = "train_step"

    init(json: JSON, models: [Model], optimizers: Int, states: Int, dataArrays: Int) throws {
        let owner = StepProgram.owner
        let config = try ConfigReader(owner: owner, json)
        rows = try config.int("rows")
        guard rows > 0 else { throw SwiftNetError.value("[\(owner)] Expected positive `rows`. Received: \(rows)") }
        guard case .some(.array(let items)) = config.json("nodes") else { throw SwiftNetError.value("[\(owner)] Expected `nodes`.") }
        func index(_ entry: ConfigReader, _ key: String, below count: Int, at node: Int) throws -> Int {
            let i = try entry.int(key)
            guard i >= 0, i < count else { throw SwiftNetError.value("[\(owner)] Node \(node) names \(key) \(i), but there are \(count).") }
            return i
        }
        func weights(_ json: JSON?, at node: Int) throws -> [WeightRef] {
            guard case .some(.array(let items)) = json else { throw SwiftNetError.value("[\(owner)] Node \(node): expected a list of [model, layer, weight].") }
            return try items.map { item in
                guard case .array(let parts) = item, parts.count == 3, case .number(let m) = parts[0],
                      models.indices.contains(Int(m)) else {
                    throw SwiftNetError.value("[\(owner)] Node \(node): expected [model, layer, weight]. Received: \(item.serialized)")
                }
                let model = models[Int(m)]
                let tensor = try parseWeightSources(.array([item]), models: models, owner: owner)[0]
                let trainable: Bool
                if case .number(let l) = parts[1], case .number(let w) = parts[2] {
                    trainable = Int(l) == -1 ? model.variables[Int(w)].trainable
                        : model.layers[Int(l)].trainable && model.layers[Int(l)].weights[Int(w)].trainable
                } else {
                    trainable = false
                }
                return (Int(m), tensor, trainable)
            }
        }
        var nodes: [Node] = []
        for (i, item) in items.enumerated() {
            let entry = try ConfigReader(owner: owner, item)
            let inputs = try Graph.refs(entry.json("inputs"), before: i, owner: owner)
            if entry.has("data") {
                nodes.append(.data(try index(entry, "data", below: dataArrays, at: i)))
            } else if entry.has("op") {
                nodes.append(.op(try OpRegistry.make(try entry.string("op"), attributes: entry.json("attrs")), inputs,
                                 taped: try entry.bool("taped", default: true)))
            } else if entry.has("state") {
                nodes.append(.state(try index(entry, "state", below: states, at: i)))
            } else if entry.has("weight") {
                nodes.append(.weight(try weights(.array([entry.json("weight") ?? .null]), at: i)[0],
                                     taped: try entry.bool("taped", default: true)))
            } else if entry.has("model") {
                let m = try index(entry, "model", below: models.count, at: i)
                guard inputs.count == models[m].inputSpecs.count else {
                    throw SwiftNetError.value("[\(owner)] Model '\(models[m].name)' takes \(models[m].inputSpecs.count) inputs; node \(i) gives \(inputs.count).")
                }
                nodes.append(.model(m, inputs, training: try entry.bool("training", default: false),
                                    seed: UInt64(truncatingIfNeeded: try entry.int("seed", default: 0)),
                                    taped: try entry.bool("taped", default: true)))
            } else if entry.has("gradient") {
                let target = try Graph.refs(.array([entry.json("gradient") ?? .null]), before: i, owner: owner)[0]
                let seed = entry.has("seed") ? try Graph.refs(.array([entry.json("seed") ?? .null]), before: i, owner: owner)[0] : nil
                nodes.append(.gradient(target: target, seed: seed, sources: try weights(entry.json("sources"), at: i)))
            } else if entry.has("apply") {
                let k = try index(entry, "apply", below: optimizers, at: i)
                let targets = try weights(entry.json("weights"), at: i)
                guard targets.count == inputs.count else {
                    throw SwiftNetError.value("[\(owner)] Node \(i): \(inputs.count) gradients for \(targets.count) weights.")
                }
                nodes.append(.apply(optimizer: k, gradients: inputs, weights: targets))
            } else if entry.has("update") {
                guard inputs.count == 1 else { throw SwiftNetError.value("[\(owner)] Node \(i): a state update takes one value.") }
                nodes.append(.update(state: try index(entry, "update", below: states, at: i), inputs[0]))
            } else {
                throw SwiftNetError.value("[\(owner)] Node \(i) is not a step node: \(item.serialized)")
            }
        }
        self.nodes = nodes
        outputs = try Graph.refs(config.json("outputs"), before: nodes.count, owner: owner)
    }

    /// Runs one step on `batch` (one tensor per data array, on `tape`), returning its outputs (valid
    /// until the tape's next step).
    func run(batch: [Tensor], tape: Tape, models: [Model], optimizers: [EagerOptimizer], states: [Variable],
             stepSeed: UInt64) throws -> [Tensor] {
        let owner = StepProgram.owner
        var values: [[Tensor]] = []
        values.reserveCapacity(nodes.count)
        var stateWrites: [(Variable, Tensor)] = []
        func value(_ ref: ValueRef) throws -> Tensor {
            guard values[ref.node].indices.contains(ref.output) else {
                throw SwiftNetError.value("[\(owner)] A node reads output \(ref.output) of node \(ref.node), which has \(values[ref.node].count).")
            }
            return values[ref.node][ref.output]
        }
        for (index, node) in nodes.enumerated() {
            let nodeSeed = stepSeed ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
            switch node {
            case .data(let i):
                values.append([batch[i]])
            case .op(let op, let refs, let taped):
                let operands = try refs.map(value)
                _ = try op.infer(operands.map(TensorSpec.init))
                values.append(try tape.recording(taped) { try op.run(operands, OpContext(tape: tape, training: true, seed: nodeSeed)) })
            case .state(let i):
                // A copy: a later update of the state must not change what was read.
                let source = states[i].tensor
                let copy = try tape.input(shape: source.shape, dtype: source.dtype)
                copy.raw.copyMemory(from: source.raw, byteCount: source.count * source.dtype.byteSize)
                values.append([copy])
            case .weight(let weight, let taped):
                values.append([Tensor.read(weight.tensor, tape: tape, trainable: weight.trainable && taped)])
            case .model(let m, let refs, let training, let seed, let taped):
                let operands = try refs.map(value)
                let (outputs, assigns) = try tape.recording(taped) {
                    try models[m].callReturningStates(operands, tape: tape, training: training, seed: seed ^ nodeSeed)
                }
                stateWrites += assigns
                values.append(outputs)
            case .gradient(let targetRef, let seedRef, let sources):
                values.append(try gradients(of: try value(targetRef), seed: try seedRef.map(value), sources: sources,
                                            tape: tape, models: models))
            case .apply(let k, let refs, let weights):
                try optimizers[k].apply(to: weights.map(\.tensor), gradients: try refs.map(value))
                for m in Set(weights.map(\.model)).sorted() { models[m].applyConstraints() }
                values.append([])
            case .update(let i, let ref):
                try states[i].write(try value(ref))
                values.append([])
            }
        }
        for (variable, value) in stateWrites { try variable.write(value) }
        return try outputs.map(value)
    }

    /// d(target)/d(source) for each source: one backward pass from the target, with every
    /// gradient of earlier passes forgotten first, so that two gradients in one step are apart.
    private func gradients(of target: Tensor, seed: Tensor?, sources: [WeightRef], tape: Tape, models: [Model]) throws -> [Tensor] {
        let owner = StepProgram.owner
        func clearAll() {
            tape.clearGradients()
            for model in models {
                for layer in model.layers { for weight in layer.weights { weight.tensor.clearGradient() } }
                for variable in model.variables { variable.tensor.clearGradient() }
            }
        }
        clearAll()
        defer { clearAll() }
        if target.requiresGrad {
            if let seed {
                guard seed.shape == target.shape, seed.dtype == .float32 else {
                    throw SwiftNetError.value("[\(owner)] The output gradient has shape \(describe(seed.shape.map { $0 })); the target has shape \(describe(target.shape.map { $0 })).")
                }
                try target.accumulateGradient { g, _ in g.update(from: seed.data, count: target.count) }
                try tape.backward()
            } else {
                guard target.count == 1 else {
                    throw SwiftNetError.value("[\(owner)] The gradient target has shape \(describe(target.shape.map { $0 })); pass `output_gradients` for a non-scalar target.")
                }
                try tape.backward(from: target)
            }
        }
        return try sources.map { source in
            let gradient = try tape.input(shape: source.tensor.shape, dtype: .float32)
            if source.tensor.hasGradient, let grad = source.tensor.grad {
                gradient.data.update(from: grad, count: gradient.count)
            } else {
                gradient.data.update(repeating: 0, count: gradient.count)
            }
            return gradient
        }
    }
}
