/// Layers that change the size of images: `ZeroPadding2D` and `UpSampling2D`.

/// Adds rows and columns of zeros around each image, as Keras's `ZeroPadding2D`
/// (`padding` 1; an int, (rows, cols), or ((top, bottom), (left, right))).
public final class ZeroPadding2D: Layer {
    override public class var className: String { "ZeroPadding2D" }
    let top: Int, bottom: Int, left: Int, right: Int

    public init(name: String, config: ConfigReader) throws {
        var pads = [1, 1, 1, 1]
        switch config.json("padding") {
        case .none: break
        case .some(.number): pads = Array(repeating: try config.int("padding"), count: 4)
        case .some(.array(let items)) where items.count == 2:
            if case .array = items[0] {
                let rows = try ConfigReader(owner: "ZeroPadding2D", .object(["p": items[0]])).intList("p", count: 2)
                let cols = try ConfigReader(owner: "ZeroPadding2D", .object(["p": items[1]])).intList("p", count: 2)
                pads = rows + cols
            } else {
                let both = try config.intList("padding", count: 2)
                pads = [both[0], both[0], both[1], both[1]]
            }
        case .some(let other):
            throw SwiftNetError.value("[ZeroPadding2D] `padding` should be an int, a tuple of 2 ints, or a tuple of 2 tuples of 2 ints. Received: padding=\(other.serialized)")
        }
        (top, bottom, left, right) = (pads[0], pads[1], pads[2], pads[3])
        super.init(name: name)
        guard pads.allSatisfy({ $0 >= 0 }) else { throw invalid("`padding` cannot contain negative values. Received: \(pads)") }
        guard pads.allSatisfy({ $0 <= WindowOptions.largest }) else { throw invalid("`padding` is too large. Received: \(pads)") }
    }

    override public func outputShape(for inputShapes: [[Int]]) throws -> [Int] {
        let (h, w, c) = try imageShape(singleInput(inputShapes), layer: self)
        return [h + top + bottom, w + left + right, c]
    }

    override public func call(_ inputs: [Tensor], context: CallContext) throws -> Tensor {
        try zeroPad2d(inputs[0], top: top, bottom: bottom, left: left, right: right)
    }
}

/// Repeats rows and columns (`interpolation` "nearest", the default) or resizes bilinearly
/// ("bilinear", half-pixel centres as TensorFlow's resize), as Keras's `UpSampling2D` (`size` (2, 2)).
public final class UpSampling2D: Layer {
    override public class var className: String { "UpSampling2D" }
    let size: (Int, Int)
    let bilinear: Bool

    public init(name: String, config: ConfigReader) throws {
        let s = try config.intList("size", count: 2, default: [2, 2])
        size = (s[0], s[1])
        let interpolation = try config.string("interpolation", default: "nearest")
        bilinear = interpolation == "bilinear"
        super.init(name: name)
        guard s.allSatisfy({ $0 > 0 && $0 <= WindowOptions.largest }) else {
            throw invalid("`size` must be positive and at most \(WindowOptions.largest). Received: size=\(s)")
        }
        guard ["nearest", "bilinear"].contains(interpolation) else {
            throw invalid("`interpolation` must be \"nearest\" or \"bilinear\". Received: interpolation=\(interpolation)")
        }
    }

    override public func outputShape(for inputShapes: [[Int]]) throws -> [Int] {
        let (h, w, c) = try imageShape(singleInput(inputShapes), layer: self)
        return [h * size.0, w * size.1, c]
    }

    override public func call(_ inputs: [Tensor], context: CallContext) throws -> Tensor {
        let x = inputs[0]
        guard bilinear else { return try upsampleNearest(x, sh: size.0, sw: size.1) }
        let sx = 1 / Float(size.1), sy = 1 / Float(size.0)
        let map = AffineMap(a: sx, b: 0, c: 0.5 * sx - 0.5, d: 0, e: sy, f: 0.5 * sy - 0.5)
        return try affineWarp(x, maps: Array(repeating: map, count: x.shape[0]), outHeight: x.shape[1] * size.0,
                          outWidth: x.shape[2] * size.1, fill: .nearest, fillValue: 0, bilinear: true)
    }
}
