/// Max or average pooling over windows, as Keras's `MaxPooling2D` and `AveragePooling2D`
/// (`pool_size` (2, 2), `strides` = `pool_size`, `padding` "valid").
public class Pooling2D: Layer {
    let window: WindowOptions
    let useMax: Bool
    private var geometry: ConvGeometry?

    init(name: String, config: ConfigReader, max: Bool) throws {
        window = try WindowOptions(config, kernelKey: "pool_size", defaultKernel: [2, 2], defaultStrides: nil,
                                   allowDilation: false)
        useMax = max
        super.init(name: name)
    }

    override public func outputShape(for inputShapes: [[Int]]) throws -> [Int] {
        let g = try window.geometry(for: try singleInput(inputShapes), layer: self)
        return [g.outHeight, g.outWidth, g.channels]
    }

    override public func createWeights(for inputShapes: [[Int]]) throws {
        geometry = try window.geometry(for: inputShapes[0], layer: self)
    }

    override public func call(_ inputs: [Tensor], context: CallContext) throws -> Tensor {
        try useMax ? maxPool2d(inputs[0], geometry: geometry!) : averagePool2d(inputs[0], geometry: geometry!)
    }
}

public final class MaxPooling2D: Pooling2D {
    override public class var className: String { "MaxPooling2D" }
    public init(name: String, config: ConfigReader) throws { try super.init(name: name, config: config, max: true) }
}

public final class AveragePooling2D: Pooling2D {
    override public class var className: String { "AveragePooling2D" }
    public init(name: String, config: ConfigReader) throws { try super.init(name: name, config: config, max: false) }
}

/// Mean or max over all pixels per channel, as Keras's `GlobalAveragePooling2D` and
/// `GlobalMaxPooling2D` (`keepdims` false: output (channels,); true: (1, 1, channels)).
public class GlobalPooling2D: Layer {
    let useMax: Bool
    let keepDims: Bool

    init(name: String, config: ConfigReader, max: Bool) throws {
        useMax = max
        keepDims = try config.bool("keepdims", default: false)
        let format = try config.string("data_format", default: "channels_last")
        super.init(name: name)
        guard format == "channels_last" else { throw invalid("Only data_format='channels_last' is supported.") }
    }

    override public func outputShape(for inputShapes: [[Int]]) throws -> [Int] {
        let (_, _, c) = try imageShape(singleInput(inputShapes), layer: self)
        return keepDims ? [1, 1, c] : [c]
    }

    override public func call(_ inputs: [Tensor], context: CallContext) throws -> Tensor {
        let pooled = try globalPool2d(inputs[0], max: useMax)
        return keepDims ? reshape(pooled, [pooled.shape[0], 1, 1, pooled.shape[1]]) : pooled
    }
}

public final class GlobalAveragePooling2D: GlobalPooling2D {
    override public class var className: String { "GlobalAveragePooling2D" }
    public init(name: String, config: ConfigReader) throws { try super.init(name: name, config: config, max: false) }
}

public final class GlobalMaxPooling2D: GlobalPooling2D {
    override public class var className: String { "GlobalMaxPooling2D" }
    public init(name: String, config: ConfigReader) throws { try super.init(name: name, config: config, max: true) }
}
