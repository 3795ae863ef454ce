#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One pass of `fit`, `evaluate` or `predict` over a dataset, run in chunks of steps so that the
/// caller can show progress and stop between chunks. Every step completes before `run` returns,
/// so the model is consistent whenever the caller regains control.
public final class Session {
    public enum Mode: Int32 {
        case train = 0, evaluate = 1, predict = 2
    }

    public let model: Model
    public let mode: Mode
    public let data: Dataset
    public let batchSize: Int
    let shuffle: Bool
    let seed: UInt64
    let output: UnsafeMutablePointer<Float>?
    /// The metrics of this dataset, "accuracy" resolved from its shapes.
    public let metrics: [Metric]

    private var order: [Int]?
    private var position = 0
    private var lossSum = 0.0
    private var metricSums: [Double]
    private var rowsSeen = 0
    private var samplesSeen = 0

    /// Validates the data against the model and, for `train` and `evaluate`, its compile settings.
    /// - Throws: `SwiftNetError` for shape mismatches, empty data, non-finite values, labels out of
    ///   range, a model not compiled, or a non-positive batch size.
    public init(model: Model, mode: Mode, data: Dataset, batchSize: Int, shuffle: Bool = true, seed: UInt64 = 0,
                output: UnsafeMutablePointer<Float>? = nil) throws {
        let what = ["fit", "evaluate", "predict"][Int(mode.rawValue)]
        guard batchSize > 0 else { throw SwiftNetError.value("[\(what)] Expected a positive batch_size. Received: batch_size=\(batchSize)") }
        guard data.count > 0 else {
            throw SwiftNetError.value("[\(what)] Expected at least one sample. Received: an empty array of shape \(describeShape([0] + data.sampleShape, batch: false)).")
        }
        guard data.sampleShape == model.inputShape else {
            throw SwiftNetError.value("[\(what)] Input 0 of model '\(model.name)' is incompatible: expected shape=\(describeShape(model.inputShape)), found shape=\(describeShape([data.count] + data.sampleShape, batch: false))")
        }
        // Predictions change nothing, so their inputs are checked chunk by chunk as they are read
        // (one pass less over memory); training and evaluation check everything before starting.
        if mode != .predict, let bad = Reduce.firstNonFinite(data.x, data.count * data.sampleSize) {
            throw Session.nonFinite(what, sample: bad / max(data.sampleSize, 1))
        }
        var resolved: [Metric] = []
        if mode != .predict {
            guard let loss = model.loss, model.optimizer != nil else {
                throw SwiftNetError.state("You must call `compile()` before using the model for \(mode == .train ? "training" : "evaluation").")
            }
            guard let y = data.y else { throw SwiftNetError.value("[\(what)] Targets `y` are required.") }
            try loss.validate(target: data.targetShape, prediction: model.outputShape)
            let targetCount = data.count * data.targetSize
            if let bad = Reduce.firstNonFinite(y, targetCount) {
                throw SwiftNetError.value("[\(what)] Targets y contain NaN or infinite values (first at sample \(bad / max(data.targetSize, 1))).")
            }
            resolved = model.metrics.map { $0.resolved(target: data.targetShape, prediction: model.outputShape) }
            for metric in resolved { try metric.validate(target: data.targetShape, prediction: model.outputShape) }
            let needsLabels = loss.isSparse || resolved.contains { $0.kind == .sparseCategoricalAccuracy }
            if needsLabels {
                let classes = model.outputShape.last ?? 1
                for i in 0..<targetCount {
                    let label = y[i]
                    if label < 0 || label >= Float(classes) || label != label.rounded() {
                        throw SwiftNetError.value("[\(what)] Received a label value of \(label) at sample \(i / max(data.targetSize, 1)), which is outside the valid range of [0, \(classes - 1)] (labels must be integers).")
                    }
                }
            }
        } else if output == nil {
            throw SwiftNetError.value("[predict] An output buffer is required.")
        }
        self.model = model
        self.mode = mode
        self.data = data
        self.batchSize = batchSize
        self.shuffle = shuffle && mode == .train
        self.seed = seed
        self.output = output
        metrics = resolved
        metricSums = Array(repeating: 0, count: resolved.count)
    }

