/// Shape ops that move no data: the output views the input's memory.

/// The same values with another shape of equal element count.
public func reshape(_ x: Tensor, _ shape: [Int]) -> Tensor {
    let out = Tensor(viewing: x, shape: shape, requiresGrad: x.requiresGrad && (x.tape?.isRecording ?? false))
    out.onBackward { [x, out] in
        let g = out.grad!
        try x.accumulateGradient { gx, accumulate in
            if accumulate { vectorMap2(x.count, gx, g, gx) { $0 + $1 } } else { gx.update(from: g, count: x.count) }
        }
    }
    return out
}
