/// Inverted dropout: zeroes each value with probability `rate` and scales the rest by 1/(1-rate),
/// so inference needs no rescaling. The mask is kept for the gradient. With `noiseShape` (one
/// entry per axis: 1 to share the draw along that axis, -1 or the axis size for one per position),
/// whole slices drop together, as Keras's `noise_shape`.
public func dropout(_ x: Tensor, rate: Float, noiseShape: [Int]? = nil, generator: inout RandomGenerator) throws -> Tensor {
    let draws: [Int] = try noiseShape.map { shape in
        guard shape.count == x.shape.count, zip(shape, x.shape).allSatisfy({ $0 == -1 || $0 == 1 || $0 == $1 }) else {
            throw SwiftNetError.value("[dropout] `noise_shape` \(shape) does not fit inputs of shape \(describe(x.shape.map { $0 })): each entry must be 1, None or the input's size.")
        }
        return zip(shape, x.shape).map { $0 == -1 ? $1 : $0 }
    } ?? x.shape
    let out = try Tensor.result(shape: x.shape, of: x)
    let heapMask = out.tape == nil ? try FloatBuffer(capacity: x.count) : nil
    let mask = try out.tape?.scratch(x.count) ?? heapMask!.pointer
    let scale = 1 / (1 - rate)
    let drawn = draws.reduce(1, *)
    if drawn == x.count {
        for i in 0..<x.count { mask[i] = generator.uniform() >= rate ? scale : 0 }
    } else {
        var small = [Float](repeating: 0, count: drawn)
        for i in 0..<drawn { small[i] = generator.uniform() >= rate ? scale : 0 }
        small.withUnsafeBufferPointer { s in
            floatBinary(s.baseAddress!, draws, s.baseAddress!, draws, x.shape, into: mask) { a, _ in a }
        }
    }
    vectorMap2(x.count, x.data, mask, out.data) { $0 * $1 }
    out.onBackward { [x, out, heapMask] in
        _ = heapMask
        let g = out.grad!
        try x.accumulateGradient { gx, accumulate in
            if accumulate { vectorMap3(x.count, gx, g, mask, gx) { $0 + $1 * $2 } }
            else { vectorMap2(x.count, g, mask, gx) { $0 * $1 } }
        }
    }
    return out
}

/// `keras.random`: normal, uniform and truncated normal draws of a given shape, and dropout.
/// A `seed` makes draws reproducible; inside a graph each step draws afresh from the seed and the
/// step (the context's seed), so training is reproducible without repeating masks.
struct RandomOp: Op {
    enum Kind: String { case normal, uniform, truncatedNormal = "truncated_normal", dropout }
    let kind: Kind
    let shape: [Int]
    let a: Float, b: Float
    let rate: Float
    let noiseShape: [Int]?
    let seed: UInt64
    let dtype: DType

    init(_ kind: Kind, _ attributes: ConfigReader) throws {
        self.kind = kind
        noiseShape = attributes.has("noise_shape") ? try attributes.intList("noise_shape") : nil
        if kind == .dropout {
            shape = []
            rate = try attributes.float("rate")
            guard rate >= 0, rate < 1 else { throw attributes.fail("`rate` must be in [0, 1). Received: rate=\(rate)") }
        } else {
            shape = try attributes.intList("shape")
            guard shape.allSatisfy({ $0 >= 0 }) else { throw attributes.fail("Expected non-negative sizes. Received: \(shape)") }
            _ = try checkedCount(shape, what: kind.rawValue)
            rate = 0
        }
        switch kind {
        case .uniform:
            a = try attributes.float("minval", default: 0)
            b = try attributes.float("maxval", default: 1)
            guard a < b else { throw attributes.fail("Expected minval < maxval. Received: minval=\(a), maxval=\(b)") }
        default:
            a = try attributes.float("mean", default: 0)
            b = try attributes.float("stddev", default: 1)
        }
        seed = UInt64(truncatingIfNeeded: try attributes.int("seed", default: 0))
        dtype = try DType.named(attributes.string("dtype", default: "float32"), owner: kind.rawValue)
        guard dtype == .float32 else { throw attributes.fail("Random values are float32. Received: dtype=\(dtype.name)") }
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        if kind == .dropout {
            try expectInputs(inputs, 1, "dropout")
            return [TensorSpec(shape: inputs[0].shape, dtype: .float32)]
        }
        try expectInputs(inputs, 0, kind.rawValue)
        return [TensorSpec(shape: shape, dtype: .float32)]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        var generator = RandomGenerator(seed: seed, stream: context.seed)
        if kind == .dropout {
            return [try dropout(try cast(inputs[0], to: .float32, context), rate: rate, noiseShape: noiseShape, generator: &generator)]
        }
        let out = try Tensor.output(shape, .float32, of: [], context)
        for i in 0..<out.count {
            switch kind {
            case .normal: out.data[i] = a + b * generator.normal()
            case .truncatedNormal: out.data[i] = a + b * generator.truncatedNormal()
            default: out.data[i] = a + (b - a) * generator.uniform()
            }
        }
        return [out]
    }
}

let randomOps: [String: OpRegistry.Factory] = [
    "random.normal": { try RandomOp(.normal, $0) },
    "random.uniform": { try RandomOp(.uniform, $0) },
    "random.truncated_normal": { try RandomOp(.truncatedNormal, $0) },
    "random.dropout": { try RandomOp(.dropout, $0) },
]
