#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Image augmentation layers, active in training only and seedable: RandomFlip, RandomTranslation,
/// RandomRotation, RandomZoom (geometric, as per-image affine sampling), RandomCrop, RandomContrast.
public class RandomAugmentation: Layer {
    var generator: RandomGenerator
    let fill: FillMode
    let fillValue: Float
    let bilinear: Bool

    public init(name: String, config: ConfigReader) throws {
        let seed = config.has("seed") ? UInt64(truncatingIfNeeded: try config.int("seed")) : 0xA06
        generator = RandomGenerator(seed: seed)
        let fillName = try config.string("fill_mode", default: "reflect")
        guard let fill = FillMode(rawValue: fillName) else {
            throw SwiftNetError.value("[\(config.owner)] Unknown `fill_mode` \(fillName). Expected one of: reflect, wrap, nearest, constant.")
        }
        self.fill = fill
        fillValue = try config.float("fill_value", default: 0)
        let interpolation = try config.string("interpolation", default: "bilinear")
        guard ["bilinear", "nearest"].contains(interpolation) else {
            throw SwiftNetError.value("[\(config.owner)] Unknown `interpolation` \(interpolation). Expected \"bilinear\" or \"nearest\".")
        }
        bilinear = interpolation == "bilinear"
        super.init(name: name)
    }

    override public func outputShape(for inputShapes: [[Int]]) throws -> [Int] {
        _ = try imageShape(singleInput(inputShapes), layer: self)
        return inputShapes[0]
    }

    /// One sampling map per image for a training batch.
    func maps(count: Int, height: Int, width: Int) -> [AffineMap] { Array(repeating: .identity, count: count) }

    override public func call(_ inputs: [Tensor], context: CallContext) throws -> Tensor {
        let x = inputs[0]
        guard context.training else { return x }
        return try affineWarp(x, maps: maps(count: x.shape[0], height: x.shape[1], width: x.shape[2]), outHeight: x.shape[1],
                          outWidth: x.shape[2], fill: fill, fillValue: fillValue, bilinear: bilinear)
    }

    /// A Keras factor: a number f means [-f, f], a pair (lower, upper) itself; all within `bounds`.
    static func factorRange(_ config: ConfigReader, _ key: String, bounds: ClosedRange<Float> = -1...1,
                            symmetric: Bool = true) throws -> (Float, Float) {
        var range: (Float, Float)
        if case .some(.array) = config.json(key) {
            let values = try config.floats(key)
            guard values.count == 2 else { throw config.fail("`\(key)` must be a number or a pair. Received \(values.count) values.") }
            range = (values[0], values[1])
        } else {
            let f = try config.float(key)
            range = symmetric ? (-abs(f), abs(f)) : (f, f)
        }
        guard bounds.contains(range.0), bounds.contains(range.1), range.0 <= range.1 || !symmetric else {
            throw config.fail("`\(key)` must be within [\(bounds.lowerBound), \(bounds.upperBound)] with lower <= upper. Received: \(key)=(\(range.0), \(range.1))")
        }
        return range
    }

    func uniform(_ range: (Float, Float)) -> Float { range.0 + (range.1 - range.0) * generator.uniform() }
}

/// Flips images left-right and/or up-down with probability 1/2 each (`mode`
/// "horizontal_and_vertical", "horizontal" or "vertical").
public final class RandomFlip: RandomAugmentation {
    override public class var className: String { "RandomFlip" }
    let horizontal: Bool, vertical: Bool

    override public init(name: String, config: ConfigReader) throws {
        let mode = try config.string("mode", default: "horizontal_and_vertical")
        guard ["horizontal", "vertical", "horizontal_and_vertical"].contains(mode) else {
            throw SwiftNetError.value("[RandomFlip] RandomFlip layer \(name) received an unknown mode=\(mode)")
        }
        horizontal = mode != "vertical"
        vertical = mode != "horizontal"
        try super.init(name: name, config: config)
    }

    override func maps(count: Int, height: Int, width: Int) -> [AffineMap] {
        (0..<count).map { _ in
            var map = AffineMap.identity
            if horizontal && generator.uniform() < 0.5 { map.a = -1; map.c = Float(width - 1) }
            if vertical && generator.uniform() < 0.5 { map.e = -1; map.f = Float(height - 1) }
            return map
        }
    }
}

/// Shifts images by random fractions of their height and width.
public final class RandomTranslation: RandomAugmentation {
    override public class var className: String { "RandomTranslation" }
    let heightRange: (Float, Float), widthRange: (Float, Float)

    override public init(name: String, config: ConfigReader) throws {
        heightRange = try RandomAugmentation.factorRange(config, "height_factor")
        widthRange = try RandomAugmentation.factorRange(config, "width_factor")
        try super.init(name: name, config: config)
    }

    override func maps(count: Int, height: Int, width: Int) -> [AffineMap] {
        (0..<count).map { _ in
            let dy = uniform(heightRange) * Float(height), dx = uniform(widthRange) * Float(width)
            return AffineMap(a: 1, b: 0, c: -dx, d: 0, e: 1, f: -dy)
        }
    }
}

/// Rotates images about their centre by a random fraction of a full turn.
public final class RandomRotation: RandomAugmentation {
    override public class var className: String { "RandomRotation" }
    let range: (Float, Float)

