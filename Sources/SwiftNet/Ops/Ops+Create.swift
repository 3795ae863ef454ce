/// Ops that make tensors: casts between dtypes, constants, ranges, filled tensors.

/// A float converted to an integer type as NumPy's `astype` does (toward zero), without trapping:
/// NaN becomes 0 and values beyond the type saturate.
@inline(__always)
func saturatingInteger<T: FixedWidthInteger>(_ value: Double, as: T.Type) -> T {
    guard value.isFinite else { return value.isNaN ? 0 : (value > 0 ? T.max : T.min) }
    if value >= Double(T.max) { return T.max }
    if value <= Double(T.min) { return T.min }
    return T(value.rounded(.towardZero))
}

/// `x` as `dtype`; gradients pass through float-to-float casts only.
func cast(_ x: Tensor, to dtype: DType, _ context: OpContext) throws -> Tensor {
    if x.dtype == dtype { return x }
    let out = try Tensor.output(x.shape, dtype, of: dtype == .float32 && x.dtype == .float32 ? [x] : [], context)
    let n = x.count
    switch (x.dtype, dtype) {
    case (.float32, .bool), (.bool, .bool):
        vectorMap(n, x.data, out.data) { Vec(repeating: 0).replacing(with: 1, where: $0 .!= 0) }
    case (.bool, .float32):
        out.data.update(from: x.data, count: n)
    case (.int32, .float32): for i in 0..<n { out.data[i] = Float(x.int32s[i]) }
    case (.int64, .float32): for i in 0..<n { out.data[i] = Float(x.int64s[i]) }
    case (.int32, .bool): for i in 0..<n { out.data[i] = x.int32s[i] != 0 ? 1 : 0 }
    case (.int64, .bool): for i in 0..<n { out.data[i] = x.int64s[i] != 0 ? 1 : 0 }
    case (.int32, .int64): for i in 0..<n { out.int64s[i] = Int64(x.int32s[i]) }
    case (.int64, .int32): for i in 0..<n { out.int32s[i] = Int32(truncatingIfNeeded: x.int64s[i]) }
    case (.float32, .int32), (.bool, .int32): for i in 0..<n { out.int32s[i] = saturatingInteger(Double(x.data[i]), as: Int32.self) }
    case (.float32, .int64), (.bool, .int64): for i in 0..<n { out.int64s[i] = saturatingInteger(Double(x.data[i]), as: Int64.self) }
    default: break
    }
    return out
}

struct CastOp: Op {
    let dtype: DType

    init(_ attributes: ConfigReader) throws {
        dtype = try DType.named(attributes.string("dtype"), owner: "cast")
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 1, "cast")
        return [TensorSpec(shape: inputs[0].shape, dtype: dtype)]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        [try cast(inputs[0], to: dtype, context)]
    }
}

/// Fills a new tensor of `shape` and `dtype` with `value`.
func filled(_ shape: [Int], _ dtype: DType, _ value: Double, _ context: OpContext) throws -> Tensor {
    let out = try Tensor.output(shape, dtype, of: [], context)
    switch dtype {
    case .int32: out.int32s.update(repeating: saturatingInteger(value, as: Int32.self), count: out.count)
    case .int64: out.int64s.update(repeating: saturatingInteger(value, as: Int64.self), count: out.count)
    case .bool: out.data.update(repeating: value != 0 ? 1 : 0, count: out.count)
    case .float32: out.data.update(repeating: Float(value), count: out.count)
    }
    return out
}

/// A tensor given by its values: `{"values": [flat list], "shape": [...], "dtype": ...}`.
struct ConstantOp: Op {
    let values: [Double]
    let shape: [Int]
    let dtype: DType

