/// Ops indexed by integer tensors: take (the embedding lookup), take_along_axis, one_hot.

/// Reads integer index `i` of `indices` (int32, int64, or integral floats) and resolves negative
/// values against `size`, or fails naming the op.
@inline(__always)
private func index(_ indices: Tensor, _ i: Int, size: Int, _ op: String, negative: Bool = true) throws -> Int {
    let raw: Int
    switch indices.dtype {
    case .int32: raw = Int(indices.int32s[i])
    case .int64: raw = Int(indices.int64s[i])
    default:
        let v = indices.data[i]
        guard v == v.rounded(), abs(v) < 1e15 else {
            throw SwiftNetError.type("[\(op)] Indices must be integers. Received: \(v)")
        }
        raw = Int(v)
    }
    let resolved = raw < 0 && negative ? raw + size : raw
    guard resolved >= 0, resolved < size else {
        let range = negative ? "for an axis of size \(size)" : "[0, \(size))"
        throw SwiftNetError.value("[\(op)] Index \(raw) is out of range \(range).")
    }
    return resolved
}

/// `take(x, indices, axis)`: x's slices at `indices` along `axis` (x flattened when axis is nil).
/// With `negativeIndices` false, negative indices are errors instead of counting from the end
/// (token ids).
func take(_ x: Tensor, _ indices: Tensor, axis: Int?, negativeIndices: Bool = true, _ context: OpContext) throws -> Tensor {
    let source = axis == nil ? try reshape(x, [x.count]) : x
    let a = try resolveAxis(axis ?? 0, rank: source.shape.count, "take")
    let size = source.shape[a]
    let outer = source.shape[..<a].reduce(1, *)
    let inner = source.shape[(a + 1)...].reduce(1, *)
    let outShape = Array(source.shape[..<a]) + indices.shape + Array(source.shape[(a + 1)...])
    let out = try Tensor.output(outShape, source.dtype, of: [source], context)
    let n = indices.count
    var rows = [Int](repeating: 0, count: n)
    for i in 0..<n { rows[i] = try index(indices, i, size: size, "take", negative: negativeIndices) }
    let bytes = source.dtype.byteSize
    for o in 0..<outer {
        for (i, row) in rows.enumerated() {
            copyElements(source.raw + ((o * size + row) * inner) * bytes, out.raw + ((o * n + i) * inner) * bytes,
                         count: inner, bytes: bytes)
        }
    }
    out.onBackward { [source, out] in
        let g = out.grad!
        let gx = try source.gradientForAccumulation()
        for o in 0..<outer {
            for (i, row) in rows.enumerated() {
                let dst = gx + (o * size + row) * inner, src = g + (o * n + i) * inner
                vectorMap2(inner, dst, src, dst) { $0 + $1 }
            }
        }
    }
    return out
}

struct TakeOp: Op {
    let axis: Int?
    let negativeIndices: Bool

    init(_ attributes: ConfigReader) throws {
        axis = attributes.has("axis") ? try attributes.int("axis") : nil
        negativeIndices = try attributes.bool("negative_indices", default: true)
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 2, "take")
        let x = inputs[0], indices = inputs[1]
        guard let axis else { return [TensorSpec(shape: indices.shape, dtype: x.dtype)] }
        let a = try resolveAxis(axis, rank: x.rank, "take")
        return [TensorSpec(shape: Array(x.shape[..<a]) + indices.shape + Array(x.shape[(a + 1)...]), dtype: x.dtype)]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        [try take(inputs[0], inputs[1], axis: axis, negativeIndices: negativeIndices, context)]
    }
}

/// `take_along_axis(x, indices, axis)`: out[..., i, ...] = x[..., indices[..., i, ...], ...], with
/// `indices` of x's rank (other axes broadcast).
struct TakeAlongAxisOp: Op {
    let axis: Int

    init(_ attributes: ConfigReader) throws {
        axis = try attributes.int("axis")
    }

