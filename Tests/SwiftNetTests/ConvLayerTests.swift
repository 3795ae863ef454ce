import XCTest
@testable import SwiftNet

/// Image layers: gradients against finite differences, and forward passes against direct
/// (loop-by-loop) reference implementations.
final class ConvLayerTests: XCTestCase {
    func make(_ className: String, _ config: String, input: [Int]) throws -> Layer {
        let layer = try LayerRegistry.make(className: className, name: className.lowercased(), config: JSON.parse(config))
        _ = try layer.build(inputShapes: [input], seed: 3)
        // Non-trivial biases and BN parameters, so gradients through them are exercised.
        for (i, w) in layer.weights.enumerated() where w.name != "kernel" && !w.name.hasSuffix("kernel") {
            for j in 0..<w.tensor.count { w.tensor.data[j] = 0.5 + 0.1 * Float((i + j) % 5) }
        }
        return layer
    }

    func gradientCheck(_ className: String, _ config: String, input: [Int], expected: [Int], batch: Int = 2,
                       training: Bool = true, values: [Float]? = nil, file: StaticString = #filePath,
                       line: UInt = #line) throws {
        let layer = try make(className, config, input: input)
        XCTAssertEqual(try layer.outputShape(for: [input]), expected, file: file, line: line)
        var checker = GradientChecker()
        checker.tolerance = 3e-2
        try checker.check(inputs: [([batch] + input, values ?? GradientChecker.values(batch * input.reduce(1, *), seed: 4))],
                          parameters: layer.weights.filter(\.trainable).map(\.tensor), training: training,
                          file: file, line: line) { x in
            try layer.call(x, context: CallContext(training: training))
        }
    }

