/// A Keras metric averaged over every output row seen, as Keras's `MeanMetricWrapper` reports it.
public struct Metric: Equatable {
    public enum Kind: Equatable {
        case binaryAccuracy(threshold: Float)
        case categoricalAccuracy
        case sparseCategoricalAccuracy
        case meanSquaredError
        case meanAbsoluteError
        /// "accuracy"/"acc": binary, sparse or categorical, chosen from the shapes as Keras does.
        case autoAccuracy
    }

    /// The key in logs and `History.history`.
    public let name: String
    public let kind: Kind

    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }

    /// Resolves `"accuracy"`, `"mse"`, `"sparse_categorical_accuracy"`, … or
    /// `{"class_name": "BinaryAccuracy", "config": {"name": …, "threshold": …}}`.
    /// - Throws: `SwiftNetError` (invalid value) for unknown names.
    public static func from(_ json: JSON) throws -> Metric {
        var name: String
        var className: String
        var config = try ConfigReader(owner: "compile", nil)
        switch json {
        case .string(let s):
            name = s
            className = s
        case .object:
            config = try ConfigReader(owner: "compile", json["config"])
            guard case .some(.string(let s)) = json["class_name"] else {
                throw SwiftNetError.type("[compile] Expected a metric name or metric object. Received: \(json.serialized)")
            }
            className = s
            name = try config.optionalString("name") ?? s
        default:
            throw SwiftNetError.type("[compile] Expected a metric name or metric object. Received: \(json.serialized)")
        }
        let kind: Kind
        switch className {
        case "accuracy", "acc": kind = .autoAccuracy
        case "binary_accuracy", "BinaryAccuracy": kind = .binaryAccuracy(threshold: try config.float("threshold", default: 0.5))
        case "categorical_accuracy", "CategoricalAccuracy": kind = .categoricalAccuracy
        case "sparse_categorical_accuracy", "SparseCategoricalAccuracy": kind = .sparseCategoricalAccuracy
        case "mse", "mean_squared_error", "MeanSquaredError": kind = .meanSquaredError
        case "mae", "mean_absolute_error", "MeanAbsoluteError": kind = .meanAbsoluteError
        default:
            throw SwiftNetError.value(
                "[compile] Unknown metric: '\(className)'. Expected one of: accuracy, binary_accuracy, "
                + "categorical_accuracy, sparse_categorical_accuracy, mse, mae, mean_squared_error, mean_absolute_error.")
        }
        if case .object = json, json["config"]?["name"] == nil {
            // Metric objects without an explicit name use Keras's snake-case class name.
            name = Metric.defaultName(kind) ?? name
        }
        return Metric(name: name, kind: kind)
    }

    static func defaultName(_ kind: Kind) -> String? {
        switch kind {
        case .binaryAccuracy: return "binary_accuracy"
        case .categoricalAccuracy: return "categorical_accuracy"
        case .sparseCategoricalAccuracy: return "sparse_categorical_accuracy"
        case .meanSquaredError: return "mean_squared_error"
        case .meanAbsoluteError: return "mean_absolute_error"
        case .autoAccuracy: return nil
        }
    }

    /// Fixes "accuracy" to a concrete kind from per-sample shapes, as Keras's `get_metric` does.
    public func resolved(target: [Int], prediction: [Int]) -> Metric {
        guard kind == .autoAccuracy else { return self }
        let predictionLast = prediction.last ?? 1
        let targetLast = target.last ?? 1
        if predictionLast == 1 { return Metric(name: name, kind: .binaryAccuracy(threshold: 0.5)) }
        if target.count < prediction.count || (targetLast == 1 && predictionLast > 1) {
            return Metric(name: name, kind: .sparseCategoricalAccuracy)
        }
        return Metric(name: name, kind: .categoricalAccuracy)
    }

    /// Checks target shapes against what this metric reads.
    func validate(target: [Int], prediction: [Int]) throws {
        let rows = prediction.reduce(1, *) / max(prediction.last ?? 1, 1)
        let targetCount = target.reduce(1, *)
        let needed = kind == .sparseCategoricalAccuracy ? rows : prediction.reduce(1, *)
        guard targetCount == needed else {
            throw SwiftNetError.value("[\(name)] Targets of shape \(describeShape(target)) do not fit outputs of shape "
                                      + "\(describeShape(prediction)) for this metric.")
        }
    }

    /// Σ over the rows of a batch of the per-row metric value.
    func sum(prediction: UnsafePointer<Float>, target: Targets, rows: Int, cols: Int) -> Double {
        var total = 0.0
        for r in 0..<rows {
            let p = prediction + r * cols
            switch kind {
            case .sparseCategoricalAccuracy:
                total += argmax(p, cols) == Int(target.labels![r]) ? 1 : 0
            case .categoricalAccuracy:
                total += argmax(p, cols) == argmax(target.values! + r * cols, cols) ? 1 : 0
            case .binaryAccuracy(let threshold):
                let t = target.values! + r * cols
                var hits = 0
                for j in 0..<cols where (p[j] > threshold ? 1 : 0) == t[j] { hits += 1 }
                total += Double(hits) / Double(cols)
            case .meanSquaredError, .meanAbsoluteError:
                let t = target.values! + r * cols
                var s = 0.0
                for j in 0..<cols {
                    let d = Double(p[j] - t[j])
                    s += kind == .meanSquaredError ? d * d : abs(d)
                }
                total += s / Double(cols)
            case .autoAccuracy:
                break  // resolved before use
            }
        }
        return total
    }

    /// Index of the first maximum, like `argmax` in NumPy and Keras.
    @inline(__always)
    private func argmax(_ p: UnsafePointer<Float>, _ n: Int) -> Int {
        var best = 0
        var value = p[0]
        for j in 1..<max(n, 1) where p[j] > value {
            value = p[j]
            best = j
        }
        return best
    }
}
