/// A traced computation: nodes in topological order (each reads outputs of earlier nodes), the
/// specs of every value, and the values it returns. Models, losses and metrics are all graphs.
///
/// JSON: `{"nodes": [node, ...], "outputs": [[node, output], ...]}` where a node is one of
/// `{"input": i}`, `{"target": i}`, `{"sample_weight": i}`, `{"output": i}` (a model output, in
/// loss graphs), `{"variable": i}`, `{"state": i}` (a metric's state), `{"layer": i, "inputs": …,
/// "training": true|false|null}`, `{"op": name, "attrs": {…}, "inputs": …}`, `{"assign": i, "inputs":
/// [value]}` and `{"update": i, "inputs": [value]}` (new values of a variable or a state, written
/// after the step).

/// Output `output` of node `node`.
public struct ValueRef: Equatable {
    public let node: Int
    public let output: Int
}

public enum NodeKind {
    case input(Int), target(Int), sampleWeight(Int), modelOutput(Int), variable(Int), state(Int)
    /// A built-in layer's weight read as a value (e.g. tied embeddings): layer, weight index.
    case weight(Int, Int)
    case layer(Int, training: Bool?)
    case op(String, Op)
    case assign(Int), update(Int)

    var isLeaf: Bool {
        switch self {
        case .layer, .op, .assign, .update: return false
        default: return true
        }
    }
}

public struct GraphNode {
    public let kind: NodeKind
    public let inputs: [ValueRef]
}

/// A weight made by a graph (a custom layer's `add_weight`, a metric's state): its name, value
/// and whether it trains.
public final class Variable {
    public let name: String
    public let tensor: Tensor
    public let trainable: Bool
    /// The value `reset()` restores (metric states).
    let initial: Double

    init(name: String, spec: TensorSpec, trainable: Bool, initial: Double = 0) throws {
        guard spec.isFullyKnown else { throw SwiftNetError.value("[Variable] '\(name)' needs a fully known shape. Received: \(describe(spec.shape))") }
        let shape = spec.shape.map { $0! }
        _ = try checkedCount(shape, what: name)
        tensor = spec.dtype == .float32 && trainable ? try Tensor(variable: shape) : try Tensor(zeros: shape, dtype: spec.dtype)
        self.name = name
        self.trainable = trainable && spec.dtype == .float32
        self.initial = initial
        reset()
    }

    /// Reads `{"name", "shape", "dtype", "trainable", "initial"}`.
    convenience init(json: JSON, owner: String, trainableDefault: Bool) throws {
        let config = try ConfigReader(owner: owner, json)
        try self.init(name: try config.string("name", default: "variable"), spec: try TensorSpec(json: json, owner: owner),
                      trainable: try config.bool("trainable", default: trainableDefault),
                      initial: try config.double("initial", default: 0))
    }

    func reset() {
        switch tensor.dtype {
        case .int32: tensor.int32s.update(repeating: saturatingInteger(initial, as: Int32.self), count: tensor.count)
        case .int64: tensor.int64s.update(repeating: saturatingInteger(initial, as: Int64.self), count: tensor.count)
        default: tensor.data.update(repeating: Float(initial), count: tensor.count)
        }
    }

    var spec: TensorSpec { TensorSpec(tensor) }
}

/// What a graph's leaves and layer calls refer to.
public struct GraphScope {
    var inputs: [TensorSpec] = []
    var targets: [TensorSpec] = []
    var sampleWeights: [TensorSpec] = []
    var modelOutputs: [TensorSpec] = []
    var variables: [Variable] = []
    var states: [Variable] = []
    var layers: [Layer] = []
}

public final class Graph {
    public let nodes: [GraphNode]
    public let outputs: [ValueRef]
    /// The specs of every node's outputs, with the graph's declared (possibly unknown) dimensions.
    public private(set) var specs: [[TensorSpec]] = []
    let owner: String

    /// Parses a graph and infers every value's spec, building layers on their first call.
    /// - Throws: `SwiftNetError` for malformed graphs, unknown ops or layers, and values that do
    ///   not fit the ops they flow into.
    public init(json: JSON, scope: GraphScope, owner: String, layerSeeds: [UInt64] = []) throws {
        self.owner = owner
        let config = try ConfigReader(owner: owner, json)
        guard case .some(.array(let items)) = config.json("nodes") else {
            throw SwiftNetError.value("[\(owner)] Expected a graph with a `nodes` list.")
        }
        var nodes: [GraphNode] = []
        for (index, item) in items.enumerated() {
            nodes.append(try Graph.parseNode(item, index: index, scope: scope, owner: owner))
        }
        self.nodes = nodes
        outputs = try Graph.refs(config.json("outputs"), before: nodes.count, owner: owner)
        specs = try propagate(scope: scope, build: true, layerSeeds: layerSeeds)
    }

