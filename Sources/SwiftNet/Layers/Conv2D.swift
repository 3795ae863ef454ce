/// 2-D convolution over channels-last images, as Keras's `Conv2D`.
/// Weights: `kernel` (kh, kw, channels / groups, filters), then `bias` (filters,).
public final class Conv2D: Layer {
    override public class var className: String { "Conv2D" }
    public let filters: Int
    public let groups: Int
    let conv: ConvSettings
    let kernelInitializer: Initializer
    private var kernel: Tensor?
    private var bias: Tensor?
    private var geometry: ConvGeometry?

    public init(name: String, config: ConfigReader) throws {
        filters = try config.positiveInt("filters")
        groups = try config.positiveInt("groups", default: 1)
        conv = try ConvSettings(config)
        kernelInitializer = try initializer(config, "kernel_initializer", default: "glorot_uniform")
        super.init(name: name)
        guard filters % groups == 0 else {
            throw invalid("The number of filters must be evenly divisible by the number of groups. Received: groups=\(groups), filters=\(filters).")
        }
    }

    override public func outputShape(for inputShapes: [[Int]]) throws -> [Int] {
        let g = try conv.window.geometry(for: try singleInput(inputShapes), layer: self)
        guard g.channels % groups == 0 else {
            throw invalid("The number of input channels must be evenly divisible by the number of groups. Received: groups=\(groups), input_shape=\(describeShape(inputShapes[0])).")
        }
        return [g.outHeight, g.outWidth, filters]
    }

    override public func createWeights(for inputShapes: [[Int]]) throws {
        let g = try conv.window.geometry(for: inputShapes[0], layer: self)
        geometry = g
        kernel = try addWeight(name: "kernel", shape: [g.kernelH, g.kernelW, g.channels / groups, filters],
                               initializer: kernelInitializer)
        if conv.useBias { bias = try addWeight(name: "bias", shape: [filters], initializer: conv.biasInitializer) }
    }

    override public func call(_ inputs: [Tensor], context: CallContext) throws -> Tensor {
        try biasActivation(conv2d(inputs[0], kernel!, geometry: geometry!, groups: groups), bias: bias, conv.activation)
    }
}

/// Transposed 2-D convolution, as Keras's `Conv2DTranspose`.
/// Weights: `kernel` (kh, kw, filters, channels), then `bias` (filters,).
public final class Conv2DTranspose: Layer {
    override public class var className: String { "Conv2DTranspose" }
    public let filters: Int
    let conv: ConvSettings
    let outputPadding: [Int]?
    let kernelInitializer: Initializer
    private var kernel: Tensor?
    private var bias: Tensor?
    private var geometry: ConvGeometry?

    public init(name: String, config: ConfigReader) throws {
        filters = try config.positiveInt("filters")
        conv = try ConvSettings(config)
        outputPadding = config.has("output_padding") ? try config.intList("output_padding", count: 2) : nil
        kernelInitializer = try initializer(config, "kernel_initializer", default: "glorot_uniform")
        super.init(name: name)
        if let outputPadding {
            for (p, s) in zip(outputPadding, [conv.window.strides.0, conv.window.strides.1]) where p < 0 || p >= s {
                throw invalid("Each `output_padding` must be non-negative and smaller than the stride. Received: output_padding=\(outputPadding), strides=\([conv.window.strides.0, conv.window.strides.1])")
            }
        }
    }

    /// Keras's `deconv_output_length` and the leading padding of the matching convolution.
    private func length(_ input: Int, kernel: Int, stride: Int, dilation: Int, outputPadding: Int?) -> (Int, Int) {
        let effective = (kernel - 1) * dilation + 1
        let length: Int
        if let outputPadding {
            length = (input - 1) * stride + effective - 2 * (conv.window.padding == .same ? effective / 2 : 0) + outputPadding
        } else {
            length = conv.window.padding == .valid ? input * stride + max(effective - stride, 0) : input * stride
        }
        // TensorFlow's "same" padding of the convolution that maps `length` back to `input`.
        let pad = conv.window.padding == .same ? max((input - 1) * stride + effective - length, 0) / 2 : 0
        return (length, pad)
    }

    /// The convolution from this layer's output grid back to its input grid.
    private func makeGeometry(_ shape: [Int]) throws -> ConvGeometry {
        let (h, w, _) = try imageShape(shape, layer: self)
        let rows = length(h, kernel: conv.window.kernel.0, stride: conv.window.strides.0, dilation: conv.window.dilation.0, outputPadding: outputPadding?[0])
        let cols = length(w, kernel: conv.window.kernel.1, stride: conv.window.strides.1, dilation: conv.window.dilation.1, outputPadding: outputPadding?[1])
        guard rows.0 > 0, cols.0 > 0 else {
            throw invalid("Computed output size would be zero or negative for layer '\(name)' and input shape \(describeShape(shape)).")
        }
        return ConvGeometry(height: rows.0, width: cols.0, channels: filters, kernel: conv.window.kernel, stride: conv.window.strides,
                            dilation: conv.window.dilation, pad: (rows.1, cols.1), output: (h, w))
    }

    override public func outputShape(for inputShapes: [[Int]]) throws -> [Int] {
        let g = try makeGeometry(singleInput(inputShapes))
        return [g.height, g.width, filters]
    }

