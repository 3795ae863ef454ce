#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Element-wise ops with NumPy broadcasting and type promotion: arithmetic, comparisons, logic,
/// `where`, `clip`, and the unary math functions, each with its gradient.

// MARK: - Unary

/// Unary functions of `keras.ops`, by name.
enum UnaryKind: String, CaseIterable {
    case negative, abs, square, sqrt, rsqrt, exp, expm1, log, log1p, log2, log10, sign, sin, cos, tan
    case arcsin, arccos, arctan, sinh, cosh, arctanh, arcsinh, reciprocal, floor, ceil, round, erf
    case logicalNot = "logical_not", isnan, isinf, isfinite

    /// Ops that keep integer inputs integer; the others (floor and ceil too, as Keras) compute in
    /// float32.
    var keepsIntegers: Bool {
        switch self {
        case .negative, .abs, .square, .sign, .round: return true
        default: return false
        }
    }
    var returnsBool: Bool {
        switch self {
        case .logicalNot, .isnan, .isinf, .isfinite: return true
        default: return false
        }
    }
    var differentiable: Bool {
        switch self {
        case .sign, .floor, .ceil, .round: return false
        default: return !returnsBool
        }
    }

    func value(_ x: Float) -> Float {
        switch self {
        case .negative: return -x
        case .abs: return Swift.abs(x)
        case .square: return x * x
        case .sqrt: return x.squareRoot()
        case .rsqrt: return 1 / x.squareRoot()
        case .exp: return expf(x)
        case .expm1: return expm1f(x)
        case .log: return logf(x)
        case .log1p: return log1pf(x)
        case .log2: return log2f(x)
        case .log10: return log10f(x)
        case .sign: return x > 0 ? 1 : (x < 0 ? -1 : (x.isNaN ? x : 0))
        case .sin: return sinf(x)
        case .cos: return cosf(x)
        case .tan: return tanf(x)
        case .arcsin: return asinf(x)
        case .arccos: return acosf(x)
        case .arctan: return atanf(x)
        case .sinh: return sinhf(x)
        case .cosh: return coshf(x)
        case .arctanh: return atanhf(x)
        case .arcsinh: return asinhf(x)
        case .reciprocal: return 1 / x
        case .floor: return x.rounded(.down)
        case .ceil: return x.rounded(.up)
        case .round: return x.rounded(.toNearestOrEven)
        case .erf: return erff(x)
        case .logicalNot: return x == 0 ? 1 : 0
        case .isnan: return x.isNaN ? 1 : 0
        case .isinf: return x.isInfinite ? 1 : 0
        case .isfinite: return x.isFinite ? 1 : 0
        }
    }

    /// d value / dx from the input and the output.
    func derivative(_ x: Float, _ y: Float) -> Float {
        switch self {
        case .negative: return -1
        case .abs: return x > 0 ? 1 : (x < 0 ? -1 : 0)
        case .square: return 2 * x
        case .sqrt: return 0.5 / y
        case .rsqrt: return -0.5 * y * y * y
        case .exp: return y
        case .expm1: return y + 1
        case .log: return 1 / x
        case .log1p: return 1 / (1 + x)
        case .log2: return 1 / (x * 0.6931471805599453)
        case .log10: return 1 / (x * 2.302585092994046)
        case .sin: return cosf(x)
        case .cos: return -sinf(x)
        case .tan: return 1 + y * y
        case .arcsin: return 1 / (1 - x * x).squareRoot()
        case .arccos: return -1 / (1 - x * x).squareRoot()
        case .arctan: return 1 / (1 + x * x)
        case .sinh: return coshf(x)
        case .cosh: return sinhf(x)
        case .arctanh: return 1 / (1 - x * x)
        case .arcsinh: return 1 / (x * x + 1).squareRoot()
        case .reciprocal: return -y * y
        case .erf: return 1.1283791670955126 * expf(-x * x)
        default: return 0
        }
    }

    func integer<T: FixedWidthInteger & SignedInteger>(_ x: T) -> T {
        switch self {
        case .negative: return 0 &- x
        case .abs: return x < 0 ? 0 &- x : x
        case .square: return x &* x
        case .sign: return x > 0 ? 1 : (x < 0 ? -1 : 0)
        default: return x  // round of integers
        }
    }
}