    static func refs(_ json: JSON?, before limit: Int, owner: String) throws -> [ValueRef] {
        guard let json else { return [] }
        guard case .array(let items) = json else { throw SwiftNetError.value("[\(owner)] Expected a list of [node, output] references.") }
        return try items.map { item in
            guard case .array(let pair) = item, pair.count == 2, case .number(let n) = pair[0], case .number(let o) = pair[1],
                  n == n.rounded(), o == o.rounded(), n >= 0, o >= 0, Int(n) < limit, o < 1024 else {
                throw SwiftNetError.value("[\(owner)] References must name earlier nodes as [node, output]. Received: \(item.serialized)")
            }
            return ValueRef(node: Int(n), output: Int(o))
        }
    }

    private static func parseNode(_ item: JSON, index: Int, scope: GraphScope, owner: String) throws -> GraphNode {
        let entry = try ConfigReader(owner: owner, item)
        let inputs = try refs(entry.json("inputs"), before: index, owner: owner)
        func leaf(_ key: String, _ count: Int) throws -> Int {
            let i = try entry.int(key)
            guard i >= 0, i < count else {
                throw SwiftNetError.value("[\(owner)] Node \(index) names \(key) \(i), but there are \(count).")
            }
            return i
        }
        let kind: NodeKind
        if entry.has("input") { kind = .input(try leaf("input", scope.inputs.count)) }
        else if entry.has("target") { kind = .target(try leaf("target", scope.targets.count)) }
        else if entry.has("sample_weight") { kind = .sampleWeight(try leaf("sample_weight", scope.sampleWeights.count)) }
        else if entry.has("output") { kind = .modelOutput(try leaf("output", scope.modelOutputs.count)) }
        else if entry.has("variable") { kind = .variable(try leaf("variable", scope.variables.count)) }
        else if entry.has("state") { kind = .state(try leaf("state", scope.states.count)) }
        else if entry.has("weight") {
            let pair = try entry.intList("weight")
            guard pair.count == 2, scope.layers.indices.contains(pair[0]), pair[1] >= 0 else {
                throw SwiftNetError.value("[\(owner)] Node \(index) names weight \(pair), which does not exist.")
            }
            kind = .weight(pair[0], pair[1])
        }
        else if entry.has("layer") {
            let training: Bool? = entry.has("training") ? try entry.bool("training", default: false) : nil
            kind = .layer(try leaf("layer", scope.layers.count), training: training)
        } else if entry.has("op") {
            let name = try entry.string("op")
            kind = .op(name, try OpRegistry.make(name, attributes: entry.json("attrs")))
        } else if entry.has("assign") {
            kind = .assign(try leaf("assign", scope.variables.count))
        } else if entry.has("update") {
            kind = .update(try leaf("update", scope.states.count))
        } else {
            throw SwiftNetError.value("[\(owner)] Node \(index) is not an input, variable, layer call or op: \(item.serialized)")
        }
        if case .assign = kind, inputs.count != 1 { throw SwiftNetError.value("[\(owner)] An assign node takes one value.") }
        if case .update = kind, inputs.count != 1 { throw SwiftNetError.value("[\(owner)] An update node takes one value.") }
        if kind.isLeaf && !inputs.isEmpty { throw SwiftNetError.value("[\(owner)] Node \(index) is a leaf and takes no inputs.") }
        return GraphNode(kind: kind, inputs: inputs)
    }

