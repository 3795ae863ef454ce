#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Batch normalization over the last axis (channels-last): training uses the batch's mean and
/// (biased) variance and moves the running statistics towards them; inference uses the running
/// statistics. Statistics and the normalisation are single passes over rows of channels.
func batchNormalization(_ x: Tensor, gamma: Tensor?, beta: Tensor?, movingMean: Tensor, movingVariance: Tensor,
                        momentum: Float, epsilon: Float, training: Bool) -> Tensor {
    let c = x.lastDim, rows = x.rows
    let out = Tensor.result(shape: x.shape, of: x, gamma, beta)
    let mean = Tensor.scratchBuffer(c, tape: out.tape), invStd = Tensor.scratchBuffer(c, tape: out.tape)
    if training {
        var sum = [Double](repeating: 0, count: c), squares = [Double](repeating: 0, count: c)
        // Shifted by the first row, the variance does not lose precision to a large mean.
        let shift = Array(UnsafeBufferPointer(start: x.data, count: c))
        for r in 0..<rows {
            let row = x.data + r * c
            for ch in 0..<c {
                let d = Double(row[ch] - shift[ch])
                sum[ch] += d
                squares[ch] += d * d
            }
        }
        for ch in 0..<c {
            let m = sum[ch] / Double(rows)
            let variance = max(squares[ch] / Double(rows) - m * m, 0)
            mean.pointer[ch] = Float(m + Double(shift[ch]))
            invStd.pointer[ch] = Float(1 / (variance + Double(epsilon)).squareRoot())
            movingMean.data[ch] = movingMean.data[ch] * momentum + mean.pointer[ch] * (1 - momentum)
            movingVariance.data[ch] = movingVariance.data[ch] * momentum + Float(variance) * (1 - momentum)
        }
    } else {
        for ch in 0..<c {
            mean.pointer[ch] = movingMean.data[ch]
            invStd.pointer[ch] = 1 / (movingVariance.data[ch] + epsilon).squareRoot()
        }
    }
    // y = (x − mean)·invStd·γ + β as one multiply-add per value.
    let scale = Tensor.scratchBuffer(c, tape: out.tape), offset = Tensor.scratchBuffer(c, tape: out.tape)
    for ch in 0..<c {
        let s = invStd.pointer[ch] * (gamma?.data[ch] ?? 1)
        scale.pointer[ch] = s
        offset.pointer[ch] = (beta?.data[ch] ?? 0) - mean.pointer[ch] * s
    }
    parallelRows(rows, c) { range in
        for r in range { vectorMap3(c, x.data + r * c, scale.pointer, offset.pointer, out.data + r * c) { $0 * $1 + $2 } }
    }
    out.onBackward { [x, gamma, beta, out, mean, invStd, scale] in
        let g = out.grad!
        // Σ dy and Σ dy·x̂ per channel.
        var sumG = [Double](repeating: 0, count: c), sumGX = [Double](repeating: 0, count: c)
        for r in 0..<rows {
            let gr = g + r * c, xr = x.data + r * c
            for ch in 0..<c {
                let xhat = (xr[ch] - mean.pointer[ch]) * invStd.pointer[ch]
                sumG[ch] += Double(gr[ch])
                sumGX[ch] += Double(gr[ch] * xhat)
            }
        }
        if let beta, beta.requiresGrad {
            beta.accumulateGradient { gb, accumulate in
                for ch in 0..<c { gb[ch] = (accumulate ? gb[ch] : 0) + Float(sumG[ch]) }
            }
        }
        if let gamma, gamma.requiresGrad {
            gamma.accumulateGradient { gg, accumulate in
                for ch in 0..<c { gg[ch] = (accumulate ? gg[ch] : 0) + Float(sumGX[ch]) }
            }
        }
        guard x.requiresGrad else { return }
        let gx = x.gradientForAccumulation()
        if training {
            // dx = γ·invStd·(dy − mean(dy) − x̂·mean(dy·x̂))
            let meanG = sumG.map { Float($0 / Double(rows)) }, meanGX = sumGX.map { Float($0 / Double(rows)) }
            for r in 0..<rows {
                let gr = g + r * c, xr = x.data + r * c, dst = gx + r * c
                for ch in 0..<c {
                    let xhat = (xr[ch] - mean.pointer[ch]) * invStd.pointer[ch]
                    dst[ch] += scale.pointer[ch] * (gr[ch] - meanG[ch] - xhat * meanGX[ch])
                }
            }
        } else {
            for r in 0..<rows { vectorMap3(c, gx + r * c, g + r * c, scale.pointer, gx + r * c) { $0 + $1 * $2 } }
        }
    }
    return out
}