struct UnaryOp: Op {
    let kind: UnaryKind

    func outputType(_ input: DType) -> DType {
        if kind.returnsBool { return .bool }
        if kind.keepsIntegers && input.isInteger { return input }
        // Bools, as NumPy: |b| is b, b² counts in int32.
        if input == .bool && kind == .abs { return .bool }
        if input == .bool && kind == .square { return .int32 }
        return .float32
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 1, kind.rawValue)
        return [TensorSpec(shape: inputs[0].shape, dtype: outputType(inputs[0].dtype))]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        [try unary(kind, inputs[0], context)]
    }
}

/// `kind` applied to every element of `x`.
func unary(_ kind: UnaryKind, _ x: Tensor, _ context: OpContext) throws -> Tensor {
    let type = UnaryOp(kind: kind).outputType(x.dtype)
    if type.isInteger {
        let x = try cast(x, to: type, context)
        let out = try Tensor.output(x.shape, type, of: [x], context)
        if type == .int32 { for i in 0..<x.count { out.int32s[i] = kind.integer(x.int32s[i]) } }
        else { for i in 0..<x.count { out.int64s[i] = kind.integer(x.int64s[i]) } }
        return out
    }
    let source = x.dtype == .float32 || x.dtype == .bool ? x : try cast(x, to: .float32, context)
    let out = try Tensor.output(x.shape, type, of: kind.differentiable ? [source] : [], context)
    switch kind {
    case .negative: vectorMap(x.count, source.data, out.data) { -$0 }
    case .abs: vectorMap(x.count, source.data, out.data) { vabs($0) }
    case .square: vectorMap(x.count, source.data, out.data) { $0 * $0 }
    case .sqrt: vectorMap(x.count, source.data, out.data) { $0.squareRoot() }
    case .exp: vectorMap(x.count, source.data, out.data) { VectorMath.exp($0) }
    default: for i in 0..<x.count { out.data[i] = kind.value(source.data[i]) }
    }
    out.onBackward { [source, out] in
        let g = out.grad!
        try source.accumulateGradient { gx, accumulate in
            for i in 0..<source.count {
                let d = g[i] * kind.derivative(source.data[i], out.data[i])
                gx[i] = accumulate ? gx[i] + d : d
            }
        }
    }
    return out
}

// MARK: - Binary

/// Binary functions of `keras.ops` with broadcasting, by name.
enum BinaryKind: String, CaseIterable {
    case add, subtract, multiply, divide, power, maximum, minimum, mod
    case floorDivide = "floor_divide", arctan2
    case equal, notEqual = "not_equal", less, lessEqual = "less_equal", greater, greaterEqual = "greater_equal"
    case logicalAnd = "logical_and", logicalOr = "logical_or", logicalXor = "logical_xor"