    /// Every node's output specs for leaves of the given specs; with `build`, layers without
    /// weights are built on their first call (with `layerSeeds` for their initializers).
    public func propagate(scope: GraphScope, build: Bool = false, layerSeeds: [UInt64] = []) throws -> [[TensorSpec]] {
        var specs: [[TensorSpec]] = []
        specs.reserveCapacity(nodes.count)
        for (index, node) in nodes.enumerated() {
            let inputs = try node.inputs.map { ref -> TensorSpec in
                guard ref.output < specs[ref.node].count else {
                    throw SwiftNetError.value("[\(owner)] Node \(index) reads output \(ref.output) of node \(ref.node), which has \(specs[ref.node].count).")
                }
                return specs[ref.node][ref.output]
            }
            switch node.kind {
            case .input(let i): specs.append([scope.inputs[i]])
            case .target(let i): specs.append([scope.targets[i]])
            case .sampleWeight(let i): specs.append([scope.sampleWeights[i]])
            case .modelOutput(let i): specs.append([scope.modelOutputs[i]])
            case .variable(let i): specs.append([scope.variables[i].spec])
            case .state(let i): specs.append([scope.states[i].spec])
            case .weight(let l, let w):
                let weights = scope.layers[l].weights
                guard weights.indices.contains(w) else {
                    throw SwiftNetError.value("[\(owner)] Layer '\(scope.layers[l].name)' has no weight \(w) (it has \(weights.count)); weights exist once the layer is called.")
                }
                specs.append([TensorSpec(weights[w].tensor)])
            case .op(_, let op): specs.append(try op.infer(inputs))
            case .layer(let i, _):
                let layer = scope.layers[i]
                specs.append([try layer.infer(inputs, build: build, seed: i < layerSeeds.count ? layerSeeds[i] : UInt64(i))])
            case .assign(let i), .update(let i):
                let target = { if case .assign = node.kind { return scope.variables[i] } else { return scope.states[i] } }()
                guard inputs[0].rank == target.spec.rank,
                      zip(inputs[0].shape, target.spec.shape).allSatisfy({ $0 == nil || $0 == $1 }) else {
                    throw SwiftNetError.value("[\(owner)] Cannot assign a value of shape \(describe(inputs[0].shape)) to variable '\(target.name)' of shape \(describe(target.spec.shape)).")
                }
                specs.append([])
            }
        }
        return specs
    }

    /// Runs the graph: leaves come from `leaf`, outputs are returned, and the new values of
    /// assigned variables and updated states are returned apart (the caller writes them after
    /// the step, once gradients no longer need the old values).
    func run(_ leaf: (NodeKind) throws -> Tensor, scope: GraphScope, tape: Tape, training: Bool, stepSeed: UInt64)
        throws -> (outputs: [Tensor], assigns: [(Variable, Tensor)]) {
        var values: [[Tensor]] = []
        values.reserveCapacity(nodes.count)
        var assigns: [(Variable, Tensor)] = []
        for (index, node) in nodes.enumerated() {
            let inputs = node.inputs.map { values[$0.node][$0.output] }
            switch node.kind {
            case .layer(let i, let override):
                let layer = scope.layers[i]
                let cast = try inputs.map { input in
                    input.dtype == .float32 || layer.keepsIntegerInputs ? input
                        : try SwiftNet.cast(input, to: .float32, OpContext(tape: tape, training: training, seed: 0))
                }
                try layer.checkRuntimeShapes(cast.map { Array($0.shape.dropFirst()) })
                values.append([try layer.call(cast, context: CallContext(training: override ?? training))])
            case .op(_, let op):
                let seed = stepSeed ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
                values.append(try op.run(inputs, OpContext(tape: tape, training: training, seed: seed)))
            case .weight(let l, let w):
                let layer = scope.layers[l], weight = layer.weights[w]
                values.append([Tensor.read(weight.tensor, tape: tape, trainable: weight.trainable && layer.trainable)])
            case .assign(let i):
                assigns.append((scope.variables[i], inputs[0]))
                values.append([])
            case .update(let i):
                assigns.append((scope.states[i], inputs[0]))
                values.append([])
            default:
                values.append([try leaf(node.kind)])
            }
        }
        return (outputs.map { values[$0.node][$0.output] }, assigns)
    }

    public var outputSpecs: [TensorSpec] { outputs.map { specs[$0.node][$0.output] } }
}

extension Tensor {
    /// A step-tape view of a weight or variable: gradients reaching it are added to the
    /// variable's persistent gradient buffer.
    static func read(_ variable: Tensor, tape: Tape, trainable: Bool) -> Tensor {
        Tensor(viewing: variable, tape: tape, requiresGrad: trainable && tape.isRecording)
    }
}

extension Variable {
    /// Writes `value` (same element count) into the variable, converting its dtype.
    func write(_ value: Tensor) throws {
        guard value.count == tensor.count else {
            throw SwiftNetError.value("Cannot assign \(value.count) values to variable '\(name)' of shape \(describe(tensor.shape.map { $0 })).")
        }
        switch (tensor.dtype, value.dtype) {
        case (.int32, .int32): tensor.int32s.update(from: value.int32s, count: tensor.count)
        case (.int64, .int64): tensor.int64s.update(from: value.int64s, count: tensor.count)
        case (.int32, _): for i in 0..<tensor.count { tensor.int32s[i] = saturatingInteger(value.scalar(at: i), as: Int32.self) }
        case (.int64, _): for i in 0..<tensor.count { tensor.int64s[i] = saturatingInteger(value.scalar(at: i), as: Int64.self) }
        case (_, .float32), (_, .bool): tensor.data.update(from: value.data, count: tensor.count)
        default: for i in 0..<tensor.count { tensor.data[i] = Float(value.scalar(at: i)) }
        }
    }
}
