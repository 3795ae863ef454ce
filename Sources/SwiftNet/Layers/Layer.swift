/// One weight of a layer, in Keras's order and with Keras's name (`kernel`, `bias`, …).
public struct Weight {
    public let name: String
    public let tensor: Tensor
    /// Trainable weights receive gradients; others (moving statistics) are updated by their layer.
    public let trainable: Bool
}

/// What a layer's `call` may use besides its inputs.
public struct CallContext {
    /// Training mode: dropout and augmentation active, batch statistics used.
    public let training: Bool
}

/// A layer as in Keras 3: the config is validated in `init`, weights are created in `build` once
/// input shapes are known, and `call` is written forward-only on differentiable ops.
///
/// Shapes here are per sample: the batch axis is implied.
open class Layer {
    public let name: String
    public private(set) var weights: [Weight] = []
    public private(set) var isBuilt = false
    /// When false, the layer's weights are frozen (Keras's `layer.trainable = False`).
    public var trainable = true

    /// The Keras class name, used in messages and summaries.
    open class var className: String { "Layer" }
    public var className: String { Swift.type(of: self).className }

    public init(name: String) {
        self.name = name
    }

    /// Number of inputs the layer takes.
    open var inputCount: Int { 1 }

    /// The output shape for `inputShapes`, or an error saying what was expected.
    open func outputShape(for inputShapes: [[Int]]) throws -> [Int] {
        try singleInput(inputShapes)
    }

    /// Creates the weights; called once, after `outputShape(for:)` has accepted the shapes.
    open func createWeights(for inputShapes: [[Int]]) throws {}

    /// The forward computation on a batch (tensors carry the batch axis first).
    open func call(_ inputs: [Tensor], context: CallContext) throws -> Tensor {
        inputs[0]
    }

    /// Validates `inputShapes` and creates the weights, seeding initializers without a seed of
    /// their own from `seed`.
    public final func build(inputShapes: [[Int]], seed: UInt64) throws -> [Int] {
        let shape = try outputShape(for: inputShapes)
        _ = try checkedCount(shape, what: className)
        if !isBuilt {
            weightSeed = seed
            try createWeights(for: inputShapes)
            isBuilt = true
        }
        return shape
    }

    private var weightSeed: UInt64 = 0

    /// Adds a weight filled by `initializer`, as Keras's `add_weight`.
    public func addWeight(name: String, shape: [Int], initializer: Initializer, trainable: Bool = true) throws -> Tensor {
        _ = try checkedCount(shape, what: className)
        let tensor = try trainable ? Tensor(variable: shape) : Tensor(zeros: shape)
        let fallback = weightSeed &+ UInt64(weights.count) &* 0x9E37_79B9_7F4A_7C15
        try initializer.validate(shape: shape, owner: className)
        initializer.fill(tensor, fallbackSeed: fallback)
        weights.append(Weight(name: name, tensor: tensor, trainable: trainable))
        return tensor
    }

    /// Whether the layer works with input dimensions unknown until data arrives (other than the
    /// last, which sizes its weights); layers with geometry fixed at build time do not.
    open var acceptsUnknownDimensions: Bool { false }
    /// Whether integer inputs reach `call` as they are (token ids) rather than as float32.
    open var keepsIntegerInputs: Bool { false }
    /// The per-sample input shapes the layer was built for (-1: unknown).
    public private(set) var builtShapes: [[Int]]?

    /// The output spec for inputs of `inputs` specs (batch axis first), building the layer on
    /// its first call when `build` is set.
    /// - Throws: `SwiftNetError` for inputs the layer cannot take.
    public final func infer(_ inputs: [TensorSpec], build: Bool, seed: UInt64) throws -> TensorSpec {
        guard inputs.count == inputCount else {
            throw invalid("Layer '\(name)' expects \(inputCount) input(s). Received: \(inputs.count).")
        }
        guard let first = inputs.first, inputs.allSatisfy({ $0.rank >= 1 }) else {
            throw invalid("Layer '\(name)' needs inputs with a batch axis. Received: \(inputs.map { describe($0.shape) }).")
        }
        let shapes = inputs.map { $0.shape.dropFirst().map { $0 ?? -1 } }
        if !acceptsUnknownDimensions, shapes.contains(where: { $0.contains(-1) }) {
            throw invalid("Layer '\(name)' needs every input dimension known except the batch. Received: input_shape=\(inputs.map { describe($0.shape) }.joined(separator: ", ")).")
        }
        if builtShapes != nil { try checkRuntimeShapes(shapes) }
        let out = try outputShape(for: shapes)
        if build && !isBuilt {
            _ = try self.build(inputShapes: shapes, seed: seed)
            builtShapes = shapes
        }
        return TensorSpec(shape: [first.shape[0]] + out.map { $0 < 0 ? nil : $0 })
    }

