/// Ops that move values without computing: reshape, transpose, expand_dims, squeeze,
/// concatenate, stack, split, strided slices, tile, repeat, pad and broadcast_to. Most are one
/// gather through per-axis index maps, whose gradient scatters back through the same maps.

// MARK: - Per-axis gathers

/// For every output axis, the input index each output position reads (-1: the fill value).
struct AxisMaps {
    var maps: [[Int]]
    var outShape: [Int] { maps.map(\.count) }

    /// out[i...] = x[maps[0][i0], maps[1][i1], ...] or `fill` where any map says -1.
    func gather(_ x: Tensor, fill: Double, _ context: OpContext) throws -> Tensor {
        let out = try Tensor.output(outShape, x.dtype, of: [x], context)
        switch x.dtype {
        case .int32: walk(inShape: x.shape) { o, i in out.int32s[o] = i < 0 ? saturatingInteger(fill, as: Int32.self) : x.int32s[i] }
        case .int64: walk(inShape: x.shape) { o, i in out.int64s[o] = i < 0 ? saturatingInteger(fill, as: Int64.self) : x.int64s[i] }
        default:
            let f = Float(fill)
            walk(inShape: x.shape) { o, i in out.data[o] = i < 0 ? f : x.data[i] }
        }
        out.onBackward { [x, out] in
            let g = out.grad!
            let gx = try x.gradientForAccumulation()
            walk(inShape: x.shape) { o, i in if i >= 0 { gx[i] += g[o] } }
        }
        return out
    }

    /// Calls `body(outputOffset, inputOffset or -1)` for every output element, in order.
    func walk(inShape: [Int], _ body: (Int, Int) -> Void) {
        let strides = contiguousStrides(inShape)
        let rank = maps.count
        let total = outShape.reduce(1, *)
        if total == 0 { return }
        if rank == 0 { body(0, 0); return }
        // Offsets contributed by each axis position, -1 marking the fill value.
        let parts = (0..<rank).map { axis in maps[axis].map { $0 < 0 ? -1 : $0 * strides[axis] } }
        var index = [Int](repeating: 0, count: rank)
        var o = 0
        let inner = parts[rank - 1]
        while o < total {
            var base = 0, filled = false
            for axis in 0..<(rank - 1) {
                let p = parts[axis][index[axis]]
                if p < 0 { filled = true }
                base += p
            }
            for j in 0..<inner.count {
                body(o + j, filled || inner[j] < 0 ? -1 : base + inner[j])
            }
            o += inner.count
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < maps[axis].count { break }
                index[axis] = 0
                axis -= 1
            }
        }
    }
}

// MARK: - Views: reshape, expand_dims, squeeze

/// Resolves a target shape with at most one -1 against `count` elements (nil: count unknown).
func resolveReshape(_ target: [Int], count: Int?, _ op: String, from shape: [Int?]) throws -> [Int?] {
    let inferred = target.indices.filter { target[$0] == -1 }
    guard inferred.count <= 1, target.allSatisfy({ $0 >= -1 }) else {
        throw SwiftNetError.value("[\(op)] The new shape may hold one -1 and otherwise non-negative sizes. Received: \(target)")
    }
    let known = target.filter { $0 != -1 }.reduce(1, *)
    guard let count else { return target.map { $0 == -1 ? nil : $0 } }
    if let axis = inferred.first {
        guard known > 0, count % known == 0 else {
            throw SwiftNetError.value("[\(op)] Cannot reshape a tensor of shape \(describe(shape)) into \(target).")
        }
        var result = target.map { Optional($0) }
        result[axis] = count / known
        return result
    }
    guard known == count else {
        throw SwiftNetError.value("[\(op)] Cannot reshape a tensor of shape \(describe(shape)) (\(count) values) into \(target) (\(known) values).")
    }
    return target.map { $0 }
}

/// `reshape(x, shape)`. With a second input `like` and `leading` n, the new shape starts with
/// like's first n sizes (known only when the step runs, e.g. batch and time around a
/// `TimeDistributed` layer) followed by `shape`.
struct ReshapeOp: Op {
    let target: [Int]
    let leading: Int

    init(_ attributes: ConfigReader) throws {
        target = try attributes.intList("shape")
        leading = try attributes.int("leading", default: 0)
        guard leading >= 0 else { throw attributes.fail("Expected leading >= 0. Received: \(leading)") }
    }