    /// Samples per engine step: the batch size when training; for inference several batches at
    /// once (outputs do not depend on it), up to about 16 MB of activations.
    lazy var rowsPerStep: Int = {
        guard mode != .train else { return batchSize }
        let floatsPerSample = max(model.nodes.reduce(0) { $0 + $1.outputShape.reduce(1, *) }, 1)
        let batches = max(1, min(4096, (1 << 22) / floatsPerSample) / batchSize)
        return batchSize * batches
    }()

    public var stepsPerEpoch: Int { (data.count + batchSize - 1) / batchSize }
    public var stepsDone: Int { (position + batchSize - 1) / batchSize }
    public var isFinished: Bool { position >= data.count }

    /// Starts a pass: resets the running metrics and, when shuffling, draws the order of `epoch`.
    public func beginEpoch(_ epoch: Int) {
        position = 0
        lossSum = 0
        rowsSeen = 0
        samplesSeen = 0
        metricSums = Array(repeating: 0, count: metrics.count)
        if shuffle {
            var indices = order ?? Array(0..<data.count)
            indices.withUnsafeMutableBufferPointer { buffer in
                for i in buffer.indices { buffer[i] = i }
                var rng = RandomGenerator(seed: seed, stream: UInt64(epoch))
                rng.shuffle(buffer)
            }
            order = indices
        } else {
            order = nil
        }
    }

    /// Runs up to `maxSteps` batches, stopping early after `maxSeconds` or at the end of the pass.
    /// - Returns: whether the pass is finished.
    @discardableResult
    public func run(maxSteps: Int = .max, maxSeconds: Double = .infinity) throws -> Bool {
        let start = Session.now()
        var steps = 0
        while position < data.count && steps < maxSteps {
            let n = min(rowsPerStep, data.count - position)
            try step(count: n)
            position += n
            steps += 1
            if Session.now() - start >= maxSeconds { break }
        }
        return isFinished
    }

    private func step(count n: Int) throws {
        let tape = model.tape
        let training = mode == .train
        tape.reset(recording: training, training: training)
        let x: Tensor
        let y: UnsafeMutablePointer<Float>?
        if let order {
            x = tape.input(shape: [n] + data.sampleShape)
            y = mode == .predict ? nil : tape.scratch(n * data.targetSize)
            data.gather(start: position, count: n, order: order, x: x.data, y: y)
        } else {
            // In order: the batch is a run of the caller's arrays, read in place.
            x = tape.input(viewing: data.x + position * data.sampleSize, shape: [n] + data.sampleShape)
            y = data.y.map { UnsafeMutablePointer(mutating: $0 + position * data.targetSize) }
        }
        if mode == .predict, let bad = Reduce.firstNonFinite(x.data, x.count) {
            throw Session.nonFinite("predict", sample: position + bad / max(data.sampleSize, 1))
        }
        let prediction = try model.forward(x, training: training)
        if mode == .predict {
            (output! + position * prediction.count / n).update(from: prediction.data, count: prediction.count)
            samplesSeen += n
            return
        }
        let lossValue = model.loss!(prediction, target: UnsafePointer(y!))
        if training {
            let weights = model.trainableWeights
            for w in weights { w.clearGradient() }
            tape.backward(from: lossValue)
            model.optimizer!.apply(to: weights)
        }
        lossSum += Double(lossValue.data[0]) * Double(n)
        samplesSeen += n
        let rows = prediction.rows, cols = prediction.lastDim
        for (i, metric) in metrics.enumerated() {
            metricSums[i] += metric.sum(prediction: prediction.data, target: y!, rows: rows, cols: cols)
        }
        rowsSeen += rows
    }

    /// The names of `logs`, known before any step: `loss`, then each metric (none for predict).
    public var logNames: [String] { mode == .predict ? [] : ["loss"] + metrics.map(\.name) }

    /// Running averages over the samples seen this pass: `loss` first, then each metric.
    public var logs: [(name: String, value: Double)] {
        guard mode != .predict, samplesSeen > 0 else { return [] }
        var result = [("loss", lossSum / Double(samplesSeen))]
        for (i, metric) in metrics.enumerated() {
            result.append((metric.name, metricSums[i] / Double(max(rowsSeen, 1))))
        }
        return result
    }

    static func nonFinite(_ what: String, sample: Int) -> SwiftNetError {
        .value("[\(what)] Input x contains NaN or infinite values (first at sample \(sample)).")
    }

    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}