    var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual: return true
        default: return isLogical
        }
    }
    var isLogical: Bool {
        switch self {
        case .logicalAnd, .logicalOr, .logicalXor: return true
        default: return false
        }
    }
    var differentiable: Bool { !isComparison && self != .floorDivide }

    @inline(__always)
    func vector(_ a: Vec, _ b: Vec) -> Vec {
        let zero = Vec(repeating: 0)
        switch self {
        case .add: return a + b
        case .subtract: return a - b
        case .multiply: return a * b
        case .divide: return a / b
        case .maximum: return a.replacing(with: b, where: b .> a).replacing(with: a + b, where: (a .!= a) .| (b .!= b))
        case .minimum: return a.replacing(with: b, where: b .< a).replacing(with: a + b, where: (a .!= a) .| (b .!= b))
        case .equal: return zero.replacing(with: 1, where: a .== b)
        case .notEqual: return zero.replacing(with: 1, where: a .!= b)
        case .less: return zero.replacing(with: 1, where: a .< b)
        case .lessEqual: return zero.replacing(with: 1, where: a .<= b)
        case .greater: return zero.replacing(with: 1, where: a .> b)
        case .greaterEqual: return zero.replacing(with: 1, where: a .>= b)
        case .logicalAnd: return zero.replacing(with: 1, where: (a .!= 0) .& (b .!= 0))
        case .logicalOr: return zero.replacing(with: 1, where: (a .!= 0) .| (b .!= 0))
        case .logicalXor: return zero.replacing(with: 1, where: (a .!= 0) .^ (b .!= 0))
        case .power, .mod, .floorDivide, .arctan2:
            var out = Vec()
            for i in 0..<vecWidth { out[i] = scalar(a[i], b[i]) }
            return out
        }
    }

    @inline(__always)
    func scalar(_ a: Float, _ b: Float) -> Float {
        switch self {
        case .power: return powf(a, b)
        case .mod:
            // Python's modulo: the result has the sign of the divisor.
            let r = fmodf(a, b)
            return r != 0 && ((r < 0) != (b < 0)) ? r + b : r
        case .floorDivide: return (a / b).rounded(.down)
        case .arctan2: return atan2f(a, b)
        default: return vector(Vec(repeating: a), Vec(repeating: b))[0]
        }
    }

    func integer<T: FixedWidthInteger & SignedInteger>(_ a: T, _ b: T) -> T {
        switch self {
        case .add: return a &+ b
        case .subtract: return a &- b
        case .multiply: return a &* b
        case .maximum: return Swift.max(a, b)
        case .minimum: return Swift.min(a, b)
        case .floorDivide:
            if b == 0 { return 0 }
            let q = a / b
            return (a % b != 0) && ((a < 0) != (b < 0)) ? q - 1 : q
        case .mod:
            if b == 0 { return 0 }
            let r = a % b
            return r != 0 && ((r < 0) != (b < 0)) ? r + b : r
        case .power:
            // Negative exponents: only ±1 have integer reciprocals.
            if b < 0 { return a == 1 ? 1 : (a == -1 ? (b & 1 == 0 ? 1 : -1) : 0) }
            var result: T = 1, base = a, exponent = b
            while exponent > 0 {
                if exponent & 1 == 1 { result = result &* base }
                base = base &* base
                exponent >>= 1
            }
            return result
        default: return 0
        }
    }

    func compare<T: Comparable>(_ a: T, _ b: T) -> Bool {
        switch self {
        case .equal: return a == b
        case .notEqual: return a != b
        case .less: return a < b
        case .lessEqual: return a <= b
        case .greater: return a > b
        case .greaterEqual: return a >= b
        default: return false
        }
    }

    /// On two bools, add and maximum are `or`, multiply and minimum `and` (NumPy keeps bool).
    var booleanForm: BinaryKind? {
        switch self {
        case .add, .maximum: return .logicalOr
        case .multiply, .minimum: return .logicalAnd
        default: return nil
        }
    }

    /// The dtype the operands are computed in.
    func computeType(_ a: DType, _ b: DType) -> DType {
        if isLogical { return .bool }
        let promoted = DType.promoted(a, b)
        if self == .divide || self == .arctan2 { return .float32 }
        if promoted == .bool && !isComparison { return booleanForm == nil ? .int32 : .bool }
        return promoted
    }

    func outputType(_ a: DType, _ b: DType) -> DType {
        isComparison ? .bool : computeType(a, b)
    }
}

struct BinaryOp: Op {
    let kind: BinaryKind

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 2, kind.rawValue)
        guard let shape = broadcastShape(inputs[0].shape, inputs[1].shape) else {
            throw SwiftNetError.value("[\(kind.rawValue)] Cannot broadcast shapes \(describe(inputs[0].shape)) and \(describe(inputs[1].shape)).")
        }
        return [TensorSpec(shape: shape, dtype: kind.outputType(inputs[0].dtype, inputs[1].dtype))]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        [try binary(kind, inputs[0], inputs[1], context)]
    }
}