    private func fullTarget(_ like: [Int?]?) throws -> [Int?] {
        guard leading > 0 else { return target.map { $0 } }
        guard let like, like.count >= leading else {
            throw SwiftNetError.value("[reshape] `leading`=\(leading) needs a second input of rank >= \(leading).")
        }
        return Array(like.prefix(leading)) + target.map { $0 }
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, leading > 0 ? 2 : 1, "reshape")
        let full = try fullTarget(leading > 0 ? inputs[1].shape : nil)
        if full.contains(where: { $0 == nil }) {
            // Sizes known only at run time: only the known ones are checked now.
            guard full.filter({ $0 == -1 }).count <= 1 else {
                throw SwiftNetError.value("[reshape] The new shape may hold one -1 and otherwise non-negative sizes. Received: \(target)")
            }
            return [TensorSpec(shape: full.map { $0 == -1 ? nil : $0 }, dtype: inputs[0].dtype)]
        }
        // A batch-like leading -1 keeps an unknown count unknown.
        return [TensorSpec(shape: try resolveReshape(full.map { $0! }, count: inputs[0].count, "reshape", from: inputs[0].shape),
                           dtype: inputs[0].dtype)]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        let full = try fullTarget(leading > 0 ? inputs[1].shape.map { $0 } : nil).map { $0! }
        let shape = try resolveReshape(full, count: inputs[0].count, "reshape", from: inputs[0].shape.map { $0 }).map { $0! }
        return [try reshape(inputs[0], shape)]
    }
}

struct ExpandDimsOp: Op {
    let axes: [Int]

    init(_ attributes: ConfigReader) throws {
        axes = try attributes.intList("axis")
    }

    func outShape<D>(_ shape: [D], one: D) throws -> [D] {
        let rank = shape.count + axes.count
        let resolved = try resolveAxes(axes, rank: rank, "expand_dims")
        var out: [D] = []
        var source = shape.makeIterator()
        for i in 0..<rank { out.append(resolved.contains(i) ? one : source.next()!) }
        return out
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 1, "expand_dims")
        return [TensorSpec(shape: try outShape(inputs[0].shape, one: 1), dtype: inputs[0].dtype)]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        [try reshape(inputs[0], try outShape(inputs[0].shape, one: 1))]
    }
}

struct SqueezeOp: Op {
    let axes: [Int]?

    init(_ attributes: ConfigReader) throws {
        axes = try attributes.axes()
    }

    func outShape(_ shape: [Int?]) throws -> [Int?] {
        guard let axes else { return shape.filter { $0 != 1 } }
        let resolved = try resolveAxes(axes, rank: shape.count, "squeeze")
        for axis in resolved where shape[axis] != 1 && shape[axis] != nil {
            throw SwiftNetError.value("[squeeze] Cannot squeeze axis \(axis) of shape \(describe(shape)): its size is not 1.")
        }
        return shape.enumerated().filter { !resolved.contains($0.offset) }.map(\.element)
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 1, "squeeze")
        return [TensorSpec(shape: try outShape(inputs[0].shape), dtype: inputs[0].dtype)]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        [try reshape(inputs[0], try outShape(inputs[0].shape.map { $0 }).map { $0! })]
    }
}

// MARK: - transpose

/// `x` with its axes in the order `perm`.
func transpose(_ x: Tensor, _ perm: [Int], _ context: OpContext) throws -> Tensor {
    if perm == Array(0..<perm.count) { return x }
    let outShape = perm.map { x.shape[$0] }
    let out = try Tensor.output(outShape, x.dtype, of: [x], context)
    switch x.dtype {
    case .int32: permute(x.int32s, shape: x.shape, perm: perm, into: out.int32s)
    case .int64: permute(x.int64s, shape: x.shape, perm: perm, into: out.int64s)
    default: permute(x.data, shape: x.shape, perm: perm, into: out.data)
    }
    out.onBackward { [x, out] in
        var inverse = [Int](repeating: 0, count: perm.count)
        for (i, p) in perm.enumerated() { inverse[p] = i }
        let back = try context.tape.scratch(x.count)
        permute(out.grad!, shape: outShape, perm: inverse, into: back)
        try x.accumulateGradient { gx, accumulate in
            if accumulate { vectorMap2(x.count, gx, back, gx) { $0 + $1 } } else { gx.update(from: back, count: x.count) }
        }
    }
    return out
}

struct TransposeOp: Op {
    let axes: [Int]?