    init(_ attributes: ConfigReader) throws {
        shape = try attributes.intList("shape", default: [])
        guard shape.allSatisfy({ $0 >= 0 }) else { throw attributes.fail("Expected a shape of non-negative sizes. Received: \(shape)") }
        dtype = try DType.named(attributes.string("dtype", default: "float32"), owner: "constant")
        guard case .some(.array(let items)) = attributes.json("values") else {
            throw attributes.fail("Expected `values`, a flat list of numbers.")
        }
        values = try items.map { item -> Double in
            switch item {
            case .number(let d): return d
            case .bool(let b): return b ? 1 : 0
            default: throw attributes.typeFail("Expected numbers in `values`.")
            }
        }
        let count = try checkedCount(shape, what: "constant")
        guard values.count == count else {
            throw attributes.fail("Expected \(count) values for shape \(shape). Received: \(values.count).")
        }
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 0, "constant")
        return [TensorSpec(shape: shape, dtype: dtype)]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        let out = try Tensor.output(shape, dtype, of: [], context)
        for (i, v) in values.enumerated() {
            switch dtype {
            case .int32: out.int32s[i] = saturatingInteger(v, as: Int32.self)
            case .int64: out.int64s[i] = saturatingInteger(v, as: Int64.self)
            case .float32: out.data[i] = Float(v)
            case .bool: out.data[i] = v != 0 ? 1 : 0
            }
        }
        return [out]
    }
}

/// `arange(start, stop, step)`: evenly spaced values in [start, stop).
struct ArangeOp: Op {
    let start: Double, stop: Double, step: Double
    let dtype: DType
    let count: Int

    init(_ attributes: ConfigReader) throws {
        start = try attributes.double("start", default: 0)
        stop = try attributes.double("stop")
        step = try attributes.double("step", default: 1)
        dtype = try DType.named(attributes.string("dtype", default: "int32"), owner: "arange")
        guard step != 0 else { throw attributes.fail("`step` must not be zero.") }
        let n = ((stop - start) / step).rounded(.up)
        guard n <= Double(maxTensorElements) else { throw attributes.fail("arange would hold \(n) values.") }
        count = max(0, Int(n))
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 0, "arange")
        return [TensorSpec(shape: [count], dtype: dtype)]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        let out = try Tensor.output([count], dtype, of: [], context)
        for i in 0..<count {
            let v = start + Double(i) * step
            switch dtype {
            case .int32: out.int32s[i] = saturatingInteger(v, as: Int32.self)
            case .int64: out.int64s[i] = saturatingInteger(v, as: Int64.self)
            default: out.data[i] = Float(v)
            }
        }
        return [out]
    }
}

/// `full(shape, fill_value)` (zeros and ones are its cases).
struct FullOp: Op {
    let shape: [Int]
    let value: Double
    let dtype: DType

    init(_ attributes: ConfigReader, value fixed: Double? = nil) throws {
        shape = try attributes.intList("shape")
        guard shape.allSatisfy({ $0 >= 0 }) else { throw attributes.fail("Expected a shape of non-negative sizes. Received: \(shape)") }
        _ = try checkedCount(shape, what: attributes.owner)
        value = try fixed ?? attributes.double("fill_value")
        dtype = try DType.named(attributes.string("dtype", default: "float32"), owner: attributes.owner)
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 0, "full")
        return [TensorSpec(shape: shape, dtype: dtype)]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        [try filled(shape, dtype, value, context)]
    }
}

/// `full_like(x, fill_value)` (zeros_like, ones_like): x's shape, its dtype unless one is given.
struct FullLikeOp: Op {
    let value: Double
    let dtype: DType?

    init(_ attributes: ConfigReader, value fixed: Double? = nil) throws {
        value = try fixed ?? attributes.double("fill_value")
        dtype = try attributes.optionalString("dtype").map { try DType.named($0, owner: attributes.owner) }
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 1, "full_like")
        return [TensorSpec(shape: inputs[0].shape, dtype: dtype ?? inputs[0].dtype)]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        [try filled(inputs[0].shape, dtype ?? inputs[0].dtype, value, context)]
    }
}

/// The input itself, for `stop_gradient`: values pass, gradients do not.
struct StopGradientOp: Op {
    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 1, "stop_gradient")
        return inputs
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        let x = inputs[0]
        return [Tensor(viewing: x, shape: x.shape, requiresGrad: false)]
    }
}

let creationOps: [String: OpRegistry.Factory] = [
    "cast": { try CastOp($0) },
    "constant": { try ConstantOp($0) },
    "arange": { try ArangeOp($0) },
    "full": { try FullOp($0) },
    "zeros": { try FullOp($0, value: 0) },
    "ones": { try FullOp($0, value: 1) },
    "full_like": { try FullLikeOp($0) },
    "zeros_like": { try FullLikeOp($0, value: 0) },
    "ones_like": { try FullLikeOp($0, value: 1) },
    "stop_gradient": { _ in StopGradientOp() },
]
