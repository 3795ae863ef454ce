/// Layers that slide a window along sequences [batch, steps, channels]: `Conv1D`, `MaxPooling1D`,
/// `AveragePooling1D`. They run the 2-D kernels on images one row high; the geometry is worked out
/// per batch, so sequence lengths may change from batch to batch.

/// A 1-D window: size, stride, dilation and padding ("causal" pads the start only, so no output
/// sees a later step).
struct Window1D {
    enum Padding: String { case valid, same, causal }

    let size: Int, stride: Int, dilation: Int
    let padding: Padding

    init(_ config: ConfigReader, sizeKey: String, defaultSize: Int? = nil, strideDefaultsToSize: Bool, allowCausal: Bool) throws {
        let owner = config.owner
        size = try config.intList(sizeKey, count: 1, default: defaultSize.map { [$0] })[0]
        stride = config.has("strides") ? try config.intList("strides", count: 1)[0] : (strideDefaultsToSize ? size : 1)
        dilation = config.has("dilation_rate") ? try config.intList("dilation_rate", count: 1)[0] : 1
        let name = try config.string("padding", default: "valid").lowercased()
        guard let padding = Padding(rawValue: name), padding != .causal || allowCausal else {
            let allowed = allowCausal ? "\"valid\", \"same\", \"causal\"" : "\"valid\", \"same\""
            throw SwiftNetError.value("[\(owner)] The `padding` argument must be one of \(allowed). Received: padding=\(name)")
        }
        self.padding = padding
        for (key, value) in [(sizeKey, size), ("strides", stride), ("dilation_rate", dilation)] {
            guard value > 0 else { throw SwiftNetError.value("[\(owner)] The argument `\(key)` cannot contain 0 or negative values. Received: \(key)=\(value)") }
            guard value <= WindowOptions.largest else {
                throw SwiftNetError.value("[\(owner)] The argument `\(key)` is too large (at most \(WindowOptions.largest)). Received: \(key)=\(value)")
            }
        }
        if stride > 1 && dilation > 1 {
            throw SwiftNetError.value("[\(owner)] strides > 1 not supported in conjunction with dilation_rate > 1. Received: strides=\(stride) and dilation_rate=\(dilation)")
        }
        let format = try config.string("data_format", default: "channels_last")
        guard format == "channels_last" else {
            throw SwiftNetError.value("[\(owner)] Only data_format='channels_last' is supported. Received: data_format=\(format)")
        }
    }

    /// Output length and padding before the first step for `length` steps.
    func output(_ length: Int) -> (out: Int, before: Int) {
        switch padding {
        case .valid: return ConvGeometry.length(length, kernel: size, stride: stride, dilation: dilation, padding: .valid)
        case .same: return ConvGeometry.length(length, kernel: size, stride: stride, dilation: dilation, padding: .same)
        case .causal: return (length > 0 ? (length - 1) / stride + 1 : 0, (size - 1) * dilation)
        }
    }

    /// The geometry over [1, length] images, or Keras's error when the window does not fit.
    func geometry(length: Int, channels: Int, layer: Layer) throws -> ConvGeometry {
        let (out, before) = output(length)
        guard out > 0 else {
            throw layer.invalid("Computed output size would be zero or negative for layer '\(layer.name)': \(length) steps, window=\(size), dilation_rate=\(dilation), padding=\(padding.rawValue). The window is longer than the sequence.")
        }
        return ConvGeometry(height: 1, width: length, channels: channels, kernel: (1, size), stride: (1, stride),
                            dilation: (1, dilation), pad: (0, before), output: (1, out))
    }
}

/// (steps, channels) of a per-sample sequence shape, or Keras's rank error.
func sequenceShape(_ shape: [Int], layer: Layer) throws -> (Int, Int) {
    guard shape.count == 2 else {
        throw layer.invalid("Input 0 of layer \"\(layer.name)\" is incompatible with the layer: expected ndim=3, found ndim=\(shape.count + 1). Full shape received: \(describeShape(shape))")
    }
    return (shape[0], shape[1])
}

/// 1-D convolution, as Keras's `Conv1D`. Weights: `kernel` (size, channels / groups, filters),
/// then `bias` (filters,).
public final class Conv1D: Layer {
    override public class var className: String { "Conv1D" }
    override public var acceptsUnknownDimensions: Bool { true }
    public let filters: Int
    public let groups: Int
    let window: Window1D
    let activation: Activation
    let useBias: Bool
    let kernelInitializer: Initializer, biasInitializer: Initializer
    private var kernel: Tensor?
    private var bias: Tensor?