    init(_ attributes: ConfigReader) throws {
        axes = try attributes.axes("axes")
    }

    func permutation(rank: Int) throws -> [Int] {
        guard let axes else { return Array((0..<rank).reversed()) }
        guard axes.count == rank else {
            throw SwiftNetError.value("[transpose] `axes` must list all \(rank) axes. Received: \(axes)")
        }
        let resolved = try axes.map { try resolveAxis($0, rank: rank, "transpose") }
        guard Set(resolved).count == rank else { throw SwiftNetError.value("[transpose] Repeated axis in \(axes).") }
        return resolved
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 1, "transpose")
        let perm = try permutation(rank: inputs[0].rank)
        return [TensorSpec(shape: perm.map { inputs[0].shape[$0] }, dtype: inputs[0].dtype)]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        [try transpose(inputs[0], try permutation(rank: inputs[0].shape.count), context)]
    }
}

// MARK: - concatenate, stack, split

/// The tensors joined along `axis`; they must agree on every other axis.
func concatenate(_ xs: [Tensor], axis: Int, _ context: OpContext) throws -> Tensor {
    let spec = try ConcatenateOp(axis: axis).infer(xs.map(TensorSpec.init))[0]
    let outShape = spec.shape.map { $0! }
    let a = try resolveAxis(axis, rank: outShape.count, "concatenate")
    let parts = try xs.map { try cast($0, to: spec.dtype == .bool ? .bool : spec.dtype, context) }
    let out = try Tensor.output(outShape, spec.dtype, of: parts, context)
    let outer = outShape[..<a].reduce(1, *)
    let bytes = spec.dtype.byteSize
    let outRow = outShape[a...].reduce(1, *)
    var offset = 0
    for part in parts {
        let row = part.shape[a...].reduce(1, *)
        for r in 0..<outer {
            copyElements(part.raw + r * row * bytes, out.raw + (r * outRow + offset) * bytes, count: row, bytes: bytes)
        }
        offset += row
    }
    out.onBackward { [out] in
        let g = out.grad!
        var offset = 0
        for part in parts {
            let row = part.shape[a...].reduce(1, *)
            if part.requiresGrad {
                try part.accumulateGradient { gp, accumulate in
                    for r in 0..<outer {
                        let src = g + r * outRow + offset, dst = gp + r * row
                        if accumulate { vectorMap2(row, dst, src, dst) { $0 + $1 } } else { dst.update(from: src, count: row) }
                    }
                }
            }
            offset += row
        }
    }
    return out
}

struct ConcatenateOp: Op {
    let axis: Int

    init(axis: Int) { self.axis = axis }
    init(_ attributes: ConfigReader) throws { axis = try attributes.int("axis", default: 0) }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        guard let first = inputs.first else { throw SwiftNetError.value("[concatenate] Expected at least one input.") }
        let rank = first.rank
        let a = try resolveAxis(axis, rank: rank, "concatenate")
        var shape = first.shape
        var total: Int? = 0
        var dtype = first.dtype
        for input in inputs {
            guard input.rank == rank else {
                throw SwiftNetError.value("[concatenate] All inputs must have the same rank. Received shapes: \(inputs.map { describe($0.shape) }.joined(separator: ", ")).")
            }
            for i in 0..<rank where i != a {
                switch (shape[i], input.shape[i]) {
                case let (x?, y?) where x != y:
                    throw SwiftNetError.value("[concatenate] A `Concatenate` layer requires inputs with matching shapes except for the concatenation axis. Received: input_shape=\(inputs.map { describe($0.shape) }.joined(separator: ", ")).")
                case (nil, let y): shape[i] = y
                default: break
                }
            }
            total = total.flatMap { t in input.shape[a].map { t + $0 } }
            dtype = DType.promoted(dtype, input.dtype)
        }
        shape[a] = total
        return [TensorSpec(shape: shape, dtype: dtype)]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        [try concatenate(inputs, axis: axis, context)]
    }
}

struct StackOp: Op {
    let axis: Int

