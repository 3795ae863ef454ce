/// Reductions over axes with `keepdims`: sum, mean, max, min, prod, any, all, argmax, argmin, and
/// the composites var, std and logsumexp (whose gradients come from their parts).

enum ReductionKind: String, CaseIterable {
    case sum, mean, max, min, prod, any, all, argmax, argmin

    var returnsIndex: Bool { self == .argmax || self == .argmin }
    var differentiable: Bool {
        switch self {
        case .sum, .mean, .max, .min, .prod: return true
        default: return false
        }
    }
    /// Kinds that pick an element, so an empty axis has no answer.
    var picksAnElement: Bool {
        switch self {
        case .max, .min, .argmax, .argmin: return true
        default: return false
        }
    }

    func outputType(_ input: DType) -> DType {
        switch self {
        case .any, .all: return .bool
        case .argmax, .argmin: return .int32
        case .mean: return .float32
        case .max, .min: return input
        default: return input == .bool ? .int32 : input
        }
    }
}

/// Output shape of reducing `shape` over the resolved `axes`.
func reducedShape<D>(_ shape: [D], axes: [Int], keepdims: Bool, one: D) -> [D] {
    keepdims ? shape.enumerated().map { axes.contains($0.offset) ? one : $0.element }
        : shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
}

struct ReduceOp: Op {
    let kind: ReductionKind
    let axes: [Int]?
    let keepdims: Bool

    init(_ kind: ReductionKind, _ attributes: ConfigReader) throws {
        self.kind = kind
        keepdims = try attributes.bool("keepdims", default: false)
        if kind.returnsIndex, attributes.has("axis") {
            axes = [try attributes.int("axis")]
        } else {
            axes = try attributes.axes()
        }
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 1, kind.rawValue)
        let rank = inputs[0].rank
        let resolved = try resolveAxes(axes, rank: rank, kind.rawValue)
        if kind == .argmax || kind == .argmin, axes == nil {
            return [TensorSpec(shape: keepdims ? Array(repeating: 1, count: rank) : [], dtype: .int32)]
        }
        return [TensorSpec(shape: reducedShape(inputs[0].shape, axes: resolved, keepdims: keepdims, one: 1),
                           dtype: kind.outputType(inputs[0].dtype))]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        [try reduce(kind, inputs[0], axes: axes, keepdims: keepdims, context)]
    }
}

/// `x` laid out as [outer, group] rows with the reduced axes last: `x` itself when they already
/// are, else a permuted copy. Returns the floats (or raw memory), outer and group sizes.
private func grouped(_ x: Tensor, axes: [Int], _ context: OpContext) throws -> (UnsafeRawPointer, Int, Int) {
    let group = axes.reduce(1) { $0 * x.shape[$1] }
    let rank = x.shape.count
    // Counted from the kept axes: reducing over an empty axis still gives every output a value.
    let outer = (0..<rank).filter { !axes.contains($0) }.reduce(1) { $0 * x.shape[$1] }
    let suffix = axes == Array((rank - axes.count)..<rank)
    if suffix { return (UnsafeRawPointer(x.raw), outer, group) }
    let perm = (0..<rank).filter { !axes.contains($0) } + axes
    let buffer = try context.tape.scratch(Tensor.floats(x.count, x.dtype))
    switch x.dtype {
    case .int32: permute(x.int32s, shape: x.shape, perm: perm, into: UnsafeMutableRawPointer(buffer).assumingMemoryBound(to: Int32.self))
    case .int64: permute(x.int64s, shape: x.shape, perm: perm, into: UnsafeMutableRawPointer(buffer).assumingMemoryBound(to: Int64.self))
    default: permute(x.data, shape: x.shape, perm: perm, into: buffer)
    }
    return (UnsafeRawPointer(buffer), outer, group)
}

