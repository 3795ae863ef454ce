#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keras's built-in losses as one fused op per loss: `loss(y_true, y_pred)` gives the per-sample
/// value (the mean over the last axis for mse/mae/binary cross-entropy, the sum for categorical
/// cross-entropy) and its gradient in the same pass. A softmax (sigmoid) output is read through
/// its logits, which is exact and cannot saturate.
public struct LossOp: Op, Equatable {
    public enum Kind: String, CaseIterable {
        case meanSquaredError = "mean_squared_error"
        case meanAbsoluteError = "mean_absolute_error"
        case binaryCrossentropy = "binary_crossentropy"
        case categoricalCrossentropy = "categorical_crossentropy"
        case sparseCategoricalCrossentropy = "sparse_categorical_crossentropy"
    }

    public let kind: Kind
    /// Whether predictions are logits rather than probabilities (cross-entropies only).
    public let fromLogits: Bool

    /// Keras's fuzz factor for clipping probabilities.
    static let epsilon: Float = 1e-7

    public init(_ kind: Kind, fromLogits: Bool = false) {
        self.kind = kind
        self.fromLogits = fromLogits
    }

    init(_ attributes: ConfigReader) throws {
        let name = try attributes.string("kind")
        guard let kind = Kind(rawValue: name) else {
            throw attributes.fail("Unknown loss: '\(name)'. Expected one of: \(Kind.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        self.init(kind, fromLogits: try attributes.bool("from_logits", default: false))
    }

    public var isSparse: Bool { kind == .sparseCategoricalCrossentropy }

    /// Per-sample shape: the prediction without its last axis (a rank-1 prediction is a column).
    func sampleShape<D>(_ prediction: [D]) -> [D] {
        prediction.count <= 1 ? Array(prediction.prefix(1)) : Array(prediction.dropLast())
    }

    public func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 2, kind.rawValue)
        let target = inputs[0], prediction = inputs[1]
        guard prediction.rank >= 1 else {
            throw SwiftNetError.value("[\(kind.rawValue)] Expected predictions with a batch axis. Received shape \(describe(prediction.shape)).")
        }
        let rows = sampleShape(prediction.shape)
        // Keras lets (n,) targets stand for (n, 1) ones: only element counts must agree.
        let expected = isSparse ? TensorSpec(shape: rows).count : prediction.count
        if let expected, let received = target.count, received != expected {
            let what = isSparse ? "one integer label per output row" : "targets of the output's shape"
            throw SwiftNetError.value("[\(kind.rawValue)] Expected \(what): output shape \(describe(prediction.shape)), received targets of shape \(describe(target.shape)).")
        }
        if isSparse, prediction.rank >= 2, target.rank > 0 {
            let leading = target.rank == prediction.rank ? Array(target.shape.dropLast()) : target.shape
            if leading.count != rows.count || zip(leading, rows).contains(where: { $0 != nil && $1 != nil && $0 != $1 }) {
                throw SwiftNetError.value("[\(kind.rawValue)] Expected one integer label per output row: output shape \(describe(prediction.shape)), received targets of shape \(describe(target.shape)).")
            }
        }
        return [TensorSpec(shape: rows, dtype: .float32)]
    }

