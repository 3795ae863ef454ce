/// `activation(inputs · kernel + bias)` over the last axis, as Keras's `Dense`.
/// Weights: `kernel` of shape (input_dim, units), then `bias` of shape (units,).
public final class Dense: Layer {
    override public class var className: String { "Dense" }
    override public var acceptsUnknownDimensions: Bool { true }
    public let units: Int
    public let activation: Activation
    public let useBias: Bool
    let kernelInitializer: Initializer
    let biasInitializer: Initializer
    private var kernel: Tensor?
    private var bias: Tensor?

    /// Config keys: `units` (required), `activation` (default none), `use_bias` (default true),
    /// `kernel_initializer` (default "glorot_uniform"), `bias_initializer` (default "zeros").
    public init(name: String, config: ConfigReader) throws {
        units = try config.positiveInt("units")
        activation = try Activation.named(config.optionalString("activation"), owner: "Dense")
        useBias = try config.bool("use_bias", default: true)
        kernelInitializer = try Initializer.from(config.json("kernel_initializer") ?? .string("glorot_uniform"), owner: "Dense")
        biasInitializer = try Initializer.from(config.json("bias_initializer") ?? .string("zeros"), owner: "Dense")
        super.init(name: name)
    }

    override public func outputShape(for inputShapes: [[Int]]) throws -> [Int] {
        let shape = try singleInput(inputShapes)
        guard let last = shape.last, last > 0 else {
            throw invalid("Layer '\(name)' needs an input with a last dimension. Received: input_shape=\(describeShape(shape))")
        }
        return shape.dropLast() + [units]
    }

    override public func createWeights(for inputShapes: [[Int]]) throws {
        let inputDim = inputShapes[0].last!
        kernel = try addWeight(name: "kernel", shape: [inputDim, units], initializer: kernelInitializer)
        if useBias { bias = try addWeight(name: "bias", shape: [units], initializer: biasInitializer) }
    }

    override public func call(_ inputs: [Tensor], context: CallContext) throws -> Tensor {
        try biasActivation(matmul(inputs[0], kernel!), bias: bias, activation)
    }
}