/// `kind` of `x` over `axes` (all when nil).
func reduce(_ kind: ReductionKind, _ x: Tensor, axes: [Int]?, keepdims: Bool, _ context: OpContext) throws -> Tensor {
    let op = kind.rawValue
    let resolved = try resolveAxes(axes, rank: x.shape.count, op)
    let flatIndex = kind.returnsIndex && axes == nil
    let outShape = flatIndex ? (keepdims ? Array(repeating: 1, count: x.shape.count) : [])
        : reducedShape(x.shape, axes: resolved, keepdims: keepdims, one: 1)
    let type = kind.outputType(x.dtype)
    if kind.picksAnElement && !resolved.isEmpty && resolved.contains(where: { x.shape[$0] == 0 }) {
        throw SwiftNetError.value("[\(op)] Cannot reduce over an empty axis: the input has shape \(describe(x.shape.map { $0 })).")
    }
    let out = try Tensor.output(outShape, type, of: kind.differentiable ? [x] : [], context)
    if (kind == .sum || kind == .mean) && x.dtype == .float32, let first = resolved.first, first > 0,
       resolved == Array(first..<(first + resolved.count)), first + resolved.count < x.shape.count {
        // A block of middle axes (time in [batch, time, features]): rows add up in place.
        sumMiddleAxes(x, from: first, count: resolved.count, mean: kind == .mean, into: out)
    } else {
        try reduceGrouped(kind, x, resolved: resolved, flatIndex: flatIndex, type: type, out: out, context)
    }
    guard kind.differentiable, out.requiresGrad else { return out }
    try recordReductionGradient(kind, x, out, resolved: resolved, context)
    return out
}

/// out[o, i] = Σ_g x[o, g, i] (or the mean) for the axes from..<from+count of x.
private func sumMiddleAxes(_ x: Tensor, from: Int, count: Int, mean: Bool, into out: Tensor) {
    let outer = x.shape[..<from].reduce(1, *), group = x.shape[from..<(from + count)].reduce(1, *)
    let inner = x.shape[(from + count)...].reduce(1, *)
    let scale: Float = mean ? (group == 0 ? .nan : 1 / Float(group)) : 1
    parallelFor(outer, minChunk: max(1, (1 << 16) / max(group * inner, 1))) { range in
        for o in range {
            let dst = out.data + o * inner
            dst.update(repeating: 0, count: inner)
            for g in 0..<group { vectorMap2(inner, dst, x.data + (o * group + g) * inner, dst) { $0 + $1 } }
            if mean { vectorMap(inner, dst, dst) { $0 * scale } }
        }
    }
}

/// `kind` over the `resolved` axes of x, with them moved last when they are not, into `out`.
private func reduceGrouped(_ kind: ReductionKind, _ x: Tensor, resolved: [Int], flatIndex: Bool, type: DType, out: Tensor,
                           _ context: OpContext) throws {
    let (memory, outer, group) = try grouped(x, axes: flatIndex ? Array(0..<x.shape.count) : resolved, context)
    if x.dtype.isInteger && !kind.returnsIndex && kind != .any && kind != .all && kind != .mean {
        if x.dtype == .int32 { integerReduce(kind, memory.assumingMemoryBound(to: Int32.self), outer, group, out.int32s) }
        else { integerReduce(kind, memory.assumingMemoryBound(to: Int64.self), outer, group, out.int64s) }
        return
    }
    // Everything else computes on floats (integers converted on the way).
    let values: UnsafePointer<Float>
    if x.dtype.isInteger {
        let converted = try context.tape.scratch(x.count)
        for i in 0..<x.count {
            converted[i] = x.dtype == .int32 ? Float(memory.assumingMemoryBound(to: Int32.self)[i])
                : Float(memory.assumingMemoryBound(to: Int64.self)[i])
        }
        values = UnsafePointer(converted)
    } else {
        values = memory.assumingMemoryBound(to: Float.self)
    }
    // Sums and products of bools count in int32: computed in the float scratch, converted below.
    let countsBools = (kind == .sum || kind == .prod) && x.dtype == .bool
    let results = countsBools ? try context.tape.scratch(outer) : out.data
    for r in 0..<outer {
        let row = values + r * group
        switch kind {
        case .sum: results[r] = Reduce.sum(row, group)
        case .mean: results[r] = group == 0 ? .nan : Float(Double(Reduce.sum(row, group)) / Double(group))
        case .max, .min:
            var best = row[0]
            for j in 1..<max(group, 1) where (kind == .max ? row[j] > best : row[j] < best) || row[j].isNaN { best = row[j]; if best.isNaN { break } }
            results[r] = best
        case .prod:
            var p = 1.0
            for j in 0..<group { p *= Double(row[j]) }
            results[r] = Float(p)
        case .any:
            var hit: Float = 0
            for j in 0..<group where row[j] != 0 { hit = 1; break }
            results[r] = hit
        case .all:
            var all: Float = 1
            for j in 0..<group where row[j] == 0 { all = 0; break }
            results[r] = all
        case .argmax, .argmin:
            var best = 0
            for j in 1..<max(group, 1) where (kind == .argmax ? row[j] > row[best] : row[j] < row[best]) || (row[j].isNaN && !row[best].isNaN) { best = j }
            out.int32s[r] = Int32(best)
        }
    }
    if countsBools { for r in 0..<outer { out.int32s[r] = saturatingInteger(Double(results[r]), as: Int32.self) } }
}