/// `kind` of `a` and `b` broadcast against each other.
func binary(_ kind: BinaryKind, _ a: Tensor, _ b: Tensor, _ context: OpContext) throws -> Tensor {
    if a.dtype == .bool, b.dtype == .bool, let logical = kind.booleanForm { return try binary(logical, a, b, context) }
    guard let shape = broadcastShape(a.shape, b.shape) else {
        throw SwiftNetError.value("[\(kind.rawValue)] Cannot broadcast shapes \(describe(a.shape.map { $0 })) and \(describe(b.shape.map { $0 })).")
    }
    let computeType = kind.computeType(a.dtype, b.dtype)
    let storageType: DType = computeType == .bool ? .float32 : computeType
    let x = a.dtype == storageType || (a.dtype == .bool && storageType == .float32) ? a : try cast(a, to: storageType, context)
    let y = b.dtype == storageType || (b.dtype == .bool && storageType == .float32) ? b : try cast(b, to: storageType, context)
    let outType = kind.outputType(a.dtype, b.dtype)
    let out = try Tensor.output(shape, outType, of: kind.differentiable ? [x, y] : [], context)
    let xs = broadcastStrides(x.shape, to: shape), ys = broadcastStrides(y.shape, to: shape)
    switch storageType {
    case .int32: integerBinary(kind, x.int32s, xs, y.int32s, ys, shape, out)
    case .int64: integerBinary(kind, x.int64s, xs, y.int64s, ys, shape, out)
    default: floatBinary(x.data, x.shape, y.data, y.shape, shape, into: out.data) { kind.vector($0, $1) }
    }
    guard kind.differentiable, out.requiresGrad else { return out }
    out.onBackward { [x, y, out] in
        let g = out.grad!
        let n = out.count
        // Each operand's gradient at full size, then summed down to its own shape.
        func give(_ target: Tensor, _ partial: (UnsafeMutablePointer<Float>) -> Void) throws {
            guard target.requiresGrad else { return }
            let full = try context.tape.scratch(n)
            partial(full)
            try target.accumulateGradient { gt, accumulate in
                reduceToShape(full, shape, to: target.shape, into: gt, accumulate: accumulate)
            }
        }
        let xf = try broadcastValues(x, to: shape, context), yf = try broadcastValues(y, to: shape, context)
        switch kind {
        case .add:
            try give(x) { $0.update(from: g, count: n) }
            try give(y) { $0.update(from: g, count: n) }
        case .subtract:
            try give(x) { $0.update(from: g, count: n) }
            try give(y) { vectorMap(n, g, $0) { -$0 } }
        case .multiply:
            try give(x) { vectorMap2(n, g, yf, $0) { $0 * $1 } }
            try give(y) { vectorMap2(n, g, xf, $0) { $0 * $1 } }
        case .divide:
            try give(x) { vectorMap2(n, g, yf, $0) { $0 / $1 } }
            try give(y) { vectorMap3(n, g, xf, yf, $0) { -$0 * $1 / ($2 * $2) } }
        case .power:
            try give(x) { d in for i in 0..<n { d[i] = yf[i] == 0 ? 0 : g[i] * yf[i] * powf(xf[i], yf[i] - 1) } }
            try give(y) { d in for i in 0..<n { d[i] = xf[i] > 0 ? g[i] * out.data[i] * logf(xf[i]) : 0 } }
        case .maximum, .minimum:
            // Ties share the gradient, as JAX does.
            let wins: (Float, Float) -> Bool = kind == .maximum ? { $0 > $1 } : { $0 < $1 }
            try give(x) { d in for i in 0..<n { d[i] = wins(xf[i], yf[i]) ? g[i] : (xf[i] == yf[i] ? 0.5 * g[i] : 0) } }
            try give(y) { d in for i in 0..<n { d[i] = wins(yf[i], xf[i]) ? g[i] : (xf[i] == yf[i] ? 0.5 * g[i] : 0) } }
        case .mod:
            try give(x) { $0.update(from: g, count: n) }
            try give(y) { d in for i in 0..<n { d[i] = -g[i] * (xf[i] / yf[i]).rounded(.down) } }
        case .arctan2:
            try give(x) { d in for i in 0..<n { d[i] = g[i] * yf[i] / (xf[i] * xf[i] + yf[i] * yf[i]) } }
            try give(y) { d in for i in 0..<n { d[i] = -g[i] * xf[i] / (xf[i] * xf[i] + yf[i] * yf[i]) } }
        default: break
        }
    }
    return out
}

/// The values of float tensor `x` stretched to `shape` (the tensor's own memory when it has that
/// shape already).
func broadcastValues(_ x: Tensor, to shape: [Int], _ context: OpContext) throws -> UnsafeMutablePointer<Float> {
    if x.shape == shape { return x.data }
    let n = shape.reduce(1, *)
    let out = try context.tape.scratch(n)
    let zero = Vec(repeating: 0)
    floatBinary(x.data, x.shape, [0], [1], shape, into: out) { a, _ in a + zero }
    return out
}

