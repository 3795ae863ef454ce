/// Batch normalization over the last axis, as Keras's `BatchNormalization` (`momentum` 0.99,
/// `epsilon` 0.001, `center` and `scale` true). Weights: `gamma`, `beta` (trainable), then
/// `moving_mean`, `moving_variance` (not trainable, updated during training).
public final class BatchNormalization: Layer {
    override public class var className: String { "BatchNormalization" }
    override public var acceptsUnknownDimensions: Bool { true }
    public let momentum: Float, epsilon: Float
    public let center: Bool, scale: Bool
    let initializers: (gamma: Initializer, beta: Initializer, mean: Initializer, variance: Initializer)
    private var gamma: Tensor?, beta: Tensor?, movingMean: Tensor?, movingVariance: Tensor?

    public init(name: String, config: ConfigReader) throws {
        momentum = try config.float("momentum", default: 0.99)
        epsilon = try config.float("epsilon", default: 1e-3)
        center = try config.bool("center", default: true)
        scale = try config.bool("scale", default: true)
        initializers = (try initializer(config, "gamma_initializer", default: "ones"),
                        try initializer(config, "beta_initializer", default: "zeros"),
                        try initializer(config, "moving_mean_initializer", default: "zeros"),
                        try initializer(config, "moving_variance_initializer", default: "ones"))
        let axis = try config.int("axis", default: -1)
        super.init(name: name)
        guard axis == -1 else { throw invalid("Only axis=-1 (channels last) is supported. Received: axis=\(axis)") }
        guard momentum >= 0, momentum <= 1, epsilon > 0 else {
            throw invalid("Expected 0 <= momentum <= 1 and epsilon > 0. Received: momentum=\(momentum), epsilon=\(epsilon)")
        }
    }

    override public func outputShape(for inputShapes: [[Int]]) throws -> [Int] {
        let shape = try singleInput(inputShapes)
        guard let c = shape.last, c > 0 else { throw invalid("Layer '\(name)' needs inputs with a known feature axis. Received: input_shape=\(describeShape(shape))") }
        return shape
    }

    override public func createWeights(for inputShapes: [[Int]]) throws {
        let c = inputShapes[0].last!
        if scale { gamma = try addWeight(name: "gamma", shape: [c], initializer: initializers.gamma) }
        if center { beta = try addWeight(name: "beta", shape: [c], initializer: initializers.beta) }
        movingMean = try addWeight(name: "moving_mean", shape: [c], initializer: initializers.mean, trainable: false)
        movingVariance = try addWeight(name: "moving_variance", shape: [c], initializer: initializers.variance, trainable: false)
    }

    override public func call(_ inputs: [Tensor], context: CallContext) throws -> Tensor {
        // A frozen layer (trainable = false) runs in inference mode, as in Keras.
        try batchNormalization(inputs[0], gamma: gamma, beta: beta, movingMean: movingMean!, movingVariance: movingVariance!,
                           momentum: momentum, epsilon: epsilon, training: context.training && trainable)
    }
}
