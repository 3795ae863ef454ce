#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Batch normalization over the last axis (channels-last): training uses the batch's mean and
/// (biased) variance and moves the running statistics towards them; inference uses the running
/// statistics. Statistics and the normalisation are single passes over rows of channels.
func batchNormalization(_ x: Tensor, gamma: Tensor?, beta: Tensor?, movingMean: Tensor, movingVariance: Tensor,
                        momentum: Float, epsilon: Float, training: Bool) throws -> Tensor {
    let c = x.lastDim, rows = x.rows
    let out = try Tensor.result(shape: x.shape, of: x, gamma, beta)
    let mean = try Tensor.scratchBuffer(c, tape: out.tape), invStd = try Tensor.scratchBuffer(c, tape: out.tape)
    if training {
        // Shifted by the first row, the variance does not lose precision to a large mean.
        let shift = x.data
        let (sum, squares) = channelSums(rows: rows, channels: c) { r, first, second in
            let row = x.data + r * c
            for ch in 0..<c {
                let d = row[ch] - shift[ch]
                first[ch] += d
                second[ch] += d * d
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
    let scale = try Tensor.scratchBuffer(c, tape: out.tape), offset = try Tensor.scratchBuffer(c, tape: out.tape)
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
        let m = mean.pointer, s = invStd.pointer
        let (sumG, sumGX) = channelSums(rows: rows, channels: c) { r, first, second in
            let gr = g + r * c, xr = x.data + r * c
            for ch in 0..<c {
                first[ch] += gr[ch]
                second[ch] += gr[ch] * (xr[ch] - m[ch]) * s[ch]
            }
        }
        if let beta, beta.requiresGrad {
            try beta.accumulateGradient { gb, accumulate in
                for ch in 0..<c { gb[ch] = (accumulate ? gb[ch] : 0) + Float(sumG[ch]) }
            }
        }
        if let gamma, gamma.requiresGrad {
            try gamma.accumulateGradient { gg, accumulate in
                for ch in 0..<c { gg[ch] = (accumulate ? gg[ch] : 0) + Float(sumGX[ch]) }
            }
        }
        guard x.requiresGrad else { return }
        let gx = try x.gradientForAccumulation()
        if training {
            // dx = γ·invStd·(dy − mean(dy) − x̂·mean(dy·x̂))
            let meanG = sumG.map { Float($0 / Double(rows)) }, meanGX = sumGX.map { Float($0 / Double(rows)) }
            meanG.withUnsafeBufferPointer { meanG in
                meanGX.withUnsafeBufferPointer { meanGX in
                    let a = meanG.baseAddress!, b = meanGX.baseAddress!, k = scale.pointer
                    parallelRows(rows, c) { range in
                        for r in range {
                            let gr = g + r * c, xr = x.data + r * c, dst = gx + r * c
                            for ch in 0..<c { dst[ch] += k[ch] * (gr[ch] - a[ch] - (xr[ch] - m[ch]) * s[ch] * b[ch]) }
                        }
                    }
                }
            }
        } else {
            for r in 0..<rows { vectorMap3(c, gx + r * c, g + r * c, scale.pointer, gx + r * c) { $0 + $1 * $2 } }
        }
    }
    return out
}

/// Two per-channel sums over the rows of a rows × channels array, accumulated by `add(row,
/// first, second)` into float partial sums over blocks of 128 rows, which are added up in double
/// precision in a fixed order; workers take contiguous row ranges.
private func channelSums(rows: Int, channels c: Int,
                         _ add: (Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> ([Double], [Double]) {
    let workers = min(workerCount(for: rows), max(1, rows / 1024))
    var partial = [Double](repeating: 0, count: 2 * c * workers)
    partial.withUnsafeMutableBufferPointer { partial in
        parallelWorkers(rows, workers: workers) { w, range in
            let block = UnsafeMutablePointer<Float>.allocate(capacity: 2 * c)
            defer { block.deallocate() }
            let totals = partial.baseAddress! + 2 * c * w
            var r = range.lowerBound
            while r < range.upperBound {
                block.update(repeating: 0, count: 2 * c)
                for row in r..<min(range.upperBound, r + 128) { add(row, block, block + c) }
                for i in 0..<(2 * c) { totals[i] += Double(block[i]) }
                r += 128
            }
        }
    }
    var first = [Double](repeating: 0, count: c), second = [Double](repeating: 0, count: c)
    for w in 0..<workers {
        for ch in 0..<c {
            first[ch] += partial[2 * c * w + ch]
            second[ch] += partial[2 * c * w + c + ch]
        }
    }
    return (first, second)
}
