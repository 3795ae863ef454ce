/// Flattens each sample to one axis, as Keras's `Flatten`.
public final class Flatten: Layer {
    override public class var className: String { "Flatten" }

    public init(name: String, config: ConfigReader) throws {
        let format = try config.string("data_format", default: "channels_last")
        super.init(name: name)
        guard format == "channels_last" else {
            throw invalid("Only data_format='channels_last' is supported. Received: data_format=\(format)")
        }
    }

    override public func outputShape(for inputShapes: [[Int]]) throws -> [Int] {
        [try singleInput(inputShapes).reduce(1, *)]
    }

    override public func call(_ inputs: [Tensor], context: CallContext) throws -> Tensor {
        let x = inputs[0]
        return reshape(x, [x.shape[0], x.count / max(x.shape[0], 1)])
    }
}
