/// Layer normalization over the trailing axes, as Keras's `LayerNormalization`:
/// y = (x − mean) / √(var + ε) · gamma + beta, with the population variance of each row. One fused
/// pass forward and one backward.
///
/// Inputs: x, then gamma and beta as the attributes say (each shaped like the normalized axes).
/// Attributes: `axes` (the number of trailing axes, default 1), `epsilon` (1e-3), `scale`, `center`.
struct LayerNormOp: Op {
    let axes: Int
    let epsilon: Float
    let scale: Bool
    let center: Bool

    init(_ attributes: ConfigReader) throws {
        axes = try attributes.int("axes", default: 1)
        epsilon = try attributes.float("epsilon", default: 1e-3)
        scale = try attributes.bool("scale", default: true)
        center = try attributes.bool("center", default: true)
        guard axes >= 1 else { throw attributes.fail("Expected at least one axis to normalize. Received: axes=\(axes)") }
        guard epsilon >= 0 else { throw attributes.fail("Expected epsilon >= 0. Received: epsilon=\(epsilon)") }
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 1 + (scale ? 1 : 0) + (center ? 1 : 0), "layer_normalization")
        let x = inputs[0]
        guard x.rank >= axes else {
            throw SwiftNetError.value("[layer_normalization] Cannot normalize \(axes) axes of a tensor of shape \(describe(x.shape)).")
        }
        let normalized = Array(x.shape.suffix(axes))
        for parameter in inputs.dropFirst() {
            let fits = parameter.rank == axes && zip(parameter.shape, normalized).allSatisfy { $0 == nil || $1 == nil || $0 == $1 }
            guard fits else {
                throw SwiftNetError.value("[layer_normalization] Expected gamma and beta of shape \(describe(normalized)). Received: \(describe(parameter.shape)).")
            }
        }
        return [TensorSpec(shape: x.shape, dtype: .float32)]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        _ = try infer(inputs.map(TensorSpec.init))
        let x = try cast(inputs[0], to: .float32, context)
        let gamma = scale ? inputs[1] : nil
        let beta = center ? inputs[scale ? 2 : 1] : nil
        let width = x.shape.suffix(axes).reduce(1, *), rows = width == 0 ? 0 : x.count / width
        let out = try Tensor.output(x.shape, .float32, of: [x, gamma, beta].compactMap { $0 }, context)
        // The normalized values and 1/σ of each row, for the gradient.
        let normalized = try context.tape.scratch(x.count), inverse = try context.tape.scratch(max(rows, 1))
        parallelRows(rows, width) { range in
            for r in range {
                let src = x.data + r * width, xhat = normalized + r * width, dst = out.data + r * width
                let mean = Reduce.sum(src, width) / Float(width)
                vectorMap(width, src, xhat) { $0 - mean }
                var squares: Float = 0
                for j in 0..<width { squares += xhat[j] * xhat[j] }
                let inv = 1 / (squares / Float(width) + self.epsilon).squareRoot()
                inverse[r] = inv
                vectorMap(width, xhat, xhat) { $0 * inv }
                switch (gamma, beta) {
                case let (g?, b?): vectorMap3(width, xhat, g.data, b.data, dst) { $0 * $1 + $2 }
                case let (g?, nil): vectorMap2(width, xhat, g.data, dst) { $0 * $1 }
                case let (nil, b?): vectorMap2(width, xhat, b.data, dst) { $0 + $1 }
                case (nil, nil): dst.update(from: xhat, count: width)
                }
            }
        }
        out.onBackward { [x, out, gamma, beta] in
            let g = out.grad!
            if let gamma, gamma.requiresGrad {
                let products = try context.tape.scratch(x.count)
                vectorMap2(x.count, g, normalized, products) { $0 * $1 }
                try gamma.accumulateGradient { gg, accumulate in
                    Reduce.sumRows(products, rows: rows, cols: width, into: gg, accumulate: accumulate)
                }
            }
            if let beta, beta.requiresGrad {
                try beta.accumulateGradient { gb, accumulate in
                    Reduce.sumRows(g, rows: rows, cols: width, into: gb, accumulate: accumulate)
                }
            }
            guard x.requiresGrad else { return }
            // dx = (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂)) / σ, with dx̂ = dy · gamma.
            let dx = try context.tape.scratch(x.count)
            parallelRows(rows, width) { range in
                for r in range {
                    let gr = g + r * width, xhat = normalized + r * width, d = dx + r * width
                    if let gamma { vectorMap2(width, gr, gamma.data, d) { $0 * $1 } } else { d.update(from: gr, count: width) }
                    var meanD: Float = 0, meanDX: Float = 0
                    for j in 0..<width { meanD += d[j]; meanDX += d[j] * xhat[j] }
                    meanD /= Float(width); meanDX /= Float(width)
                    let inv = inverse[r]
                    vectorMap2(width, d, xhat, d) { ($0 - meanD - $1 * meanDX) * inv }
                }
            }
            try x.accumulateGradient { gx, accumulate in
                if accumulate { vectorMap2(x.count, gx, dx, gx) { $0 + $1 } } else { gx.update(from: dx, count: x.count) }
            }
        }
        return [out]
    }
}
