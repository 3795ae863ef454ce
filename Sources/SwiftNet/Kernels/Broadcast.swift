/// NumPy broadcasting: shapes, strides and the loops that walk two operands against an output.

/// The broadcast shape of two shapes (trailing axes aligned; 1 stretches), or nil when they
/// do not broadcast. `nil` dimensions (unknown until data arrives) broadcast with anything.
func broadcastShape(_ a: [Int?], _ b: [Int?]) -> [Int?]? {
    let rank = max(a.count, b.count)
    var out = [Int?](repeating: nil, count: rank)
    for i in 0..<rank {
        let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        switch (da, db) {
        case let (x?, y?):
            if x == y || y == 1 { out[i] = x } else if x == 1 { out[i] = y } else { return nil }
        case let (x?, nil): out[i] = x == 1 ? nil : x
        case let (nil, y?): out[i] = y == 1 ? nil : y
        case (nil, nil): out[i] = nil
        }
    }
    return out
}

/// The broadcast shape of concrete shapes.
func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    broadcastShape(a.map { Optional($0) }, b.map { Optional($0) })?.map { $0! }
}

/// Row-major strides of `shape`.
func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var s = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[i] = s
        s *= shape[i]
    }
    return strides
}

/// Strides that read an array of `shape` as if it had `outShape` (its broadcast): 0 on axes the
/// array stretches along.
func broadcastStrides(_ shape: [Int], to outShape: [Int]) -> [Int] {
    let offset = outShape.count - shape.count
    let own = contiguousStrides(shape)
    return (0..<outShape.count).map { i in
        i < offset || shape[i - offset] == 1 ? 0 : own[i - offset]
    }
}

/// Calls `body(outOffset, aOffset, bOffset)` for the start of every innermost row of `outShape`
/// (rows of `outShape.last` elements), with operand offsets from their strides. The row's own
/// strides are `aStrides.last`, `bStrides.last`; row offsets in the output advance by the row length.
@inline(__always)
func forEachRow(_ outShape: [Int], _ aStrides: [Int], _ bStrides: [Int], _ body: (Int, Int, Int) -> Void) {
    let rank = outShape.count
    if rank == 0 {
        body(0, 0, 0)
        return
    }
    let inner = outShape[rank - 1]
    let rows = outShape.dropLast().reduce(1, *)
    if rows == 0 || inner == 0 { return }
    var index = [Int](repeating: 0, count: max(rank - 1, 0))
    var aOffset = 0, bOffset = 0
    for row in 0..<rows {
        body(row * inner, aOffset, bOffset)
        // Advance the multi-index over the leading axes, updating the offsets incrementally.
        var axis = rank - 2
        while axis >= 0 {
            index[axis] += 1
            aOffset += aStrides[axis]
            bOffset += bStrides[axis]
            if index[axis] < outShape[axis] { break }
            aOffset -= aStrides[axis] * outShape[axis]
            bOffset -= bStrides[axis] * outShape[axis]
            index[axis] = 0
            axis -= 1
        }
    }
}

/// Sums `gradient` (of the broadcast shape `outShape`) down to `shape`, adding into `into` when
/// `accumulate`: the gradient of a broadcast.
func reduceToShape(_ gradient: UnsafePointer<Float>, _ outShape: [Int], to shape: [Int],
                   into: UnsafeMutablePointer<Float>, accumulate: Bool) {
    let total = outShape.reduce(1, *)
    let count = shape.reduce(1, *)
    if count == total {
        if accumulate { vectorMap2(count, into, gradient, into) { $0 + $1 } } else { into.update(from: gradient, count: count) }
        return
    }
    if !accumulate { into.update(repeating: 0, count: count) }
    if count == 1 {
        into[0] += Reduce.sum(gradient, total)
        return
    }
    let strides = broadcastStrides(shape, to: outShape)
    let inner = outShape.last ?? 1
    let innerStride = strides.last ?? 0
    // A bias-like operand (stretched along every leading axis) is a column sum.
    if innerStride == 1, strides.dropLast().allSatisfy({ $0 == 0 }), inner == count {
        Reduce.sumRows(gradient, rows: total / inner, cols: inner, into: into, accumulate: true)
        return
    }
    forEachRow(outShape, strides, strides) { o, a, _ in
        if innerStride == 0 {
            into[a] += Reduce.sum(gradient + o, inner)
        } else {
            for j in 0..<inner { into[a + j] += gradient[o + j] }
        }
    }
}