    init(_ attributes: ConfigReader) throws { axis = try attributes.int("axis", default: 0) }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        guard let first = inputs.first else { throw SwiftNetError.value("[stack] Expected at least one input.") }
        let expand = ExpandDimsOp(axes: [axis])
        let expanded = try inputs.map { TensorSpec(shape: try expand.outShape($0.shape, one: 1), dtype: $0.dtype) }
        let sameShapes = inputs.allSatisfy { spec in
            spec.rank == first.rank && zip(spec.shape, first.shape).allSatisfy { $0 == nil || $1 == nil || $0 == $1 }
        }
        guard sameShapes else {
            throw SwiftNetError.value("[stack] All inputs must have the same shape. Received shapes: \(inputs.map { describe($0.shape) }.joined(separator: ", ")).")
        }
        return try ConcatenateOp(axis: try resolveAxis(axis, rank: first.rank + 1, "stack")).infer(expanded)
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        let expand = ExpandDimsOp(axes: [axis])
        let expanded = try inputs.map { try reshape($0, try expand.outShape($0.shape, one: 1)) }
        return [try concatenate(expanded, axis: try resolveAxis(axis, rank: inputs[0].shape.count + 1, "stack"), context)]
    }
}

extension ExpandDimsOp {
    init(axes: [Int]) { self.axes = axes }
}

/// `split(x, indices_or_sections, axis)`: equal sections (an integer) or cuts at indices (a list).
struct SplitOp: Op {
    let sections: Int?
    let indices: [Int]
    let axis: Int

    init(_ attributes: ConfigReader) throws {
        axis = try attributes.int("axis", default: 0)
        if case .some(.array) = attributes.json("indices_or_sections") {
            indices = try attributes.intList("indices_or_sections")
            sections = nil
        } else {
            sections = try attributes.positiveInt("indices_or_sections")
            indices = []
        }
    }

    func ranges(size: Int?) throws -> [Range<Int>?] {
        if let sections {
            guard let size else { return Array(repeating: nil, count: sections) }
            guard size % sections == 0 else {
                throw SwiftNetError.value("[split] Size \(size) along axis \(axis) does not divide into \(sections) equal sections.")
            }
            let part = size / sections
            return (0..<sections).map { ($0 * part)..<(($0 + 1) * part) }
        }
        guard let size else {
            throw SwiftNetError.value("[split] Splitting at indices needs a known size along axis \(axis).")
        }
        var cuts = [0]
        for i in indices { cuts.append(min(max(i < 0 ? i + size : i, cuts.last!), size)) }
        cuts.append(size)
        return (0..<(cuts.count - 1)).map { cuts[$0]..<cuts[$0 + 1] }
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 1, "split")
        let a = try resolveAxis(axis, rank: inputs[0].rank, "split")
        return try ranges(size: inputs[0].shape[a]).map { range in
            var shape = inputs[0].shape
            shape[a] = range?.count
            return TensorSpec(shape: shape, dtype: inputs[0].dtype)
        }
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        let x = inputs[0]
        let a = try resolveAxis(axis, rank: x.shape.count, "split")
        return try ranges(size: x.shape[a]).map { range in
            var maps = x.shape.map { Array(0..<$0) }
            maps[a] = Array(range!)
            return try AxisMaps(maps: maps).gather(x, fill: 0, context)
        }
    }
}

// MARK: - Strided slices, tile, repeat, pad, broadcast_to

/// Python slices per leading axis (`[start, stop, step]`, each possibly null); later axes whole.
struct StridedSliceOp: Op {
    let slices: [(Int?, Int?, Int?)]

    init(_ attributes: ConfigReader) throws {
        guard case .some(.array(let items)) = attributes.json("slices") else {
            throw attributes.fail("Expected `slices`, a list of [start, stop, step].")
        }
        slices = try items.map { item in
            guard case .array(let parts) = item, parts.count == 3 else {
                throw attributes.fail("Each slice must be [start, stop, step]. Received: \(item.serialized)")
            }
            let values = try parts.map { part -> Int? in
                switch part {
                case .null: return nil
                case .number(let d) where d == d.rounded() && abs(d) < 1e15: return Int(d)
                default: throw attributes.fail("Slice bounds must be integers or null. Received: \(item.serialized)")
                }
            }
            if values[2] == 0 { throw attributes.fail("Slice step cannot be zero.") }
            return (values[0], values[1], values[2])
        }
    }