/// The vector-Jacobian product of `kind` over `resolved` (out = kind(x)).
private func recordReductionGradient(_ kind: ReductionKind, _ x: Tensor, _ out: Tensor, resolved: [Int],
                                     _ context: OpContext) throws {
    let group = resolved.reduce(1) { $0 * x.shape[$1] }
    let keptShape = reducedShape(x.shape, axes: resolved, keepdims: true, one: 1)
    out.onBackward { [x, out] in
        let n = x.count
        if out.count == 1 && (kind == .sum || kind == .mean) {
            // A whole-tensor sum or mean (a loss): every element gets the same gradient.
            let v = Vec(repeating: out.grad![0] / (kind == .mean ? Float(max(group, 1)) : 1))
            try x.accumulateGradient { gx, accumulate in
                if accumulate { vectorMap(n, gx, gx) { $0 + v } } else { gx.update(repeating: v[0], count: n) }
            }
            return
        }
        let g = try broadcastValues(Tensor(viewing: out.gradientTensor(), shape: keptShape, requiresGrad: false), to: x.shape, context)
        let full = try context.tape.scratch(n)
        switch kind {
        case .sum: full.update(from: g, count: n)
        case .mean:
            let scale = 1 / Float(max(group, 1))
            vectorMap(n, g, full) { $0 * scale }
        case .max, .min:
            // Ties share the gradient equally.
            let y = try broadcastValues(Tensor(viewing: out, shape: keptShape, requiresGrad: false), to: x.shape, context)
            let mask = try context.tape.scratch(n)
            vectorMap2(n, x.data, y, mask) { Vec(repeating: 0).replacing(with: 1, where: $0 .== $1) }
            let ties = try reduce(.sum, Tensor(external: UnsafeMutableRawPointer(mask), shape: x.shape, tape: context.tape),
                                  axes: resolved, keepdims: true, context)
            let counts = try broadcastValues(ties, to: x.shape, context)
            vectorMap3(n, g, mask, counts, full) { $0 * $1 / $2 }
        case .prod:
            let y = try broadcastValues(Tensor(viewing: out, shape: keptShape, requiresGrad: false), to: x.shape, context)
            for i in 0..<n { full[i] = x.data[i] != 0 ? g[i] * y[i] / x.data[i] : 0 }
            try prodGradientAtZeros(x, resolved, g, full, context)
        default: break
        }
        try x.accumulateGradient { gx, accumulate in
            if accumulate { vectorMap2(n, gx, full, gx) { $0 + $1 } } else { gx.update(from: full, count: n) }
        }
    }
}

/// The gradient of a product at its zeros: with one zero in a group, that element's gradient is the
/// product of the others; with more, every gradient is zero (already so).
private func prodGradientAtZeros(_ x: Tensor, _ axes: [Int], _ g: UnsafePointer<Float>, _ full: UnsafeMutablePointer<Float>,
                                 _ context: OpContext) throws {
    guard (0..<x.count).contains(where: { x.data[$0] == 0 }) else { return }
    let rank = x.shape.count
    let perm = (0..<rank).filter { !axes.contains($0) } + axes
    let group = axes.reduce(1) { $0 * x.shape[$1] }
    // Positions in x of the permuted layout's elements, to write back.
    let positions = try context.tape.scratch(x.count)
    let index = try context.tape.scratch(x.count)
    for i in 0..<x.count { index[i] = Float(i) }
    permute(index, shape: x.shape, perm: perm, into: positions)
    for r in 0..<(x.count / max(group, 1)) {
        var zeros = 0, zeroAt = -1
        var others = 1.0
        for j in 0..<group {
            let p = Int(positions[r * group + j])
            if x.data[p] == 0 { zeros += 1; zeroAt = p } else { others *= Double(x.data[p]) }
        }
        if zeros == 1 { full[zeroAt] = g[zeroAt] * Float(others) }
    }
}

