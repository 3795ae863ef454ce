/// Reshapes each sample to `target_shape` (one entry may be -1), as Keras's `Reshape`.
public final class Reshape: Layer {
    override public class var className: String { "Reshape" }
    public let targetShape: [Int]

    public init(name: String, config: ConfigReader) throws {
        targetShape = try config.intList("target_shape")
        super.init(name: name)
        guard !targetShape.isEmpty, targetShape.allSatisfy({ $0 > 0 || $0 == -1 }),
              targetShape.filter({ $0 == -1 }).count <= 1 else {
            throw invalid("Expected `target_shape` of positive integers with at most one -1. "
                          + "Received: target_shape=\(describeShape(targetShape, batch: false))")
        }
    }

    override public func outputShape(for inputShapes: [[Int]]) throws -> [Int] {
        let input = try singleInput(inputShapes)
        let total = try checkedCount(input, what: className)
        let known = try checkedCount(targetShape.filter { $0 != -1 }, what: className)
        var shape = targetShape
        if let unknown = shape.firstIndex(of: -1) {
            guard known > 0, total % known == 0 else {
                throw invalid("Cannot reshape input of shape \(describeShape(input)) to target_shape=\(describeShape(targetShape, batch: false)).")
            }
            shape[unknown] = total / known
        }
        guard try checkedCount(shape, what: className) == total else {
            throw invalid("Total size of the new array must be unchanged: input_shape=\(describeShape(input)), "
                          + "target_shape=\(describeShape(targetShape, batch: false)).")
        }
        return shape
    }

    override public func call(_ inputs: [Tensor], context: CallContext) throws -> Tensor {
        let x = inputs[0]
        let shape = try outputShape(for: [Array(x.shape.dropFirst())])
        return reshape(x, [x.shape[0]] + shape)
    }
}
