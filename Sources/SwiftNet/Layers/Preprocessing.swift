/// Value preprocessing layers: `Rescaling` and `Normalization`.

/// x · scale + offset, as Keras's `Rescaling` (`offset` 0; scalars or one value per channel).
public final class Rescaling: Layer {
    override public class var className: String { "Rescaling" }
    override public var acceptsUnknownDimensions: Bool { true }
    let scale: [Float], offset: [Float]

    public init(name: String, config: ConfigReader) throws {
        scale = try config.floats("scale")
        offset = try config.floats("offset", default: 0)
        super.init(name: name)
    }

    override public func outputShape(for inputShapes: [[Int]]) throws -> [Int] {
        let shape = try singleInput(inputShapes)
        for values in [scale, offset] where values.count > 1 && values.count != shape.last {
            throw invalid("Per-channel values must match the last dimension \(shape.last ?? 0). Received \(values.count) values.")
        }
        return shape
    }

    override public func call(_ inputs: [Tensor], context: CallContext) throws -> Tensor {
        try channelAffine(inputs[0], scale: scale, offset: offset)
    }
}

/// (x − mean) / max(√variance, 1e-7), as Keras's `Normalization` with `axis` −1 (per feature) or
/// None (one mean and variance). Without `mean`/`variance` in the config its weights `mean`,
/// `variance` and `count` (not trainable) are set by `adapt`.
public final class Normalization: Layer {
    override public class var className: String { "Normalization" }
    override public var acceptsUnknownDimensions: Bool { true }
    let perFeature: Bool
    let fixed: (mean: [Float], variance: [Float])?
    private var mean: Tensor?, variance: Tensor?

    public init(name: String, config: ConfigReader) throws {
        switch config.json("axis") {
        case .none: perFeature = false
        case .some(.number(let a)) where a == -1: perFeature = true
        case .some(let other):
            throw SwiftNetError.value("[Normalization] Only axis=-1 or axis=None is supported. Received: axis=\(other.serialized)")
        }
        if config.has("mean") != config.has("variance") {
            throw SwiftNetError.value("[Normalization] When setting values directly, both `mean` and `variance` must be set.")
        }
        fixed = config.has("mean")
            ? (try config.floats("mean"), try config.floats("variance")) : nil
        super.init(name: name)
        if let fixed, fixed.variance.contains(where: { $0 < 0 }) { throw invalid("`variance` must be non-negative.") }
    }

    override public func outputShape(for inputShapes: [[Int]]) throws -> [Int] {
        let shape = try singleInput(inputShapes)
        if perFeature || fixed != nil, (shape.last ?? -1) < 0 {
            throw invalid("Layer '\(name)' needs a known feature axis. Received: input_shape=\(describeShape(shape))")
        }
        if let fixed, [fixed.mean.count, fixed.variance.count].contains(where: { $0 != 1 && $0 != shape.last }) {
            throw invalid("`mean` and `variance` must be single values or have one value per feature (\(shape.last ?? 0)). Received \(fixed.mean.count) and \(fixed.variance.count) values.")
        }
        return shape
    }

    override public func createWeights(for inputShapes: [[Int]]) throws {
        guard fixed == nil else { return }
        let size = perFeature ? inputShapes[0].last! : 1
        mean = try addWeight(name: "mean", shape: perFeature ? [size] : [], initializer: Initializer(.zeros), trainable: false)
        variance = try addWeight(name: "variance", shape: perFeature ? [size] : [], initializer: Initializer(.ones), trainable: false)
        _ = try addWeight(name: "count", shape: [], initializer: Initializer(.zeros), trainable: false)
    }

    override public func call(_ inputs: [Tensor], context: CallContext) throws -> Tensor {
        let c = inputs[0].lastDim
        func perChannel(_ values: [Float]) -> [Float] { values.count == 1 ? Array(repeating: values[0], count: c) : values }
        let m = perChannel(fixed?.mean ?? mean!.values)
        let v = perChannel(fixed?.variance ?? variance!.values)
        let scale = v.map { 1 / max($0.squareRoot(), 1e-7) }
        return try channelAffine(inputs[0], scale: scale, offset: zip(m, scale).map { -$0 * $1 })
    }
}