    /// The positions Python's slice selects from `size` elements.
    func positions(_ slice: (Int?, Int?, Int?), size: Int) -> [Int] {
        let step = slice.2 ?? 1
        func clamp(_ v: Int?, _ fallback: Int, low: Int, high: Int) -> Int {
            guard var v else { return fallback }
            if v < 0 { v += size }
            return min(max(v, low), high)
        }
        if step > 0 {
            let start = clamp(slice.0, 0, low: 0, high: size), stop = clamp(slice.1, size, low: 0, high: size)
            return Array(stride(from: start, to: stop, by: step))
        }
        let start = clamp(slice.0, size - 1, low: -1, high: size - 1), stop = clamp(slice.1, -1, low: -1, high: size - 1)
        return Array(stride(from: start, to: stop, by: step))
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 1, "strided_slice")
        let x = inputs[0]
        guard slices.count <= x.rank else {
            throw SwiftNetError.value("[strided_slice] Too many indices for a tensor of rank \(x.rank).")
        }
        var shape = x.shape
        for (axis, slice) in slices.enumerated() {
            shape[axis] = x.shape[axis].map { positions(slice, size: $0).count }
        }
        return [TensorSpec(shape: shape, dtype: x.dtype)]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        let x = inputs[0]
        _ = try infer([TensorSpec(x)])
        var maps = x.shape.map { Array(0..<$0) }
        for (axis, slice) in slices.enumerated() { maps[axis] = positions(slice, size: x.shape[axis]) }
        return [try AxisMaps(maps: maps).gather(x, fill: 0, context)]
    }
}

struct TileOp: Op {
    let repeats: [Int]

    init(_ attributes: ConfigReader) throws {
        repeats = try attributes.intList("repeats")
        guard repeats.allSatisfy({ $0 >= 0 }) else { throw attributes.fail("`repeats` must be non-negative. Received: \(repeats)") }
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 1, "tile")
        let rank = max(inputs[0].rank, repeats.count)
        let shape = Array(repeating: Optional(1), count: rank - inputs[0].rank) + inputs[0].shape
        let reps = Array(repeating: 1, count: rank - repeats.count) + repeats
        return [TensorSpec(shape: zip(shape, reps).map { d, r in d.map { $0 * r } }, dtype: inputs[0].dtype)]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        let rank = max(inputs[0].shape.count, repeats.count)
        let x = try reshape(inputs[0], Array(repeating: 1, count: rank - inputs[0].shape.count) + inputs[0].shape)
        let reps = Array(repeating: 1, count: rank - repeats.count) + repeats
        let maps = zip(x.shape, reps).map { size, r in (0..<(size * r)).map { $0 % size } }
        return [try AxisMaps(maps: maps).gather(x, fill: 0, context)]
    }
}

struct RepeatOp: Op {
    let repeats: Int
    let axis: Int?

    init(_ attributes: ConfigReader) throws {
        repeats = try attributes.int("repeats")
        guard repeats >= 0 else { throw attributes.fail("`repeats` must be non-negative. Received: \(repeats)") }
        axis = attributes.has("axis") ? try attributes.int("axis") : nil
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 1, "repeat")
        guard let axis else { return [TensorSpec(shape: [inputs[0].count.map { $0 * repeats }], dtype: inputs[0].dtype)] }
        let a = try resolveAxis(axis, rank: inputs[0].rank, "repeat")
        var shape = inputs[0].shape
        shape[a] = shape[a].map { $0 * repeats }
        return [TensorSpec(shape: shape, dtype: inputs[0].dtype)]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        let x = axis == nil ? try reshape(inputs[0], [inputs[0].count]) : inputs[0]
        let a = try resolveAxis(axis ?? 0, rank: x.shape.count, "repeat")
        var maps = x.shape.map { Array(0..<$0) }
        maps[a] = (0..<(x.shape[a] * repeats)).map { $0 / repeats }
        return [try AxisMaps(maps: maps).gather(x, fill: 0, context)]
    }
}

/// `pad(x, pad_width, mode, constant_values)` with modes constant, reflect, symmetric and edge.
struct PadOp: Op {
    let widths: [(Int, Int)]
    let mode: String
    let value: Double