    /// Checks per-sample input shapes against those the layer was built for (where known).
    public final func checkRuntimeShapes(_ shapes: [[Int]]) throws {
        guard let builtShapes else { return }
        let fits = shapes.count == builtShapes.count && zip(shapes, builtShapes).allSatisfy { shape, built in
            shape.count == built.count && zip(shape, built).allSatisfy { $1 < 0 || $0 < 0 || $0 == $1 }
        }
        guard fits else {
            throw invalid("Layer '\(name)' was built for input shape \(builtShapes.map { describeShape($0) }.joined(separator: ", ")); received \(shapes.map { describeShape($0) }.joined(separator: ", ")).")
        }
    }

    /// The one input shape of a single-input layer.
    @discardableResult
    public func singleInput(_ inputShapes: [[Int]]) throws -> [Int] {
        guard inputShapes.count == 1 else {
            throw SwiftNetError.value("[\(className)] Layer '\(name)' expects 1 input. Received: \(inputShapes.count) inputs.")
        }
        return inputShapes[0]
    }

    /// "[Dense] message" errors.
    public func invalid(_ message: String) -> SwiftNetError { .value("[\(className)] \(message)") }
}

/// Creates layers from their Keras class name and config.
public enum LayerRegistry {
    public typealias Factory = (_ name: String, _ config: ConfigReader) throws -> Layer

    private static let factories: [String: Factory] = [
        "Dense": { name, config in try Dense(name: name, config: config) },
        "Activation": { name, config in try ActivationLayer(name: name, config: config) },
        "Flatten": { name, config in try Flatten(name: name, config: config) },
        "Dropout": { name, config in try Dropout(name: name, config: config) },
        "Reshape": { name, config in try Reshape(name: name, config: config) },
        "Conv2D": { name, config in try Conv2D(name: name, config: config) },
        "Conv2DTranspose": { name, config in try Conv2DTranspose(name: name, config: config) },
        "DepthwiseConv2D": { name, config in try DepthwiseConv2D(name: name, config: config) },
        "SeparableConv2D": { name, config in try SeparableConv2D(name: name, config: config) },
        "Conv1D": { name, config in try Conv1D(name: name, config: config) },
        "MaxPooling1D": { name, config in try MaxPooling1D(name: name, config: config) },
        "AveragePooling1D": { name, config in try AveragePooling1D(name: name, config: config) },
        "MaxPooling2D": { name, config in try MaxPooling2D(name: name, config: config) },
        "AveragePooling2D": { name, config in try AveragePooling2D(name: name, config: config) },
        "GlobalAveragePooling2D": { name, config in try GlobalAveragePooling2D(name: name, config: config) },
        "GlobalMaxPooling2D": { name, config in try GlobalMaxPooling2D(name: name, config: config) },
        "ZeroPadding2D": { name, config in try ZeroPadding2D(name: name, config: config) },
        "UpSampling2D": { name, config in try UpSampling2D(name: name, config: config) },
        "BatchNormalization": { name, config in try BatchNormalization(name: name, config: config) },
        "Rescaling": { name, config in try Rescaling(name: name, config: config) },
        "Normalization": { name, config in try Normalization(name: name, config: config) },
        "RandomFlip": { name, config in try RandomFlip(name: name, config: config) },
        "RandomTranslation": { name, config in try RandomTranslation(name: name, config: config) },
        "RandomRotation": { name, config in try RandomRotation(name: name, config: config) },
        "RandomZoom": { name, config in try RandomZoom(name: name, config: config) },
        "RandomCrop": { name, config in try RandomCrop(name: name, config: config) },
        "RandomContrast": { name, config in try RandomContrast(name: name, config: config) },
    ]

    /// All registered class names.
    public static var classNames: [String] { factories.keys.sorted() }

    /// - Throws: `SwiftNetError` for unknown classes and invalid configs.
    public static func make(className: String, name: String, config: JSON?) throws -> Layer {
        guard let factory = factories[className] else {
            throw SwiftNetError.value("Unknown layer class: '\(className)'. Known layers: \(classNames.joined(separator: ", ")).")
        }
        return try factory(name, try ConfigReader(owner: className, config))
    }
}