    public init(name: String, config: ConfigReader) throws {
        filters = try config.positiveInt("filters")
        groups = try config.positiveInt("groups", default: 1)
        window = try Window1D(config, sizeKey: "kernel_size", strideDefaultsToSize: false, allowCausal: true)
        activation = try Activation.named(config.optionalString("activation"), owner: config.owner)
        useBias = try config.bool("use_bias", default: true)
        kernelInitializer = try initializer(config, "kernel_initializer", default: "glorot_uniform")
        biasInitializer = try initializer(config, "bias_initializer", default: "zeros")
        super.init(name: name)
        guard filters % groups == 0 else {
            throw invalid("The number of filters must be evenly divisible by the number of groups. Received: groups=\(groups), filters=\(filters).")
        }
    }

    override public func outputShape(for inputShapes: [[Int]]) throws -> [Int] {
        let (steps, channels) = try sequenceShape(try singleInput(inputShapes), layer: self)
        guard channels > 0 else { throw invalid("Layer '\(name)' needs the number of input channels known.") }
        guard channels % groups == 0 else {
            throw invalid("The number of input channels must be evenly divisible by the number of groups. Received: groups=\(groups), input_shape=\(describeShape(inputShapes[0])).")
        }
        return [steps < 0 ? -1 : try window.geometry(length: steps, channels: channels, layer: self).outWidth, filters]
    }

    override public func createWeights(for inputShapes: [[Int]]) throws {
        let channels = inputShapes[0][1]
        kernel = try addWeight(name: "kernel", shape: [window.size, channels / groups, filters], initializer: kernelInitializer)
        if useBias { bias = try addWeight(name: "bias", shape: [filters], initializer: biasInitializer) }
    }

    override public func call(_ inputs: [Tensor], context: CallContext) throws -> Tensor {
        let x = inputs[0], (batch, steps, channels) = (x.shape[0], x.shape[1], x.shape[2])
        let g = try window.geometry(length: steps, channels: channels, layer: self)
        let image = reshape(x, [batch, 1, steps, channels])
        // The weight seen as a one-row 2-D kernel; its gradient goes straight to the weight.
        let kernel4 = Tensor(viewing: kernel!, shape: [1, window.size, channels / groups, filters],
                             requiresGrad: kernel!.requiresGrad, forwardingGradient: true)
        let out = try biasActivation(conv2d(image, kernel4, geometry: g, groups: groups), bias: bias, activation)
        return reshape(out, [batch, g.outWidth, filters])
    }
}

/// Max or average over windows along the steps, as Keras's `MaxPooling1D` and
/// `AveragePooling1D` (`pool_size` 2, `strides` = `pool_size`, `padding` "valid").
public class Pooling1D: Layer {
    override public var acceptsUnknownDimensions: Bool { true }
    let window: Window1D
    let useMax: Bool

    init(name: String, config: ConfigReader, max: Bool) throws {
        window = try Window1D(config, sizeKey: "pool_size", defaultSize: 2, strideDefaultsToSize: true, allowCausal: false)
        useMax = max
        super.init(name: name)
    }

    override public func outputShape(for inputShapes: [[Int]]) throws -> [Int] {
        let (steps, channels) = try sequenceShape(try singleInput(inputShapes), layer: self)
        return [steps < 0 ? -1 : try window.geometry(length: steps, channels: max(channels, 1), layer: self).outWidth, channels]
    }

    override public func call(_ inputs: [Tensor], context: CallContext) throws -> Tensor {
        let x = inputs[0], (batch, steps, channels) = (x.shape[0], x.shape[1], x.shape[2])
        let g = try window.geometry(length: steps, channels: channels, layer: self)
        let image = reshape(x, [batch, 1, steps, channels])
        let out = try useMax ? maxPool2d(image, geometry: g) : averagePool2d(image, geometry: g)
        return reshape(out, [batch, g.outWidth, channels])
    }
}

public final class MaxPooling1D: Pooling1D {
    override public class var className: String { "MaxPooling1D" }
    public init(name: String, config: ConfigReader) throws { try super.init(name: name, config: config, max: true) }
}

public final class AveragePooling1D: Pooling1D {
    override public class var className: String { "AveragePooling1D" }
    public init(name: String, config: ConfigReader) throws { try super.init(name: name, config: config, max: false) }
}
