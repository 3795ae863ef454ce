/// Applies an activation function, as Keras's `Activation` layer.
public final class ActivationLayer: Layer {
    override public class var className: String { "Activation" }
    override public var acceptsUnknownDimensions: Bool { true }
    public let activation: Activation

    public init(name: String, config: ConfigReader) throws {
        activation = try Activation.named(config.string("activation"), owner: "Activation")
        super.init(name: name)
    }

    override public func call(_ inputs: [Tensor], context: CallContext) throws -> Tensor {
        try applyActivation(inputs[0], activation)
    }
}
