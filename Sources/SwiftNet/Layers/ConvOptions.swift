/// The window arguments shared by convolution and pooling layers, read from a Keras config.
struct WindowOptions {
    /// Upper bound of window sizes, strides and dilations, so that index arithmetic cannot overflow.
    static let largest = 1 << 16
    let kernel: (Int, Int)
    let strides: (Int, Int)
    let dilation: (Int, Int)
    let padding: Padding

    /// Reads `kernelKey` (e.g. "kernel_size" or "pool_size"), `strides` (default: `defaultStrides`,
    /// or the window itself when nil), `padding` and `dilation_rate`, and checks them.
    init(_ config: ConfigReader, kernelKey: String, defaultKernel: [Int]? = nil, defaultStrides: [Int]? = [1, 1],
         allowDilation: Bool = true) throws {
        let owner = config.owner
        let k = try config.intList(kernelKey, count: 2, default: defaultKernel)
        let s = config.has("strides") ? try config.intList("strides", count: 2) : (defaultStrides ?? k)
        let d = allowDilation ? try config.intList("dilation_rate", count: 2, default: [1, 1]) : [1, 1]
        let paddingName = try config.string("padding", default: "valid").lowercased()
        guard let padding = Padding(rawValue: paddingName) else {
            throw SwiftNetError.value("[\(owner)] The `padding` argument must be one of \"valid\", \"same\". Received: padding=\(paddingName)")
        }
        guard k.allSatisfy({ $0 > 0 }) else {
            throw SwiftNetError.value("[\(owner)] The argument `\(kernelKey)` cannot contain 0 or negative values. Received: \(kernelKey)=\(k)")
        }
        guard s.allSatisfy({ $0 > 0 }) else {
            throw SwiftNetError.value("[\(owner)] The argument `strides` cannot contain 0 or negative values. Received: strides=\(s)")
        }
        guard d.allSatisfy({ $0 > 0 }) else {
            throw SwiftNetError.value("[\(owner)] The argument `dilation_rate` cannot contain 0 or negative values. Received: dilation_rate=\(d)")
        }
        for (key, values) in [(kernelKey, k), ("strides", s), ("dilation_rate", d)] where values.contains(where: { $0 > WindowOptions.largest }) {
            throw SwiftNetError.value("[\(owner)] The argument `\(key)` is too large (at most \(WindowOptions.largest)). Received: \(key)=\(values)")
        }
        if s.contains(where: { $0 > 1 }) && d.contains(where: { $0 > 1 }) {
            throw SwiftNetError.value("[\(owner)] strides > 1 not supported in conjunction with dilation_rate > 1. Received: strides=\(s) and dilation_rate=\(d)")
        }
        let format = try config.string("data_format", default: "channels_last")
        guard format == "channels_last" else {
            throw SwiftNetError.value("[\(owner)] Only data_format='channels_last' is supported. Received: data_format=\(format)")
        }
        kernel = (k[0], k[1])
        strides = (s[0], s[1])
        dilation = (d[0], d[1])
        self.padding = padding
    }

    /// The geometry over an input image, or an error when the window does not fit.
    func geometry(for shape: [Int], layer: Layer) throws -> ConvGeometry {
        let (h, w, c) = try imageShape(shape, layer: layer)
        let g = ConvGeometry(height: h, width: w, channels: c, kernel: kernel, stride: strides, dilation: dilation,
                             padding: padding)
        guard g.outHeight > 0, g.outWidth > 0 else {
            throw layer.invalid("Computed output size would be zero or negative for layer '\(layer.name)': input "
                                + "shape=\(describeShape(shape)), window=\(kernel.0)x\(kernel.1), dilation_rate=(\(dilation.0), \(dilation.1)), padding=\(padding.rawValue). The window is larger than the input.")
        }
        return g
    }
}

/// (height, width, channels) of a per-sample image shape, or Keras's rank error.
func imageShape(_ shape: [Int], layer: Layer) throws -> (Int, Int, Int) {
    guard shape.count == 3 else {
        throw layer.invalid("Input 0 of layer \"\(layer.name)\" is incompatible with the layer: expected ndim=4, found ndim=\(shape.count + 1). Full shape received: \(describeShape(shape))")
    }
    return (shape[0], shape[1], shape[2])
}

/// Keras's "kernel_initializer"-style entries with their defaults.
func initializer(_ config: ConfigReader, _ key: String, default name: String) throws -> Initializer {
    try Initializer.from(config.json(key) ?? .string(name), owner: config.owner)
}

/// The arguments every convolution layer takes besides its kernel: window, activation and bias.
struct ConvSettings {
    let window: WindowOptions
    let activation: Activation
    let useBias: Bool
    let biasInitializer: Initializer

    init(_ config: ConfigReader) throws {
        window = try WindowOptions(config, kernelKey: "kernel_size")
        activation = try Activation.named(config.optionalString("activation"), owner: config.owner)
        useBias = try config.bool("use_bias", default: true)
        biasInitializer = try initializer(config, "bias_initializer", default: "zeros")
    }
}