private func integerReduce<T: FixedWidthInteger & SignedInteger>(_ kind: ReductionKind, _ x: UnsafePointer<T>, _ outer: Int,
                                                                   _ group: Int, _ out: UnsafeMutablePointer<T>) {
    for r in 0..<outer {
        let row = x + r * group
        var acc: T
        switch kind {
        case .sum: acc = 0; for j in 0..<group { acc = acc &+ row[j] }
        case .prod: acc = 1; for j in 0..<group { acc = acc &* row[j] }
        case .max: acc = row[0]; for j in 0..<group { acc = Swift.max(acc, row[j]) }
        case .min: acc = row[0]; for j in 0..<group { acc = Swift.min(acc, row[j]) }
        default: acc = 0
        }
        out[r] = acc
    }
}

extension Tensor {
    /// This step's gradient as a tensor view (for backward code that reshapes it).
    func gradientTensor() -> Tensor {
        Tensor(external: UnsafeMutableRawPointer(grad!), shape: shape, tape: tape)
    }
}

// MARK: - Composites

/// Variance over `axes`: mean((x − mean(x))²).
func variance(_ x: Tensor, axes: [Int]?, keepdims: Bool, _ context: OpContext) throws -> Tensor {
    let floats = try cast(x, to: .float32, context)
    let mean = try reduce(.mean, floats, axes: axes, keepdims: true, context)
    let centered = try binary(.subtract, floats, mean, context)
    return try reduce(.mean, try unary(.square, centered, context), axes: axes, keepdims: keepdims, context)
}

/// log Σ exp(x) over `axes`, computed around the maximum so that it cannot overflow.
func logSumExp(_ x: Tensor, axes: [Int]?, keepdims: Bool, _ context: OpContext) throws -> Tensor {
    let floats = try cast(x, to: .float32, context)
    let peak = try reduce(.max, floats, axes: axes, keepdims: true, context)
    let finite = try WhereOp().run([try unary(.isfinite, peak, context), peak, try filled([], .float32, 0, context)], context)[0]
    let shift = Tensor(viewing: finite, shape: finite.shape, requiresGrad: false)
    let sum = try reduce(.sum, try unary(.exp, try binary(.subtract, floats, shift, context), context), axes: axes,
                         keepdims: true, context)
    let result = try binary(.add, try unary(.log, sum, context), shift, context)
    if keepdims { return result }
    let resolved = try resolveAxes(axes, rank: x.shape.count, "logsumexp")
    return try reshape(result, reducedShape(x.shape, axes: resolved, keepdims: false, one: 1))
}

/// var, std and logsumexp: the same attributes as the primitive reductions.
struct CompositeReduceOp: Op {
    let name: String
    let axes: [Int]?
    let keepdims: Bool

    init(_ name: String, _ attributes: ConfigReader) throws {
        self.name = name
        axes = try attributes.axes()
        keepdims = try attributes.bool("keepdims", default: false)
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 1, name)
        let resolved = try resolveAxes(axes, rank: inputs[0].rank, name)
        return [TensorSpec(shape: reducedShape(inputs[0].shape, axes: resolved, keepdims: keepdims, one: 1), dtype: .float32)]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        switch name {
        case "var": return [try variance(inputs[0], axes: axes, keepdims: keepdims, context)]
        case "std": return [try unary(.sqrt, try variance(inputs[0], axes: axes, keepdims: keepdims, context), context)]
        default: return [try logSumExp(inputs[0], axes: axes, keepdims: keepdims, context)]
        }
    }
}

let reductionOps: [String: OpRegistry.Factory] = {
    var table: [String: OpRegistry.Factory] = [:]
    for kind in ReductionKind.allCases { table[kind.rawValue] = { try ReduceOp(kind, $0) } }
    for name in ["var", "std", "logsumexp"] { table[name] = { try CompositeReduceOp(name, $0) } }
    return table
}()