/// out = f(a, b) over `shape`, for float operands of shapes `aShape`, `bShape` broadcast to it:
/// whole-array vector passes when the shapes allow, row by row otherwise.
func floatBinary(_ a: UnsafePointer<Float>, _ aShape: [Int], _ b: UnsafePointer<Float>, _ bShape: [Int], _ shape: [Int],
                 into out: UnsafeMutablePointer<Float>, _ f: (Vec, Vec) -> Vec) {
    let n = shape.reduce(1, *)
    let aCount = aShape.reduce(1, *), bCount = bShape.reduce(1, *)
    if aCount == n && bCount == n {
        parallelChunks(n) { r in vectorMap2(r.count, a + r.lowerBound, b + r.lowerBound, out + r.lowerBound, f) }
        return
    }
    if bCount == 1 && aCount == n {
        let s = Vec(repeating: b[0])
        parallelChunks(n) { r in vectorMap(r.count, a + r.lowerBound, out + r.lowerBound) { f($0, s) } }
        return
    }
    if aCount == 1 && bCount == n {
        let s = Vec(repeating: a[0])
        parallelChunks(n) { r in vectorMap(r.count, b + r.lowerBound, out + r.lowerBound) { f(s, $0) } }
        return
    }
    let aStrides = broadcastStrides(aShape, to: shape), bStrides = broadcastStrides(bShape, to: shape)
    let inner = shape.last ?? 1
    let aInner = aStrides.last ?? 0, bInner = bStrides.last ?? 0
    forEachRow(shape, aStrides, bStrides) { o, ao, bo in
        switch (aInner, bInner) {
        case (1, 1): vectorMap2(inner, a + ao, b + bo, out + o, f)
        case (1, _):
            let s = Vec(repeating: b[bo])
            vectorMap(inner, a + ao, out + o) { f($0, s) }
        case (_, 1):
            let s = Vec(repeating: a[ao])
            vectorMap(inner, b + bo, out + o) { f(s, $0) }
        default:
            let r = f(Vec(repeating: a[ao]), Vec(repeating: b[bo]))[0]
            (out + o).update(repeating: r, count: inner)
        }
    }
}

private func integerBinary<T: FixedWidthInteger & SignedInteger>(
    _ kind: BinaryKind, _ a: UnsafePointer<T>, _ aStrides: [Int], _ b: UnsafePointer<T>, _ bStrides: [Int],
    _ shape: [Int], _ out: Tensor
) {
    let inner = shape.last ?? 1
    let aInner = aStrides.last ?? 0, bInner = bStrides.last ?? 0
    let comparison = kind.isComparison
    let ints = out.raw.assumingMemoryBound(to: T.self)
    forEachRow(shape, aStrides, bStrides) { o, ao, bo in
        for j in 0..<inner {
            let x = a[ao + j * aInner], y = b[bo + j * bInner]
            if comparison { out.data[o + j] = kind.compare(x, y) ? 1 : 0 } else { ints[o + j] = kind.integer(x, y) }
        }
    }
}

// MARK: - where and clip