    init(_ attributes: ConfigReader) throws {
        guard case .some(.array(let items)) = attributes.json("pad_width") else {
            throw attributes.fail("Expected `pad_width`, a list of [before, after] pairs.")
        }
        widths = try items.map { item in
            guard case .array(let pair) = item, pair.count == 2, case .number(let b) = pair[0], case .number(let a) = pair[1],
                  b >= 0, a >= 0, b == b.rounded(), a == a.rounded(), b < 1e9, a < 1e9 else {
                throw attributes.fail("Each pad width must be [before, after] with non-negative integers. Received: \(item.serialized)")
            }
            return (Int(b), Int(a))
        }
        mode = try attributes.string("mode", default: "constant")
        guard ["constant", "reflect", "symmetric", "edge"].contains(mode) else {
            throw attributes.fail("Unknown mode '\(mode)': expected constant, reflect, symmetric or edge.")
        }
        value = try attributes.double("constant_values", default: 0)
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 1, "pad")
        guard widths.count == inputs[0].rank || widths.count == 1 else {
            throw SwiftNetError.value("[pad] Expected \(inputs[0].rank) pad widths (one per axis). Received: \(widths.count).")
        }
        let all = widths.count == 1 ? Array(repeating: widths[0], count: inputs[0].rank) : widths
        return [TensorSpec(shape: zip(inputs[0].shape, all).map { d, w in d.map { $0 + w.0 + w.1 } }, dtype: inputs[0].dtype)]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        let x = inputs[0]
        _ = try infer([TensorSpec(x)])
        let all = widths.count == 1 ? Array(repeating: widths[0], count: x.shape.count) : widths
        let maps = try zip(x.shape, all).map { size, w -> [Int] in
            if mode != "constant" && size == 0 { throw SwiftNetError.value("[pad] Cannot \(mode)-pad an empty axis.") }
            if mode == "reflect" && (w.0 >= size || w.1 >= size) && size > 0 {
                if size == 1 { return Array(repeating: 0, count: size + w.0 + w.1) }
            }
            return (-w.0..<(size + w.1)).map { i in
                if i >= 0 && i < size { return i }
                switch mode {
                case "constant": return -1
                case "edge": return i < 0 ? 0 : size - 1
                case "symmetric":
                    let period = 2 * size
                    var m = ((i % period) + period) % period
                    if m >= size { m = period - 1 - m }
                    return m
                default:  // reflect: the edge itself is not repeated
                    let period = 2 * (size - 1)
                    var m = ((i % period) + period) % period
                    if m >= size { m = period - m }
                    return m
                }
            }
        }
        return [try AxisMaps(maps: maps).gather(x, fill: value, context)]
    }
}

struct BroadcastToOp: Op {
    let shape: [Int]

    init(_ attributes: ConfigReader) throws {
        shape = try attributes.intList("shape")
        guard shape.allSatisfy({ $0 >= 0 }) else { throw attributes.fail("Expected non-negative sizes. Received: \(shape)") }
        _ = try checkedCount(shape, what: "broadcast_to")
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 1, "broadcast_to")
        guard let result = broadcastShape(inputs[0].shape, shape.map { $0 }), result.count == shape.count,
              zip(result, shape).allSatisfy({ $0 == nil || $0 == $1 }) else {
            throw SwiftNetError.value("[broadcast_to] Cannot broadcast a tensor of shape \(describe(inputs[0].shape)) to \(shape).")
        }
        return [TensorSpec(shape: shape, dtype: inputs[0].dtype)]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        let x = inputs[0]
        _ = try infer([TensorSpec(x)])
        let offset = shape.count - x.shape.count
        let maps = shape.enumerated().map { axis, size -> [Int] in
            axis < offset || x.shape[axis - offset] == 1 ? Array(repeating: 0, count: size) : Array(0..<size)
        }
        let lifted = try reshape(x, Array(repeating: 1, count: offset) + x.shape)
        return [try AxisMaps(maps: maps).gather(lifted, fill: 0, context)]
    }
}

/// `x` broadcast to `shape` (same rank; size-1 axes stretched), with its gradient.
func broadcast(_ x: Tensor, to shape: [Int], _ context: OpContext) throws -> Tensor {
    if x.shape == shape { return x }
    let maps = zip(x.shape, shape).map { size, target in size == 1 ? Array(repeating: 0, count: target) : Array(0..<target) }
    return try AxisMaps(maps: maps).gather(x, fill: 0, context)
}

let layoutOps: [String: OpRegistry.Factory] = [
    "reshape": { try ReshapeOp($0) },
    "expand_dims": { try ExpandDimsOp($0) },
    "squeeze": { try SqueezeOp($0) },
    "transpose": { try TransposeOp($0) },
    "concatenate": { try ConcatenateOp($0) },
    "stack": { try StackOp($0) },
    "split": { try SplitOp($0) },
    "strided_slice": { try StridedSliceOp($0) },
    "tile": { try TileOp($0) },
    "repeat": { try RepeatOp($0) },
    "pad": { try PadOp($0) },
    "broadcast_to": { try BroadcastToOp($0) },
]
