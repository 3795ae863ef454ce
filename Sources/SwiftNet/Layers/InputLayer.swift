/// The model's entry: declares the per-sample input shape (Keras's `Input(shape=…)`).
public final class InputLayer: Layer {
    override public class var className: String { "InputLayer" }
    public let shape: [Int]

    public init(name: String, config: ConfigReader) throws {
        shape = try config.intList("shape")
        super.init(name: name)
        guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 }) else {
            throw invalid("Expected `shape` to be a non-empty tuple of positive integers. Received: shape=\(describeShape(shape, batch: false))")
        }
    }

    override public var inputCount: Int { 0 }

    override public func outputShape(for inputShapes: [[Int]]) throws -> [Int] { shape }
}