/// `where(condition, x1, x2)`: x1 where the condition is true (non-zero), x2 elsewhere.
struct WhereOp: Op {
    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 3, "where")
        guard let s1 = broadcastShape(inputs[0].shape, inputs[1].shape), let shape = broadcastShape(s1, inputs[2].shape) else {
            throw SwiftNetError.value("[where] Cannot broadcast shapes \(describe(inputs[0].shape)), \(describe(inputs[1].shape)) and \(describe(inputs[2].shape)).")
        }
        let dtype = inputs[1].dtype == inputs[2].dtype ? inputs[1].dtype : DType.promoted(inputs[1].dtype, inputs[2].dtype)
        return [TensorSpec(shape: shape, dtype: dtype)]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        let spec = try infer(inputs.map(TensorSpec.init))[0]
        let shape = spec.shape.map { $0! }
        let condition = try broadcastCondition(inputs[0], to: shape, context)
        let type = spec.dtype == .bool ? DType.float32 : spec.dtype
        let x = inputs[1].dtype == spec.dtype ? inputs[1] : try cast(inputs[1], to: type, context)
        let y = inputs[2].dtype == spec.dtype ? inputs[2] : try cast(inputs[2], to: type, context)
        let out = try Tensor.output(shape, spec.dtype, of: [x, y], context)
        let n = out.count
        if type.isInteger {
            let xs = broadcastStrides(x.shape, to: shape), ys = broadcastStrides(y.shape, to: shape)
            let inner = shape.last ?? 1, xi = xs.last ?? 0, yi = ys.last ?? 0
            forEachRow(shape, xs, ys) { o, xo, yo in
                for j in 0..<inner {
                    let pick = condition[o + j] != 0
                    if type == .int32 { out.int32s[o + j] = pick ? x.int32s[xo + j * xi] : y.int32s[yo + j * yi] }
                    else { out.int64s[o + j] = pick ? x.int64s[xo + j * xi] : y.int64s[yo + j * yi] }
                }
            }
            return [out]
        }
        let xf = try broadcastValues(x, to: shape, context), yf = try broadcastValues(y, to: shape, context)
        vectorMap3(n, condition, xf, yf, out.data) { c, a, b in b.replacing(with: a, where: c .!= 0) }
        out.onBackward { [x, y, out] in
            let g = out.grad!
            for (operand, pick) in [(x, true), (y, false)] where operand.requiresGrad {
                let full = try context.tape.scratch(n)
                vectorMap2(n, g, condition, full) { g, c in
                    pick ? Vec(repeating: 0).replacing(with: g, where: c .!= 0) : g.replacing(with: 0, where: c .!= 0)
                }
                try operand.accumulateGradient { gt, accumulate in
                    reduceToShape(full, shape, to: operand.shape, into: gt, accumulate: accumulate)
                }
            }
        }
        return [out]
    }

    private func broadcastCondition(_ c: Tensor, to shape: [Int], _ context: OpContext) throws -> UnsafeMutablePointer<Float> {
        let floats = c.dtype == .float32 || c.dtype == .bool ? c : try cast(c, to: .float32, context)
        return try broadcastValues(floats, to: shape, context)
    }
}

/// `clip(x, min, max)`: values limited to [min, max]; the gradient passes where x is inside.
struct ClipOp: Op {
    let low: Double, high: Double

    init(_ attributes: ConfigReader) throws {
        low = try attributes.double("x_min", default: -.infinity)
        high = try attributes.double("x_max", default: .infinity)
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 1, "clip")
        return [TensorSpec(shape: inputs[0].shape, dtype: inputs[0].dtype == .bool ? .int32 : inputs[0].dtype)]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        let x = inputs[0]
        let type = try infer([TensorSpec(x)])[0].dtype
        if type.isInteger {
            let out = try Tensor.output(x.shape, type, of: [], context)
            for i in 0..<x.count {
                let v = min(max(x.scalar(at: i), low), high)
                if type == .int32 { out.int32s[i] = Int32(clamping: Int64(v)) } else { out.int64s[i] = Int64(v) }
            }
            return [out]
        }
        let source = x.dtype == .float32 ? x : try cast(x, to: .float32, context)
        let out = try Tensor.output(x.shape, .float32, of: [source], context)
        let lo = Float(max(low, -Double(Float.greatestFiniteMagnitude) * 2)), hi = Float(min(high, Double(Float.greatestFiniteMagnitude) * 2))
        vectorMap(x.count, source.data, out.data) { vclamp($0, lo, hi) }
        out.onBackward { [source, out] in
            let g = out.grad!
            try source.accumulateGradient { gx, accumulate in
                for i in 0..<source.count {
                    let v = source.data[i]
                    let d = v >= lo && v <= hi ? g[i] : 0
                    gx[i] = accumulate ? gx[i] + d : d
                }
            }
        }
        return [out]
    }
}

let elementwiseOps: [String: OpRegistry.Factory] = {
    var table: [String: OpRegistry.Factory] = [:]
    for kind in UnaryKind.allCases { table[kind.rawValue] = { _ in UnaryOp(kind: kind) } }
    for kind in BinaryKind.allCases { table[kind.rawValue] = { _ in BinaryOp(kind: kind) } }
    table["where"] = { _ in WhereOp() }
    table["clip"] = { try ClipOp($0) }
    return table
}()
