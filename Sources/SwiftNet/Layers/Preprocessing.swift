/// Value preprocessing layers: `Rescaling` and `Normalization`.

/// x · scale + offset, as Keras's `Rescaling` (`offset` 0; scalars or one value per channel).
public final class Rescaling: Layer {
    override public class var className: String { "Rescaling" }
    let scale: [Float], offset: [Float]

    public init(name: String, config: ConfigReader) throws {
        scale = try Rescaling.values(config, "scale", default: nil)
        offset = try Rescaling.values(config, "offset", default: 0)
        super.init(name: name)
    }

    /// A number or a list of numbers.
    static func values(_ config: ConfigReader, _ key: String, default fallback: Float?) throws -> [Float] {
        if case .some(.array(let items)) = config.json(key) {
            return try items.map { item -> Float in
                guard case .number(let d) = item, d.isFinite else { throw config.typeFail("Expected numbers in `\(key)`.") }
                return Float(d)
            }
        }
        return [try config.float(key, default: fallback)]
    }

    override public func outputShape(for inputShapes: [[Int]]) throws -> [Int] {
        let shape = try singleInput(inputShapes)
        for values in [scale, offset] where values.count > 1 && values.count != shape.last {
            throw invalid("Per-channel values must match the last dimension \(shape.last ?? 0). Received \(values.count) values.")
        }
        return shape
    }

    override public func call(_ inputs: [Tensor], context: CallContext) throws -> Tensor {
        channelAffine(inputs[0], scale: scale, offset: offset)
    }
}

/// (x − mean) / max(√variance, 1e-7), as Keras's `Normalization` with `axis` −1 (per feature) or
/// None (one mean and variance). Without `mean`/`variance` in the config its weights `mean`,
/// `variance` and `count` (not trainable) are set by `adapt`.
public final class Normalization: Layer {
    override public class var className: String { "Normalization" }
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
            ? (try Rescaling.values(config, "mean", default: nil), try Rescaling.values(config, "variance", default: nil)) : nil
        super.init(name: name)
        if let fixed, fixed.variance.contains(where: { $0 < 0 }) { throw invalid("`variance` must be non-negative.") }
    }

    override public func outputShape(for inputShapes: [[Int]]) throws -> [Int] {
        let shape = try singleInput(inputShapes)
        if let fixed, fixed.mean.count > 1, fixed.mean.count != shape.last || fixed.variance.count != fixed.mean.count {
            throw invalid("`mean` and `variance` must have one value per feature (\(shape.last ?? 0)).")
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
        let m = fixed?.mean ?? mean!.values
        let v = fixed?.variance ?? variance!.values
        let scale = v.map { 1 / max($0.squareRoot(), 1e-7) }
        return channelAffine(inputs[0], scale: scale, offset: zip(m, scale).map { -$0 * $1 })
    }
}