    override public func createWeights(for inputShapes: [[Int]]) throws {
        geometry = try makeGeometry(inputShapes[0])
        kernel = try addWeight(name: "kernel", shape: [conv.window.kernel.0, conv.window.kernel.1, filters, inputShapes[0][2]],
                               initializer: kernelInitializer)
        if conv.useBias { bias = try addWeight(name: "bias", shape: [filters], initializer: conv.biasInitializer) }
    }

    override public func call(_ inputs: [Tensor], context: CallContext) throws -> Tensor {
        try biasActivation(conv2dTranspose(inputs[0], kernel!, geometry: geometry!), bias: bias, conv.activation)
    }
}

/// Depthwise 2-D convolution, as Keras's `DepthwiseConv2D`.
/// Weights: `kernel` (kh, kw, channels, depth_multiplier), then `bias` (channels · depth_multiplier,).
public final class DepthwiseConv2D: Layer {
    override public class var className: String { "DepthwiseConv2D" }
    public let depthMultiplier: Int
    let conv: ConvSettings
    let kernelInitializer: Initializer
    private var kernel: Tensor?
    private var bias: Tensor?
    private var geometry: ConvGeometry?

    public init(name: String, config: ConfigReader) throws {
        depthMultiplier = try config.positiveInt("depth_multiplier", default: 1)
        conv = try ConvSettings(config)
        kernelInitializer = try initializer(config, "depthwise_initializer", default: "glorot_uniform")
        super.init(name: name)
        guard depthMultiplier <= WindowOptions.largest else { throw invalid("`depth_multiplier` is too large. Received: \(depthMultiplier)") }
    }

    override public func outputShape(for inputShapes: [[Int]]) throws -> [Int] {
        let g = try conv.window.geometry(for: try singleInput(inputShapes), layer: self)
        return [g.outHeight, g.outWidth, g.channels * depthMultiplier]
    }

    override public func createWeights(for inputShapes: [[Int]]) throws {
        let g = try conv.window.geometry(for: inputShapes[0], layer: self)
        geometry = g
        kernel = try addWeight(name: "kernel", shape: [g.kernelH, g.kernelW, g.channels, depthMultiplier],
                               initializer: kernelInitializer)
        if conv.useBias { bias = try addWeight(name: "bias", shape: [g.channels * depthMultiplier], initializer: conv.biasInitializer) }
    }

    override public func call(_ inputs: [Tensor], context: CallContext) throws -> Tensor {
        try biasActivation(depthwiseConv2d(inputs[0], kernel!, geometry: geometry!), bias: bias, conv.activation)
    }
}

/// A depthwise convolution followed by a 1x1 convolution, as Keras's `SeparableConv2D`.
/// Weights: `depthwise_kernel` (kh, kw, channels, depth_multiplier), `pointwise_kernel`
/// (1, 1, channels · depth_multiplier, filters), then `bias` (filters,).
public final class SeparableConv2D: Layer {
    override public class var className: String { "SeparableConv2D" }
    public let filters: Int
    public let depthMultiplier: Int
    let conv: ConvSettings
    let depthwiseInitializer: Initializer, pointwiseInitializer: Initializer
    private var depthwise: Tensor?, pointwise: Tensor?, bias: Tensor?
    private var geometry: ConvGeometry?, pointwiseGeometry: ConvGeometry?

    public init(name: String, config: ConfigReader) throws {
        filters = try config.positiveInt("filters")
        depthMultiplier = try config.positiveInt("depth_multiplier", default: 1)
        conv = try ConvSettings(config)
        depthwiseInitializer = try initializer(config, "depthwise_initializer", default: "glorot_uniform")
        pointwiseInitializer = try initializer(config, "pointwise_initializer", default: "glorot_uniform")
        super.init(name: name)
        guard depthMultiplier <= WindowOptions.largest else { throw invalid("`depth_multiplier` is too large. Received: \(depthMultiplier)") }
    }

    override public func outputShape(for inputShapes: [[Int]]) throws -> [Int] {
        let g = try conv.window.geometry(for: try singleInput(inputShapes), layer: self)
        return [g.outHeight, g.outWidth, filters]
    }

    override public func createWeights(for inputShapes: [[Int]]) throws {
        let g = try conv.window.geometry(for: inputShapes[0], layer: self)
        geometry = g
        let middle = g.channels * depthMultiplier
        pointwiseGeometry = ConvGeometry(height: g.outHeight, width: g.outWidth, channels: middle, kernel: (1, 1),
                                         stride: (1, 1), padding: .valid)
        depthwise = try addWeight(name: "depthwise_kernel", shape: [g.kernelH, g.kernelW, g.channels, depthMultiplier],
                                  initializer: depthwiseInitializer)
        pointwise = try addWeight(name: "pointwise_kernel", shape: [1, 1, middle, filters], initializer: pointwiseInitializer)
        if conv.useBias { bias = try addWeight(name: "bias", shape: [filters], initializer: conv.biasInitializer) }
    }

    override public func call(_ inputs: [Tensor], context: CallContext) throws -> Tensor {
        let middle = try depthwiseConv2d(inputs[0], depthwise!, geometry: geometry!)
        return try biasActivation(conv2d(middle, pointwise!, geometry: pointwiseGeometry!), bias: bias, conv.activation)
    }
}
