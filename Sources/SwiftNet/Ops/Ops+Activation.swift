/// Activation ops: element-wise functions fused with the bias add, and row-wise softmax.

/// `activation(x + bias)` in one pass over memory; `bias` (length = last dim) is optional.
/// Softmax and sigmoid are split into a bias add and the activation, so that the loss can
/// reach their logits.
public func biasActivation(_ x: Tensor, bias: Tensor?, _ activation: Activation) throws -> Tensor {
    if activation.exposesLogits {
        return try applyActivation(bias.map { try addBias(x, $0) } ?? x, activation)
    }
    if activation == .linear { return try bias.map { try addBias(x, $0) } ?? x }
    let cols = x.lastDim, rows = x.rows
    let out = try Tensor.result(shape: x.shape, of: x, bias)
    // The pre-activation is kept only when the gradient needs it.
    let keepInput = out.requiresGrad && activation.gradientNeedsInput && bias != nil
    let pre = keepInput ? try out.tape!.scratch(x.count) : nil
    if let bias, cols < vecWidth {
        // Few channels (early convolutions): run over the whole array 16 values at a time.
        flatWithColumnParameter(x.count, cols, bias.data, parallel: true) { i, b in
            let v = UnsafeRawPointer(x.data + i).loadUnaligned(as: Vec.self) + b
            if let pre { UnsafeMutableRawPointer(pre + i).storeBytes(of: v, as: Vec.self) }
            UnsafeMutableRawPointer(out.data + i).storeBytes(of: activation.apply(v), as: Vec.self)
        } tail: { i, b in
            let v = x.data[i] + b
            pre?[i] = v
            var lane = Vec(repeating: v)
            lane = activation.apply(lane)
            out.data[i] = lane[0]
        }
    } else {
    parallelRows(rows, cols) { range in
        for r in range {
            let src = x.data + r * cols, dst = out.data + r * cols
            if let bias {
                let target = pre.map { $0 + r * cols } ?? dst
                vectorMap2(cols, src, bias.data, target) { $0 + $1 }
                vectorMap(cols, target, dst) { activation.apply($0) }
            } else {
                vectorMap(cols, src, dst) { activation.apply($0) }
            }
        }
    }
    }
    out.onBackward { [x, bias, out] in
        let input = UnsafePointer(pre ?? x.data)
        let delta = try out.tape!.scratch(out.count)
        let g = out.grad!
        parallelChunks(out.count) { range in
            vectorMap3(range.count, g + range.lowerBound, input + range.lowerBound, out.data + range.lowerBound,
                       delta + range.lowerBound) { g, xin, y in g * activation.derivative(input: xin, output: y) }
        }
        if x.requiresGrad {
            try x.accumulateGradient { gx, accumulate in
                if accumulate { vectorMap2(x.count, gx, delta, gx) { $0 + $1 } }
                else { gx.update(from: delta, count: x.count) }
            }
        }
        if let bias, bias.requiresGrad {
            try bias.accumulateGradient { gb, accumulate in
                Reduce.sumRows(delta, rows: rows, cols: cols, into: gb, accumulate: accumulate)
            }
        }
    }
    return out
}

/// x + bias, broadcasting `bias` over every row of the last axis.
public func addBias(_ x: Tensor, _ bias: Tensor) throws -> Tensor {
    let cols = x.lastDim, rows = x.rows
    let out = try Tensor.result(shape: x.shape, of: x, bias)
    parallelRows(rows, cols) { range in
        for r in range { vectorMap2(cols, x.data + r * cols, bias.data, out.data + r * cols) { $0 + $1 } }
    }
    out.onBackward { [x, bias, out] in
        let g = out.grad!
        if x.requiresGrad {
            try x.accumulateGradient { gx, accumulate in
                if accumulate { vectorMap2(x.count, gx, g, gx) { $0 + $1 } } else { gx.update(from: g, count: x.count) }
            }
        }
        if bias.requiresGrad {
            try bias.accumulateGradient { gb, accumulate in
                Reduce.sumRows(g, rows: rows, cols: cols, into: gb, accumulate: accumulate)
            }
        }
    }
    return out
}

/// An activation on its own (softmax over the last axis).
public func applyActivation(_ x: Tensor, _ activation: Activation) throws -> Tensor {
    if activation == .linear { return x }
    if activation != .softmax && !activation.exposesLogits { return try biasActivation(x, bias: nil, activation) }
    let out = try Tensor.result(shape: x.shape, of: x)
    let cols = x.lastDim, rows = x.rows
    parallelRows(rows, cols) { range in
        if activation == .softmax {
            for r in range { softmaxRow(x.data + r * cols, out.data + r * cols, cols) }
        } else {
            let start = range.lowerBound * cols
            vectorMap(range.count * cols, x.data + start, out.data + start) { activation.apply($0) }
        }
    }
    out.activationSource = (x, activation)
    out.onBackward { [x, out] in
        guard x.requiresGrad else { return }
        let g = out.grad!, y = out.data
        try x.accumulateGradient { gx, accumulate in
            if activation == .softmax {
                // dx = y ⊙ (g − ⟨g, y⟩) per row.
                for r in 0..<rows {
                    let gr = g + r * cols, yr = y + r * cols, dst = gx + r * cols
                    var dot: Float = 0
                    for j in 0..<cols { dot += gr[j] * yr[j] }
                    for j in 0..<cols {
                        let d = yr[j] * (gr[j] - dot)
                        dst[j] = accumulate ? dst[j] + d : d
                    }
                }
            } else if accumulate {
                vectorMap3(x.count, gx, g, y, gx) { acc, g, y in acc + g * activation.derivative(input: y, output: y) }
            } else {
                vectorMap2(x.count, g, y, gx) { g, y in g * activation.derivative(input: y, output: y) }
            }
        }
    }
    return out
}

/// Numerically stable softmax of one row.
@inline(__always)
func softmaxRow(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
    var m = -Float.infinity
    for j in 0..<n { m = max(m, src[j]) }
    vectorMap(n, src, dst) { VectorMath.exp($0 - m) }
    var s: Float = 0
    for j in 0..<n { s += dst[j] }
    let inv = 1 / s
    for j in 0..<n { dst[j] *= inv }
}

/// Visits a rows × cols array (cols < 16) 16 values at a time, passing each vector's per-column
/// parameters (param[j % cols] for its lanes); the last `count % 16` values go one by one to `tail`.
/// Large arrays are split across threads when `parallel` (by whole vectors).
@inline(__always)
func flatWithColumnParameter(_ count: Int, _ cols: Int, _ param: UnsafePointer<Float>, parallel: Bool = false,
                             _ body: (Int, Vec) -> Void, tail: (Int, Float) -> Void) {
    var tile = [Float](repeating: 0, count: cols + vecWidth)
    for j in tile.indices { tile[j] = param[j % cols] }
    tile.withUnsafeBufferPointer { tile in
        let base = UnsafeRawPointer(tile.baseAddress!)
        let vectors = count / vecWidth
        parallelFor(vectors, minChunk: parallel ? 4096 : max(vectors, 1)) { range in
            for v in range {
                let i = v * vecWidth
                body(i, base.advanced(by: (i % cols) * 4).loadUnaligned(as: Vec.self))
            }
        }
        for i in (vectors * vecWidth)..<count { tail(i, param[i % cols]) }
    }
}
