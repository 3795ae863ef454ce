#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A batch of targets: integer class labels for the sparse loss and metric, values of the
/// prediction's shape for the others (whichever the compiled settings need).
public struct Targets {
    public let values: UnsafePointer<Float>?
    public let labels: UnsafePointer<Int32>?
}

/// A Keras loss with "sum_over_batch_size" reduction: the mean over samples (and over any axes
/// between the batch and the last one) of a per-row value.
public struct Loss: Equatable {
    public enum Kind: String, CaseIterable {
        case meanSquaredError = "mean_squared_error"
        case meanAbsoluteError = "mean_absolute_error"
        case binaryCrossentropy = "binary_crossentropy"
        case categoricalCrossentropy = "categorical_crossentropy"
        case sparseCategoricalCrossentropy = "sparse_categorical_crossentropy"

        var className: String {
            switch self {
            case .meanSquaredError: return "MeanSquaredError"
            case .meanAbsoluteError: return "MeanAbsoluteError"
            case .binaryCrossentropy: return "BinaryCrossentropy"
            case .categoricalCrossentropy: return "CategoricalCrossentropy"
            case .sparseCategoricalCrossentropy: return "SparseCategoricalCrossentropy"
            }
        }
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

    /// Resolves `"mse"`, `"categorical_crossentropy"`, `"CategoricalCrossentropy"`, … or
    /// `{"class_name": …, "config": {"from_logits": …}}`.
    /// - Throws: `SwiftNetError` (invalid value) for unknown names.
    public static func from(_ json: JSON) throws -> Loss {
        let name: String
        var config = try ConfigReader(owner: "compile", nil)
        switch json {
        case .string(let s): name = s
        case .object:
            config = try ConfigReader(owner: "compile", json["config"])
            guard case .some(.string(let s)) = json["class_name"] else {
                throw SwiftNetError.type("[compile] Expected `loss` to be a name or a loss object.")
            }
            name = s
        default: throw SwiftNetError.type("[compile] Expected `loss` to be a name or a loss object. Received: \(json.serialized)")
        }
        let aliases: [String: Kind] = ["mse": .meanSquaredError, "mae": .meanAbsoluteError]
        guard let kind = aliases[name] ?? Kind(rawValue: name) ?? Kind.allCases.first(where: { $0.className == name }) else {
            let known = (Kind.allCases.map(\.rawValue) + ["mse", "mae"]).joined(separator: ", ")
            throw SwiftNetError.value("[compile] Unknown loss: '\(name)'. Expected one of: \(known).")
        }
        return Loss(kind, fromLogits: try config.bool("from_logits", default: false))
    }

    public var isSparse: Bool { kind == .sparseCategoricalCrossentropy }

    /// Checks that targets of per-sample shape `target` fit predictions of per-sample shape `prediction`.
    /// Keras lets (n,) targets stand for (n, 1) ones.
    public func validate(target: [Int], prediction: [Int]) throws {
        let predictionCount = prediction.reduce(1, *)
        let targetCount = target.reduce(1, *)
        let expected = isSparse ? predictionCount / max(prediction.last ?? 1, 1) : predictionCount
        guard targetCount == expected else {
            let what = isSparse ? "one integer label per output row" : "targets of the output's shape"
            throw SwiftNetError.value(
                "[\(kind.rawValue)] Expected \(what): output shape \(describeShape(prediction)), "
                + "received targets of shape \(describeShape(target)).")
        }
    }

    /// The loss of a batch as a scalar tensor that backpropagates into `prediction`
    /// (or into the logits behind a softmax/sigmoid output, which is exact and cannot saturate).
    public func callAsFunction(_ prediction: Tensor, target: Targets) throws -> Tensor {
        var input = prediction
        var logits = fromLogits
        if !fromLogits, let (source, activation) = prediction.activationSource {
            if (activation == .softmax && (kind == .categoricalCrossentropy || kind == .sparseCategoricalCrossentropy))
                || (activation == .sigmoid && kind == .binaryCrossentropy) {
                input = source
                logits = true
            }
        }
        let rows = input.rows, cols = input.lastDim
        let out = try Tensor.result(shape: [], of: input)
        // The gradient of the mean loss is computed with the value, in the same pass.
        let gradient = out.requiresGrad ? try out.tape!.scratch(input.count) : nil
        var total = 0.0
        for r in 0..<rows {
            let x = input.data + r * cols
            let g = gradient.map { $0 + r * cols }
            switch kind {
            case .sparseCategoricalCrossentropy:
                let label = Int(target.labels![r])
                total += logits ? Loss.softmaxCrossEntropy(x, cols, label: label, target: nil, gradient: g)
                    : Loss.sparseCrossEntropyOfProbabilities(x, cols, label: label, gradient: g)
            case .categoricalCrossentropy:
                let t = target.values! + r * cols
                total += logits ? Loss.softmaxCrossEntropy(x, cols, label: -1, target: t, gradient: g)
                    : Loss.crossEntropyOfProbabilities(x, cols, target: t, gradient: g)
            case .binaryCrossentropy:
                total += Loss.binaryCrossEntropy(x, cols, target: target.values! + r * cols, logits: logits, gradient: g)
            case .meanSquaredError, .meanAbsoluteError:
                total += Loss.regression(x, cols, target: target.values! + r * cols, squared: kind == .meanSquaredError, gradient: g)
            }
        }
        out.data[0] = Float(total / Double(max(rows, 1)))
        if let gradient {
            let scale = 1 / Float(max(rows, 1))
            vectorMap(input.count, gradient, gradient) { $0 * scale }
        }
        out.onBackward { [input, out] in
            let seed = out.grad![0]
            try input.accumulateGradient { gi, accumulate in
                if accumulate { vectorMap2(input.count, gi, gradient!, gi) { $0 + seed * $1 } }
                else { vectorMap(input.count, gradient!, gi) { seed * $0 } }
            }
        }
        return out
    }

    /// −Σ t·log softmax(z) (or −log softmax(z)[label]); gradient softmax·Σt − t.
    static func softmaxCrossEntropy(_ z: UnsafePointer<Float>, _ n: Int, label: Int, target: UnsafePointer<Float>?,
                                    gradient: UnsafeMutablePointer<Float>?) -> Double {
        var m = -Float.infinity
        for j in 0..<n { m = max(m, z[j]) }
        var s = 0.0
        for j in 0..<n { s += Double(expf(z[j] - m)) }
        let logSum = Double(m) + log(s)
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
                let p = Float(exp(Double(z[j]) - logSum))
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
