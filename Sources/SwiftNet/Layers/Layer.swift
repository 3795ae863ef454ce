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
        initializer.fill(tensor, fallbackSeed: fallback)
        weights.append(Weight(name: name, tensor: tensor, trainable: trainable))
        return tensor
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
        "InputLayer": { name, config in try InputLayer(name: name, config: config) },
        "Dense": { name, config in try Dense(name: name, config: config) },
        "Activation": { name, config in try ActivationLayer(name: name, config: config) },
        "Flatten": { name, config in try Flatten(name: name, config: config) },
        "Dropout": { name, config in try Dropout(name: name, config: config) },
        "Reshape": { name, config in try Reshape(name: name, config: config) },
        "Conv2D": { name, config in try Conv2D(name: name, config: config) },
        "Conv2DTranspose": { name, config in try Conv2DTranspose(name: name, config: config) },
        "DepthwiseConv2D": { name, config in try DepthwiseConv2D(name: name, config: config) },
        "SeparableConv2D": { name, config in try SeparableConv2D(name: name, config: config) },
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
