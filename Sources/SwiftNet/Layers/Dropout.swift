/// Sets inputs to 0 with probability `rate` during training and scales the others by 1/(1-rate);
/// the identity at inference, as Keras's `Dropout`.
public final class Dropout: Layer {
    override public class var className: String { "Dropout" }
    override public var acceptsUnknownDimensions: Bool { true }
    public let rate: Float
    /// Keras's `noise_shape` with the batch axis first (-1: the input's size).
    public let noiseShape: [Int]?
    private var generator: RandomGenerator

    /// Config keys: `rate` (required, in [0, 1)), `noise_shape` (optional), `seed` (optional).
    public init(name: String, config: ConfigReader) throws {
        rate = try config.float("rate")
        noiseShape = config.has("noise_shape") ? try config.intList("noise_shape") : nil
        let seed = config.has("seed") ? UInt64(truncatingIfNeeded: try config.int("seed")) : 0x5EED
        generator = RandomGenerator(seed: seed)
        super.init(name: name)
        guard rate >= 0, rate < 1 else {
            throw invalid("Invalid value received for argument `rate`. Expected a float value between 0 and 1. Received: rate=\(rate)")
        }
    }

    override public func call(_ inputs: [Tensor], context: CallContext) throws -> Tensor {
        guard context.training, rate > 0 else { return inputs[0] }
        return try dropout(inputs[0], rate: rate, noiseShape: noiseShape, generator: &generator)
    }
}