    func outShape(_ x: [Int?], _ indices: [Int?]) throws -> [Int?] {
        guard x.count == indices.count else {
            throw SwiftNetError.value("[take_along_axis] `indices` must have the rank of x (\(x.count)). Received shape \(describe(indices)).")
        }
        let a = try resolveAxis(axis, rank: x.count, "take_along_axis")
        var xs = x
        xs[a] = 1
        var idx = indices
        idx[a] = 1
        guard var shape = broadcastShape(xs, idx) else {
            throw SwiftNetError.value("[take_along_axis] Shapes \(describe(x)) and \(describe(indices)) do not broadcast outside the axis.")
        }
        shape[a] = indices[a]
        return shape
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 2, "take_along_axis")
        return [TensorSpec(shape: try outShape(inputs[0].shape, inputs[1].shape), dtype: inputs[0].dtype)]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        let x = inputs[0], indices = inputs[1]
        let shape = try outShape(x.shape.map { $0 }, indices.shape.map { $0 }).map { $0! }
        let a = try resolveAxis(axis, rank: x.shape.count, "take_along_axis")
        let xStrides = contiguousStrides(x.shape)
        let iStrides = broadcastStrides(indices.shape, to: shape)
        let out = try Tensor.output(shape, x.dtype, of: [x], context)
        // Offsets into x without the axis, and into indices, for every output element.
        var sources = [Int](repeating: 0, count: out.count)
        let outStrides = contiguousStrides(shape)
        for o in 0..<out.count {
            var rest = o, xo = 0, io = 0
            for d in 0..<shape.count {
                let i = rest / outStrides[d]
                rest %= outStrides[d]
                if d != a && x.shape[d] != 1 { xo += i * xStrides[d] }
                io += i * iStrides[d]
            }
            sources[o] = xo + (try index(indices, io, size: x.shape[a], "take_along_axis")) * xStrides[a]
        }
        for (o, s) in sources.enumerated() {
            switch x.dtype {
            case .int32: out.int32s[o] = x.int32s[s]
            case .int64: out.int64s[o] = x.int64s[s]
            default: out.data[o] = x.data[s]
            }
        }
        out.onBackward { [x, out] in
            let g = out.grad!
            let gx = try x.gradientForAccumulation()
            for (o, s) in sources.enumerated() { gx[s] += g[o] }
        }
        return [out]
    }
}

/// `one_hot(x, num_classes, axis=-1)`: 1 at each integer's position; out-of-range values give all
/// zeros, as Keras's JAX backend does.
struct OneHotOp: Op {
    let classes: Int
    let axis: Int
    let dtype: DType

    init(_ attributes: ConfigReader) throws {
        classes = try attributes.positiveInt("num_classes")
        axis = try attributes.int("axis", default: -1)
        dtype = try DType.named(attributes.string("dtype", default: "float32"), owner: "one_hot")
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 1, "one_hot")
        var shape = inputs[0].shape
        let a = try resolveAxis(axis, rank: shape.count + 1, "one_hot")
        shape.insert(classes, at: a)
        _ = try checkedCount(shape.map { $0 ?? 1 }, what: "one_hot")
        return [TensorSpec(shape: shape, dtype: dtype)]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        let x = inputs[0]
        let spec = try infer([TensorSpec(x)])[0]
        let a = try resolveAxis(axis, rank: x.shape.count + 1, "one_hot")
        let outer = x.shape[..<a].reduce(1, *), inner = x.shape[a...].reduce(1, *)
        let out = try filled(spec.shape.map { $0! }, dtype, 0, context)
        for o in 0..<outer {
            for i in 0..<inner {
                let v = x.scalar(at: o * inner + i)
                guard v >= 0, v < Double(classes), v == v.rounded() else { continue }
                let position = (o * classes + Int(v)) * inner + i
                switch dtype {
                case .int32: out.int32s[position] = 1
                case .int64: out.int64s[position] = 1
                default: out.data[position] = 1
                }
            }
        }
        return [out]
    }
}

let indexOps: [String: OpRegistry.Factory] = [
    "take": { try TakeOp($0) },
    "take_along_axis": { try TakeAlongAxisOp($0) },
    "one_hot": { try OneHotOp($0) },
]