    public func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        [try perSample(target: inputs[0], prediction: try cast(inputs[1], to: .float32, context), context)]
    }

    /// The loss of every sample (row), backpropagating into the prediction or its logits.
    func perSample(target: Tensor, prediction: Tensor, _ context: OpContext) throws -> Tensor {
        _ = try infer([TensorSpec(target), TensorSpec(prediction)])
        var input = prediction
        var logits = fromLogits
        // Softmax probabilities the forward pass already computed, beside their logits.
        var probabilities: UnsafePointer<Float>? = nil
        if !fromLogits, let (source, activation) = prediction.activationSource {
            if (activation == .softmax && (kind == .categoricalCrossentropy || kind == .sparseCategoricalCrossentropy))
                || (activation == .sigmoid && kind == .binaryCrossentropy) {
                input = source
                logits = true
                if activation == .softmax { probabilities = UnsafePointer(prediction.data) }
            }
        }
        let cols = prediction.shape.count <= 1 ? 1 : input.lastDim
        let rows = input.count / max(cols, 1)
        let out = try Tensor.output(sampleShape(prediction.shape), .float32, of: [input], context)
        let values = isSparse ? nil : try cast(target, to: .float32, context)
        // The gradient of each row's loss is computed with its value, in the same pass.
        let gradient = out.requiresGrad ? try context.tape.scratch(input.count) : nil
        for r in 0..<rows {
            let x = input.data + r * cols
            let g = gradient.map { $0 + r * cols }
            let p = probabilities.map { $0 + r * cols }
            let loss: Double
            switch kind {
            case .sparseCategoricalCrossentropy:
                let label = try classLabel(target, r, classes: cols)
                loss = logits ? LossOp.softmaxCrossEntropy(x, cols, label: label, target: nil, probabilities: p, gradient: g)
                    : LossOp.sparseCrossEntropyOfProbabilities(x, cols, label: label, gradient: g)
            case .categoricalCrossentropy:
                let t = values!.data + r * cols
                loss = logits ? LossOp.softmaxCrossEntropy(x, cols, label: -1, target: t, probabilities: p, gradient: g)
                    : LossOp.crossEntropyOfProbabilities(x, cols, target: t, gradient: g)
            case .binaryCrossentropy:
                loss = LossOp.binaryCrossEntropy(x, cols, target: values!.data + r * cols, logits: logits, gradient: g)
            case .meanSquaredError, .meanAbsoluteError:
                loss = LossOp.regression(x, cols, target: values!.data + r * cols, squared: kind == .meanSquaredError, gradient: g)
            }
            out.data[r] = Float(loss)
        }
        out.onBackward { [input, out] in
            let seeds = out.grad!
            try input.accumulateGradient { gi, accumulate in
                for r in 0..<rows {
                    let seed = seeds[r], src = gradient! + r * cols, dst = gi + r * cols
                    if accumulate { vectorMap2(cols, dst, src, dst) { $0 + seed * $1 } } else { vectorMap(cols, src, dst) { seed * $0 } }
                }
            }
        }
        return out
    }

    /// Row `r`'s integer label, checked against the number of classes.
    private func classLabel(_ target: Tensor, _ r: Int, classes: Int) throws -> Int {
        let v = target.scalar(at: r)
        guard v >= 0, v < Double(classes), v == v.rounded() else {
            throw SwiftNetError.value("[\(kind.rawValue)] Received a label value of \(v == v.rounded() && abs(v) < 1e18 ? String(Int64(v)) : "\(v)"), which is outside the valid range of [0, \(classes - 1)] (labels must be integers).")
        }
        return Int(v)
    }

    /// −Σ t·log softmax(z) (or −log softmax(z)[label]); gradient softmax·Σt − t. `probabilities`,
    /// softmax(z) when the forward pass computed it, saves the exponentials: its largest entry
    /// (at least 1/n) gives log Σ exp z = z_j − log p_j exactly enough.
    static func softmaxCrossEntropy(_ z: UnsafePointer<Float>, _ n: Int, label: Int, target: UnsafePointer<Float>?,
                                    probabilities: UnsafePointer<Float>? = nil,
                                    gradient: UnsafeMutablePointer<Float>?) -> Double {
        let logSum: Double
        if let probabilities {
            var top = 0
            for j in 1..<max(n, 1) where probabilities[j] > probabilities[top] { top = j }
            logSum = Double(z[top]) - log(Double(probabilities[top]))
        } else {
            var m = -Float.infinity
            for j in 0..<n { m = max(m, z[j]) }
            var s = 0.0
            for j in 0..<n { s += Double(expf(z[j] - m)) }
            logSum = Double(m) + log(s)
        }
        var loss = 0.0, targetSum: Float = 1
        if let target {
            targetSum = 0
            for j in 0..<n where target[j] != 0 {
                loss += Double(target[j]) * (logSum - Double(z[j]))
                targetSum += target[j]
            }
        } else {
            loss = logSum - Double(z[label])
        }
        if let gradient {
            for j in 0..<n {
                let p = probabilities?[j] ?? expf(Float(Double(z[j]) - logSum))
                gradient[j] = p * targetSum - (target?[j] ?? (j == label ? 1 : 0))
            }
        }
        return loss
    }

    /// TensorFlow's sparse cross-entropy of probabilities: clip to [ε, 1−ε], then −log(p_y / Σp).
    static func sparseCrossEntropyOfProbabilities(_ p: UnsafePointer<Float>, _ n: Int, label: Int,
                                                  gradient: UnsafeMutablePointer<Float>?) -> Double {
        var sum = 0.0
        for j in 0..<n { sum += Double(min(max(p[j], epsilon), 1 - epsilon)) }
        let py = Double(min(max(p[label], epsilon), 1 - epsilon))
        if let gradient {
            for j in 0..<n {
                let inside = p[j] > epsilon && p[j] < 1 - epsilon
                gradient[j] = inside ? Float(1 / sum - (j == label ? 1 / py : 0)) : 0
            }
        }
        return log(sum) - log(py)
    }

    /// Keras's categorical cross-entropy of probabilities: normalise rows, clip to [ε, 1−ε], −Σ t·log q.
    static func crossEntropyOfProbabilities(_ p: UnsafePointer<Float>, _ n: Int, target: UnsafePointer<Float>,
                                            gradient: UnsafeMutablePointer<Float>?) -> Double {
        var sum = 0.0
        for j in 0..<n { sum += Double(p[j]) }
        var loss = 0.0, weighted = 0.0
        for j in 0..<n {
            let q = Double(p[j]) / sum
            let clipped = min(max(q, Double(epsilon)), 1 - Double(epsilon))
            loss -= Double(target[j]) * log(clipped)
            // dL/dq_j = −t_j/q_j where unclipped; Σ_j dL/dq_j·q_j enters every p_k through the sum.
            if q > Double(epsilon) && q < 1 - Double(epsilon) { weighted += -Double(target[j]) }
        }
        if let gradient {
            for j in 0..<n {
                let q = Double(p[j]) / sum
                let inside = q > Double(epsilon) && q < 1 - Double(epsilon)
                let dq = inside ? -Double(target[j]) / q : 0
                gradient[j] = Float((dq - weighted) / sum)
            }
        }
        return loss
    }

    /// Mean over the row of element-wise binary cross-entropy.
    static func binaryCrossEntropy(_ x: UnsafePointer<Float>, _ n: Int, target: UnsafePointer<Float>, logits: Bool,
                                   gradient: UnsafeMutablePointer<Float>?) -> Double {
        var loss = 0.0
        let invN = 1 / Float(n)
        for j in 0..<n {
            let t = target[j]
            if logits {
                let z = x[j]
                loss += Double(max(z, 0) - z * t + log1pf(expf(-abs(z))))
                if let gradient {
                    let s = z >= 0 ? 1 / (1 + expf(-z)) : expf(z) / (1 + expf(z))
                    gradient[j] = (s - t) * invN
                }
            } else {
                let p = min(max(x[j], epsilon), 1 - epsilon)
                loss -= Double(t) * log(Double(p)) + Double(1 - t) * log(Double(1 - p))
                if let gradient {
                    let inside = x[j] > epsilon && x[j] < 1 - epsilon
                    gradient[j] = inside ? (-t / p + (1 - t) / (1 - p)) * invN : 0
                }
            }
        }
        return loss / Double(n)
    }

    /// Mean over the row of (x − t)² or |x − t|.
    static func regression(_ x: UnsafePointer<Float>, _ n: Int, target: UnsafePointer<Float>, squared: Bool,
                           gradient: UnsafeMutablePointer<Float>?) -> Double {
        var loss = 0.0
        let invN = 1 / Float(n)
        for j in 0..<n {
            let d = x[j] - target[j]
            loss += squared ? Double(d) * Double(d) : Double(abs(d))
            if let gradient {
                gradient[j] = squared ? 2 * d * invN : (d > 0 ? invN : (d < 0 ? -invN : 0))
            }
        }
        return loss / Double(n)
    }
}

let lossOps: [String: OpRegistry.Factory] = [
    "loss": { try LossOp($0) },
]