    func testConvolutionGradients() throws {
        try gradientCheck("Conv2D", #"{"filters": 3, "kernel_size": 3}"#, input: [5, 5, 2], expected: [3, 3, 3])
        try gradientCheck("Conv2D", #"{"filters": 2, "kernel_size": [2, 3], "strides": 2, "padding": "same", "activation": "tanh"}"#,
                          input: [5, 6, 3], expected: [3, 3, 2])
        try gradientCheck("Conv2D", #"{"filters": 4, "kernel_size": 3, "dilation_rate": 2, "padding": "same", "groups": 2}"#,
                          input: [5, 5, 4], expected: [5, 5, 4])
        try gradientCheck("Conv2D", #"{"filters": 3, "kernel_size": 1, "use_bias": false}"#, input: [3, 3, 2], expected: [3, 3, 3])
        try gradientCheck("Conv2DTranspose", #"{"filters": 2, "kernel_size": 3, "strides": 2}"#, input: [3, 3, 2], expected: [7, 7, 2])
        try gradientCheck("Conv2DTranspose", #"{"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}"#,
                          input: [3, 2, 2], expected: [6, 4, 3])
        try gradientCheck("DepthwiseConv2D", #"{"kernel_size": 3, "padding": "same"}"#, input: [4, 4, 3], expected: [4, 4, 3])
        try gradientCheck("DepthwiseConv2D", #"{"kernel_size": 2, "depth_multiplier": 2, "strides": 2}"#, input: [4, 5, 2], expected: [2, 2, 4])
        try gradientCheck("SeparableConv2D", #"{"filters": 3, "kernel_size": 3}"#, input: [4, 4, 2], expected: [2, 2, 3])
    }

    func testOneDimensionalWindows() throws {
        try gradientCheck("Conv1D", #"{"filters": 3, "kernel_size": 3}"#, input: [6, 2], expected: [4, 3])
        try gradientCheck("Conv1D", #"{"filters": 2, "kernel_size": 2, "padding": "causal", "dilation_rate": 2, "activation": "tanh"}"#,
                          input: [5, 3], expected: [5, 2])
        try gradientCheck("Conv1D", #"{"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "groups": 2}"#,
                          input: [7, 4], expected: [4, 4])
        try gradientCheck("AveragePooling1D", #"{"pool_size": 3, "strides": 2, "padding": "same"}"#, input: [7, 2], expected: [4, 2])
        try gradientCheck("MaxPooling1D", #"{"pool_size": 2}"#, input: [6, 3], expected: [3, 3])
        // Lengths unknown at build time come from each batch.
        let conv = try make("Conv1D", #"{"filters": 2, "kernel_size": 3, "padding": "causal"}"#, input: [-1, 3])
        XCTAssertEqual(try conv.outputShape(for: [[-1, 3]]), [-1, 2])
        let tape = Tape()
        tape.reset(recording: false, training: false)
        let x = try Tensor(shape: [1, 9, 3], tape: tape, requiresGrad: false)
        x.data.update(repeating: 1, count: x.count)
        XCTAssertEqual(try conv.call([x], context: CallContext(training: false)).shape, [1, 9, 2])
        XCTAssertThrowsError(try make("Conv1D", #"{"filters": 2, "kernel_size": 4}"#, input: [3, 2])) {
            XCTAssertTrue("\($0)".contains("longer than the sequence"))
        }
        XCTAssertThrowsError(try make("MaxPooling1D", #"{"padding": "causal"}"#, input: [4, 2]))
    }

    func testPoolingAndShapeGradients() throws {
        try gradientCheck("MaxPooling2D", "{}", input: [4, 4, 2], expected: [2, 2, 2])
        // Values 0.05 apart, so that finite differences never swap a window's maximum.
        var rng = RandomGenerator(seed: 5)
        var spaced = (0..<216).map { Float($0) * 0.05 - 5 }
        spaced.withUnsafeMutableBufferPointer { buffer in
            for i in stride(from: buffer.count - 1, to: 0, by: -1) { buffer.swapAt(i, rng.integer(below: i + 1)) }
        }
        try gradientCheck("MaxPooling2D", #"{"pool_size": 3, "strides": 1}"#, input: [4, 3, 18], expected: [2, 1, 18],
                          batch: 1, values: spaced)
        try gradientCheck("MaxPooling2D", #"{"pool_size": 3, "strides": 2, "padding": "same"}"#, input: [5, 5, 2], expected: [3, 3, 2])
        try gradientCheck("AveragePooling2D", "{}", input: [4, 5, 2], expected: [2, 2, 2])
        try gradientCheck("AveragePooling2D", #"{"pool_size": 3, "strides": 2, "padding": "same"}"#, input: [5, 5, 1], expected: [3, 3, 1])
        try gradientCheck("GlobalAveragePooling2D", "{}", input: [3, 3, 4], expected: [4])
        try gradientCheck("GlobalMaxPooling2D", #"{"keepdims": true}"#, input: [3, 3, 4], expected: [1, 1, 4])
        try gradientCheck("ZeroPadding2D", #"{"padding": [[1, 0], [2, 1]]}"#, input: [2, 3, 2], expected: [3, 6, 2])
        try gradientCheck("UpSampling2D", "{}", input: [2, 3, 2], expected: [4, 6, 2])
        try gradientCheck("UpSampling2D", #"{"size": [2, 3], "interpolation": "bilinear"}"#, input: [2, 2, 1], expected: [4, 6, 1])
    }

    func testNormalizationGradients() throws {
        try gradientCheck("BatchNormalization", "{}", input: [3, 3, 2], expected: [3, 3, 2], batch: 3)
        try gradientCheck("BatchNormalization", "{}", input: [4], expected: [4], batch: 5, training: false)
        try gradientCheck("BatchNormalization", #"{"center": false, "scale": false}"#, input: [3], expected: [3], batch: 4)
        try gradientCheck("Rescaling", #"{"scale": 0.5, "offset": -1}"#, input: [2, 2, 3], expected: [2, 2, 3])
        try gradientCheck("Normalization", #"{"axis": -1, "mean": [1, 2], "variance": [4, 9]}"#, input: [3, 2], expected: [3, 2])
    }

    func testAugmentationGradientsFlowThroughTheSampling() throws {
        // A fixed seed per call: the same random transform for every finite-difference probe.
        for (className, config) in [("RandomFlip", #"{"seed": 1}"#),
                                    ("RandomTranslation", #"{"height_factor": 0.3, "width_factor": 0.3, "seed": 2, "fill_mode": "constant"}"#),
                                    ("RandomRotation", #"{"factor": 0.1, "seed": 3, "fill_mode": "nearest"}"#),
                                    ("RandomZoom", #"{"height_factor": 0.2, "seed": 4}"#),
                                    ("RandomContrast", #"{"factor": 0.5, "seed": 5, "value_range": [-100, 100]}"#),
                                    ("RandomCrop", #"{"height": 3, "width": 4, "seed": 7}"#)] {
            let input = [5, 5, 2]
            var checker = GradientChecker()
            checker.tolerance = 3e-2
            try checker.check(inputs: [([2] + input, GradientChecker.values(100, seed: 6))]) { x in
                let layer = try LayerRegistry.make(className: className, name: "aug", config: JSON.parse(config))
                return try layer.call(x, context: CallContext(training: true))
            }
        }
    }

    /// Direct convolution, one output value at a time.
    func referenceConv(_ x: [Float], n: Int, h: Int, w: Int, c: Int, kernel k: [Float], kh: Int, kw: Int, filters: Int,
                       stride: Int, pad: (Int, Int), out: (Int, Int)) -> [Float] {
        var y = [Float](repeating: 0, count: n * out.0 * out.1 * filters)
        for b in 0..<n { for oh in 0..<out.0 { for ow in 0..<out.1 { for f in 0..<filters {
            var s: Float = 0
            for i in 0..<kh { for j in 0..<kw { for ch in 0..<c {
                let ih = oh * stride - pad.0 + i, iw = ow * stride - pad.1 + j
                if ih >= 0 && ih < h && iw >= 0 && iw < w {
                    s += x[((b * h + ih) * w + iw) * c + ch] * k[((i * kw + j) * c + ch) * filters + f]
                }
            } } }
            y[((b * out.0 + oh) * out.1 + ow) * filters + f] = s
        } } } }
        return y
    }

    func testConvolutionMatchesDirectComputationAcrossChunks() throws {
        // 40 images of 12x12x3 exceed one chunk of the patch matrix only with a tiny budget, so use many.
        let (n, h, w, c, filters) = (40, 12, 11, 3, 5)
        let layer = try make("Conv2D", #"{"filters": 5, "kernel_size": 3, "strides": 2, "padding": "same", "use_bias": false}"#,
                             input: [h, w, c])
        let tape = Tape()
        tape.reset(recording: false, training: false)
        let x = try tape.input(shape: [n, h, w, c])
        let values = GradientChecker.values(x.count, seed: 9)
        values.withUnsafeBufferPointer { x.data.update(from: $0.baseAddress!, count: x.count) }
        let y = try layer.call([x], context: CallContext(training: false)).values
        let expected = referenceConv(values, n: n, h: h, w: w, c: c, kernel: layer.weights[0].tensor.values, kh: 3, kw: 3,
                                     filters: filters, stride: 2, pad: (0, 0), out: (6, 6))
        // "same" with stride 2 on 12x11: output 6x6, padding total (1, 2) → before (0, 1).
        let expectedSame = referenceConv(values, n: n, h: h, w: w, c: c, kernel: layer.weights[0].tensor.values, kh: 3, kw: 3,
                                         filters: filters, stride: 2, pad: (0, 1), out: (6, 6))
        XCTAssertNotEqual(expected, expectedSame)
        for (a, b) in zip(y, expectedSame) { XCTAssertEqual(a, b, accuracy: 1e-4) }
    }

    func testDirectConvolutionOfRawImagesMatchesReferenceAndGradients() throws {
        // Raw images (no input gradient), stride 1 and few channels take the direct kernels.
        for (config, h, w, c, filters, k, pad) in [(#"{"filters": 6, "kernel_size": 5}"#, 12, 20, 3, 6, 5, (0, 0)),
                                                    (#"{"filters": 11, "kernel_size": 3, "padding": "same"}"#, 9, 17, 1, 11, 3, (1, 1)),
                                                    (#"{"filters": 20, "kernel_size": [3, 2]}"#, 6, 33, 2, 20, 3, (0, 0))] {
            let layer = try make("Conv2D", config, input: [h, w, c])
            let g = try WindowOptions(ConfigReader(owner: "Conv2D", JSON.parse(config)), kernelKey: "kernel_size")
                .geometry(for: [h, w, c], layer: layer)
            XCTAssertTrue(DirectConv.applies(g, groups: 1))
            let tape = Tape()
            tape.reset(recording: false, training: false)
            let x = try tape.input(shape: [3, h, w, c])
            let values = GradientChecker.values(x.count, seed: 21)
            values.withUnsafeBufferPointer { x.data.update(from: $0.baseAddress!, count: x.count) }
            let kernel = layer.weights[0].tensor
            let y = try conv2d(x, kernel, geometry: g).values
            let expected = referenceConv(values, n: 3, h: h, w: w, c: c, kernel: kernel.values, kh: k, kw: g.kernelW,
                                         filters: filters, stride: 1, pad: pad, out: (g.outHeight, g.outWidth))
            for (a, b) in zip(y, expected) { XCTAssertEqual(a, b, accuracy: 1e-4) }
            var checker = GradientChecker()
            checker.inputsRequireGrad = false
            checker.tolerance = 3e-2
            try checker.check(inputs: [([2, h, w, c], GradientChecker.values(2 * h * w * c, seed: 22))],
                              parameters: [kernel]) { x in try conv2d(x[0], kernel, geometry: g) }
        }
    }

    func testBatchNormalizationUpdatesMovingStatisticsLikeKeras() throws {
        let layer = try LayerRegistry.make(className: "BatchNormalization", name: "bn", config: JSON.parse(#"{"momentum": 0.9}"#))
        _ = try layer.build(inputShapes: [[2]], seed: 1)
        let tape = Tape()
        tape.reset(recording: false, training: true)
        let x = try tape.input(shape: [4, 2])
        [1, 10, 2, 20, 3, 30, 4, 40].enumerated().forEach { x.data[$0] = Float($1) }
        let y = try layer.call([x], context: CallContext(training: true)).values
        // Batch mean (2.5, 25), biased variance (1.25, 125): y = (x − mean)/√(var + 0.001).
        XCTAssertEqual(y[0], (1 - 2.5) / (1.25 + 0.001).squareRoot(), accuracy: 1e-5)
        XCTAssertEqual(layer.weights[2].tensor.values[0], 0.25, accuracy: 1e-6)  // 0.9·0 + 0.1·mean
        XCTAssertEqual(layer.weights[2].tensor.values[1], 2.5, accuracy: 1e-5)
        XCTAssertEqual(layer.weights[3].tensor.values[0], 0.9 + 0.1 * 1.25, accuracy: 1e-6)
        XCTAssertEqual(layer.weights[3].tensor.values[1], 0.9 + 0.1 * 125, accuracy: 1e-4)
        XCTAssertEqual(layer.weights.map(\.name), ["gamma", "beta", "moving_mean", "moving_variance"])
    }

    func testBatchStatisticsOfLargeBatchesMatchDoublePrecision() throws {
        // 5,000 rows: several workers and blocks of rows; values with a large offset.
        let layer = try LayerRegistry.make(className: "BatchNormalization", name: "bn", config: JSON.parse(#"{"momentum": 0}"#))
        _ = try layer.build(inputShapes: [[3]], seed: 1)
        let tape = Tape()
        tape.reset(recording: false, training: true)
        let x = try tape.input(shape: [5000, 3])
        var rng = RandomGenerator(seed: 4)
        for i in 0..<x.count { x.data[i] = 1000 + Float(i % 3) + rng.normal() * Float(1 + i % 3) }
        _ = try layer.call([x], context: CallContext(training: true))
        for ch in 0..<3 {
            let column = (0..<5000).map { Double(x.data[$0 * 3 + ch]) }
            let mean = column.reduce(0, +) / 5000
            let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 5000
            // momentum 0: the moving statistics are the batch's.
            XCTAssertEqual(Double(layer.weights[2].tensor.data[ch]), mean, accuracy: 1e-3)
            XCTAssertEqual(Double(layer.weights[3].tensor.data[ch]), variance, accuracy: 1e-3 * variance)
        }
    }

    func testRandomFlipInTrainingMirrorsWholeImagesOrKeepsThem() throws {
        let layer = try make("RandomFlip", #"{"mode": "horizontal", "seed": 9}"#, input: [3, 4, 1])
        let tape = Tape()
        tape.reset(recording: false, training: true)
        let x = try tape.input(shape: [40, 3, 4, 1])
        for i in 0..<x.count { x.data[i] = Float(i) }
        let y = try layer.call([x], context: CallContext(training: true)).values
        var flipped = 0
        for image in 0..<40 {
            let original = (0..<12).map { Float(image * 12 + $0) }
            let mirrored = (0..<3).flatMap { r in (0..<4).reversed().map { c in Float(image * 12 + r * 4 + c) } }
            let got = Array(y[(image * 12)..<(image * 12 + 12)])
            XCTAssertTrue(got == original || got == mirrored)
            if got == mirrored { flipped += 1 }
        }
        XCTAssertTrue((8...32).contains(flipped), "\(flipped) of 40 flipped")
        XCTAssertEqual(try layer.call([x], context: CallContext(training: false)).values, x.values)
    }

    func testBadArgumentsAreErrors() {
        let cases: [(String, String, [Int], String)] = [
            ("Conv2D", #"{"filters": 4, "kernel_size": 5}"#, [3, 3, 1], "larger than the input"),
            ("Conv2D", #"{"filters": 4, "kernel_size": 3}"#, [784], "expected ndim=4, found ndim=2"),
            ("Conv2D", #"{"filters": -2, "kernel_size": 3}"#, [8, 8, 1], "positive integer"),
            ("Conv2D", #"{"filters": 4, "kernel_size": 0}"#, [8, 8, 1], "cannot contain 0 or negative"),
            ("Conv2D", #"{"filters": 4, "kernel_size": 3, "groups": 3}"#, [8, 8, 3], "divisible"),
            ("Conv2D", #"{"filters": 6, "kernel_size": 3, "groups": 2}"#, [8, 8, 3], "input channels must be evenly divisible"),
            ("Conv2D", #"{"filters": 4, "kernel_size": 3, "strides": 2, "dilation_rate": 2}"#, [8, 8, 1], "dilation_rate > 1"),
            ("Conv2D", #"{"filters": 4, "kernel_size": 3, "padding": "full"}"#, [8, 8, 1], "padding"),
            ("MaxPooling2D", #"{"pool_size": 4}"#, [3, 3, 1], "larger than the input"),
            ("RandomFlip", #"{"mode": "diagonal"}"#, [8, 8, 1], "unknown mode"),
            ("RandomTranslation", #"{"height_factor": 2, "width_factor": 0.1}"#, [8, 8, 1], "within"),
            ("ZeroPadding2D", #"{"padding": -1}"#, [8, 8, 1], "negative"),
            ("BatchNormalization", #"{"axis": 1}"#, [8, 8, 1], "axis=-1"),
        ]
        for (className, config, input, message) in cases {
            XCTAssertThrowsError(try make(className, config, input: input)) { error in
                XCTAssertTrue("\(error)".contains(message), "\(className) \(config): \(error)")
            }
        }
    }
}