    override public init(name: String, config: ConfigReader) throws {
        range = try RandomAugmentation.factorRange(config, "factor")
        try super.init(name: name, config: config)
    }

    override func maps(count: Int, height: Int, width: Int) -> [AffineMap] {
        let cx = Float(width - 1) / 2, cy = Float(height - 1) / 2
        return (0..<count).map { _ in
            let angle = uniform(range) * 2 * Float.pi
            let cosA = cosf(angle), sinA = sinf(angle)
            // Output pixel → input position: rotate by −angle about the centre.
            return AffineMap(a: cosA, b: sinA, c: cx - cosA * cx - sinA * cy,
                             d: -sinA, e: cosA, f: cy + sinA * cx - cosA * cy)
        }
    }
}

/// Zooms images in or out about their centre (positive factors zoom out); without
/// `width_factor` both axes use the same zoom.
public final class RandomZoom: RandomAugmentation {
    override public class var className: String { "RandomZoom" }
    let heightRange: (Float, Float), widthRange: (Float, Float)?

    override public init(name: String, config: ConfigReader) throws {
        heightRange = try RandomAugmentation.factorRange(config, "height_factor")
        widthRange = config.has("width_factor") ? try RandomAugmentation.factorRange(config, "width_factor") : nil
        try super.init(name: name, config: config)
    }

    override func maps(count: Int, height: Int, width: Int) -> [AffineMap] {
        let cx = Float(width - 1) / 2, cy = Float(height - 1) / 2
        return (0..<count).map { _ in
            let zy = 1 + uniform(heightRange)
            let zx = widthRange.map { 1 + uniform($0) } ?? zy
            return AffineMap(a: zx, b: 0, c: cx - zx * cx, d: 0, e: zy, f: cy - zy * cy)
        }
    }
}

/// Crops a random `height` × `width` window in training; at inference (or from smaller images)
/// the centred largest window of that aspect ratio, resized to the target size.
public final class RandomCrop: RandomAugmentation {
    override public class var className: String { "RandomCrop" }
    let height: Int, width: Int

    override public init(name: String, config: ConfigReader) throws {
        height = try config.positiveInt("height")
        width = try config.positiveInt("width")
        try super.init(name: name, config: config)
    }

    override public func outputShape(for inputShapes: [[Int]]) throws -> [Int] {
        let (_, _, c) = try imageShape(singleInput(inputShapes), layer: self)
        return [height, width, c]
    }

    override public func call(_ inputs: [Tensor], context: CallContext) throws -> Tensor {
        let x = inputs[0]
        let (h, w) = (x.shape[1], x.shape[2])
        if context.training && h >= height && w >= width {
            let top = generator.integer(below: h - height + 1), left = generator.integer(below: w - width + 1)
            // One window per batch would correlate images: crop each image separately.
            let maps = (0..<x.shape[0]).map { i -> AffineMap in
                let t = i == 0 ? top : generator.integer(below: h - height + 1)
                let l = i == 0 ? left : generator.integer(below: w - width + 1)
                return AffineMap(a: 1, b: 0, c: Float(l), d: 0, e: 1, f: Float(t))
            }
            return try affineWarp(x, maps: maps, outHeight: height, outWidth: width, fill: .nearest, fillValue: 0, bilinear: false)
        }
        if h == height && w == width { return x }
        let aspect = Float(width) / Float(height)
        var windowH = Float(h), windowW = Float(h) * aspect
        if windowW > Float(w) { windowW = Float(w); windowH = Float(w) / aspect }
        let top = (Float(h) - windowH) / 2, left = (Float(w) - windowW) / 2
        let sx = windowW / Float(width), sy = windowH / Float(height)
        let map = AffineMap(a: sx, b: 0, c: left + 0.5 * sx - 0.5, d: 0, e: sy, f: top + 0.5 * sy - 0.5)
        return try affineWarp(x, maps: Array(repeating: map, count: x.shape[0]), outHeight: height, outWidth: width,
                          fill: .nearest, fillValue: 0, bilinear: true)
    }
}

/// Scales each image's deviation from its per-channel mean by a random factor in
/// [1 − lower, 1 + upper], then clips to `value_range` (default [0, 255]).
public final class RandomContrast: RandomAugmentation {
    override public class var className: String { "RandomContrast" }
    let range: (Float, Float)
    let valueRange: (Float, Float)

    override public init(name: String, config: ConfigReader) throws {
        let factor = try RandomAugmentation.factorRange(config, "factor", bounds: 0...1, symmetric: false)
        range = (1 - factor.0, 1 + factor.1)
        let values = try config.has("value_range") ? config.floats("value_range") : [0, 255]
        guard values.count == 2, values[0] < values[1] else {
            throw SwiftNetError.value("[RandomContrast] `value_range` must be (low, high) with low < high.")
        }
        valueRange = (values[0], values[1])
        try super.init(name: name, config: config)
    }

    override public func call(_ inputs: [Tensor], context: CallContext) throws -> Tensor {
        let x = inputs[0]
        guard context.training else { return x }
        let factors = (0..<x.shape[0]).map { _ in uniform(range) }
        return try adjustContrast(x, factors: factors, low: valueRange.0, high: valueRange.1)
    }
}
