/// Inverted dropout: zeroes each value with probability `rate` and scales the rest by 1/(1-rate),
/// so inference needs no rescaling. The mask is kept for the gradient.
public func dropout(_ x: Tensor, rate: Float, generator: inout RandomGenerator) throws -> Tensor {
    let out = try Tensor.result(shape: x.shape, of: x)
    let heapMask = out.tape == nil ? try FloatBuffer(capacity: x.count) : nil
    let mask = try out.tape?.scratch(x.count) ?? heapMask!.pointer
    let scale = 1 / (1 - rate)
    for i in 0..<x.count {
        mask[i] = generator.uniform() >= rate ? scale : 0
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
