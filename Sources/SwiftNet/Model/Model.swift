/// A graph of layers built from a Keras-like spec, with its compile settings and step workspace.
///
/// Spec (JSON): `{"name": …, "seed": …, "layers": [{"class_name", "name", "config", "inbound": [i…]}…],
/// "inputs": [i], "outputs": [j]}`; `inbound` lists earlier layer indices, so the list is in
/// topological order. Not thread-safe: callers serialise access (the C ABI holds a lock per model).
public final class Model {
    public struct Node {
        public let layer: Layer
        public let inbound: [Int]
        /// Per-sample output shape.
        public let outputShape: [Int]
    }

    public let name: String
    public let nodes: [Node]
    public let inputNode: Int
    public let outputNode: Int
    /// Loss, optimizer and metrics, set by `compile`.
    public private(set) var loss: Loss?
    public private(set) var optimizer: Optimizer?
    public private(set) var metrics: [Metric] = []
    /// Scratch memory and gradient records of the current step.
    let tape = Tape()

    public var inputShape: [Int] { nodes[inputNode].outputShape }
    public var outputShape: [Int] { nodes[outputNode].outputShape }
    public var layers: [Layer] { nodes.map(\.layer) }
    public var trainableWeights: [Tensor] {
        nodes.filter(\.layer.trainable).flatMap { $0.layer.weights.filter(\.trainable).map(\.tensor) }
    }

    /// Builds every layer and its weights.
    /// - Throws: `SwiftNetError` for malformed specs, unknown layers, invalid configs or shapes.
    public init(spec: JSON) throws {
        let config = try ConfigReader(owner: "Model", spec)
        name = try config.string("name", default: "model")
        let seed = UInt64(truncatingIfNeeded: try config.int("seed", default: 1337))
        guard case .some(.array(let layerSpecs)) = config.json("layers"), !layerSpecs.isEmpty else {
            throw SwiftNetError.value("[Model] The model has no layers.")
        }
        var nodes: [Node] = []
        var names = Set<String>()
        for (index, item) in layerSpecs.enumerated() {
            let entry = try ConfigReader(owner: "Model", item)
            let className = try entry.string("class_name")
            let layerName = try entry.string("name", default: "\(className.lowercased())_\(index)")
            guard names.insert(layerName).inserted else {
                throw SwiftNetError.value("[Model] All layer names should be unique. Duplicate: '\(layerName)'.")
            }
            let inbound = try entry.intList("inbound", default: [])
            guard inbound.allSatisfy({ $0 >= 0 && $0 < index }) else {
                throw SwiftNetError.value("[Model] Layer '\(layerName)' takes inputs from unknown or later layers: \(inbound).")
            }
            let layer = try LayerRegistry.make(className: className, name: layerName, config: entry.json("config"))
            layer.trainable = try entry.bool("trainable", default: true)
            guard inbound.count == layer.inputCount else {
                throw SwiftNetError.value("[\(className)] Layer '\(layerName)' expects \(layer.inputCount) input(s). Received: \(inbound.count).")
            }
            // A layer's own "seed" (set by the Python package) wins over the model's.
            let layerSeed = entry.has("seed") ? UInt64(truncatingIfNeeded: try entry.int("seed"))
                : seed &+ UInt64(index) &* 0x2545_F491_4F6C_DD1D
            let inputShapes = inbound.map { nodes[$0].outputShape }
            let shape = try layer.outputShape(for: inputShapes)
            _ = try checkedCount(shape, what: className)
            _ = try layer.build(inputShapes: inputShapes, seed: layerSeed)
            nodes.append(Node(layer: layer, inbound: inbound, outputShape: shape))
        }
        self.nodes = nodes
        let inputs = try config.intList("inputs", default: [0])
        let outputs = try config.intList("outputs", default: [nodes.count - 1])
        guard inputs.count == 1, outputs.count == 1 else {
            throw SwiftNetError.value("[Model] Models with several inputs or outputs are not supported yet. Received: \(inputs.count) inputs, \(outputs.count) outputs.")
        }
        guard nodes.indices.contains(inputs[0]), nodes[inputs[0]].layer is InputLayer else {
            throw SwiftNetError.value("[Model] `inputs` must name an InputLayer.")
        }
        guard nodes.indices.contains(outputs[0]) else { throw SwiftNetError.value("[Model] `outputs` names no layer.") }
        if let stray = nodes.indices.first(where: { nodes[$0].layer is InputLayer && $0 != inputs[0] }) {
            throw SwiftNetError.value("[Model] Layer '\(nodes[stray].layer.name)' is an input that is not in `inputs`.")
        }
        inputNode = inputs[0]
        outputNode = outputs[0]
    }

    /// Sets loss, optimizer and metrics from `{"loss": …, "optimizer": …, "metrics": […]}`;
    /// a failed compile leaves the previous settings in place.
    public func compile(_ settings: JSON) throws {
        let config = try ConfigReader(owner: "compile", settings)
        guard let lossSpec = config.json("loss") else {
            throw SwiftNetError.value("[compile] Argument `loss` must be provided.")
        }
        let newLoss = try Loss.from(lossSpec)
        let newOptimizer = try Optimizer.from(config.json("optimizer") ?? .string("rmsprop"))
        var newMetrics: [Metric] = []
        if case .some(.array(let items)) = config.json("metrics") {
            newMetrics = try items.map(Metric.from)
        } else if let single = config.json("metrics") {
            throw SwiftNetError.type("[compile] Expected `metrics` to be a list. Received: metrics=\(single.serialized)")
        }
        var seen = Set(["loss"])
        for m in newMetrics where !seen.insert(m.name).inserted {
            throw SwiftNetError.value("[compile] Metric names must be unique. Duplicate: '\(m.name)'.")
        }
        loss = newLoss
        optimizer = newOptimizer
        metrics = newMetrics
    }


    /// Runs the layers on a batch `x` (shape [batch] + inputShape) on the model's tape.
    func forward(_ x: Tensor, training: Bool) throws -> Tensor {
        var outputs = [Tensor?](repeating: nil, count: nodes.count)
        outputs[inputNode] = x
        let context = CallContext(training: training)
        for (i, node) in nodes.enumerated() where i != inputNode {
            let inputs = node.inbound.map { outputs[$0]! }
            outputs[i] = try node.layer.call(inputs, context: context)
        }
        return outputs[outputNode]!
    }
}
