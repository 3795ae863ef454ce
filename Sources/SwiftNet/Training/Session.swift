#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One pass of `fit`, `evaluate` or `predict` over a dataset, run in chunks of steps so that the
/// caller can show progress and stop between chunks. Every step completes before `run` returns,
/// so the model is consistent whenever the caller regains control.
///
/// The arrays are read in place: each batch is checked as it is read (NaN/inf inputs, labels out
/// of range), so data changed by the caller during the pass gives an error, not NaN weights.
public final class Session {
    public enum Mode: String {
        case train, evaluate, predict

        /// The Keras method this mode runs, for messages.
        var method: String { self == .train ? "fit" : rawValue }
    }

    public let model: Model
    public let mode: Mode
    /// The inputs ("x") and, for train and evaluate, the targets ("y").
    let x: ArrayView
    let y: ArrayView?
    public let batchSize: Int
    let shuffle: Bool
    let seed: UInt64
    /// Where predict writes its outputs (set by `setOutput`).
    private var output: UnsafeMutablePointer<Float>?
    /// The metrics of this dataset, "accuracy" resolved from its shapes.
    public let metrics: [Metric]
    /// Which forms of the targets the loss and metrics read.
    private let needsLabels: Bool, needsValues: Bool
    /// Integer labels of the current batch.
    private var labelBuffer: UnsafeMutablePointer<Int32>?
    private var labelCapacity = 0

    private var order: [Int]?
    private var position = 0
    private var lossSum = 0.0
    private var metricSums: [Double]
    private var rowsSeen = 0
    private var samplesSeen = 0

    /// Validates the data against the model and, for `train` and `evaluate`, its compile settings.
    /// - Throws: `SwiftNetError` for shape mismatches, empty data, non-finite values, labels out of
    ///   range, a model not compiled, or a non-positive batch size.
    public init(model: Model, mode: Mode, data: Dataset, batchSize: Int, shuffle: Bool = true, seed: UInt64 = 0) throws {
        let what = mode.method
        guard batchSize > 0 else { throw SwiftNetError.value("[\(what)] Expected a positive batch_size. Received: batch_size=\(batchSize)") }
        guard let x = data["x"] else { throw SwiftNetError.value("[\(what)] Expected an input array named 'x'.") }
        guard x.dtype == .float32 else {
            throw SwiftNetError.type("[\(what)] Expected float32 inputs. Received: dtype=\(x.dtype.name)")
        }
        guard x.samples > 0 else {
            throw SwiftNetError.value("[\(what)] Expected at least one sample. Received: an empty array of shape \(describeShape(x.shape, batch: false)).")
        }
        guard x.sampleShape == model.inputShape else {
            throw SwiftNetError.value("[\(what)] Input 0 of model '\(model.name)' is incompatible: expected shape=\(describeShape(model.inputShape)), found shape=\(describeShape(x.shape, batch: false))")
        }
        var resolved: [Metric] = []
        var y: ArrayView?
        var needsLabels = false
        if mode != .predict {
            guard let loss = model.loss, model.optimizer != nil else {
                throw SwiftNetError.state("You must call `compile()` before using the model for \(mode == .train ? "training" : "evaluation").")
            }
            guard let targets = data["y"] else { throw SwiftNetError.value("[\(what)] Targets `y` are required.") }
            y = targets
            try loss.validate(target: targets.sampleShape, prediction: model.outputShape)
            resolved = model.metrics.map { $0.resolved(target: targets.sampleShape, prediction: model.outputShape) }
            for metric in resolved { try metric.validate(target: targets.sampleShape, prediction: model.outputShape) }
            needsLabels = loss.isSparse || resolved.contains { $0.kind == .sparseCategoricalAccuracy }
        }
        self.model = model
        self.mode = mode
        self.x = x
        self.y = y
        self.batchSize = batchSize
        self.shuffle = shuffle && mode == .train
        self.seed = seed
        self.needsLabels = needsLabels
        needsValues = mode != .predict && (!(model.loss?.isSparse ?? false) || resolved.contains { $0.kind != .sparseCategoricalAccuracy })
        metrics = resolved
        metricSums = Array(repeating: 0, count: resolved.count)
        // Training and evaluation check all data before the first step, so that bad data fails
        // before any update; predictions change nothing and are checked batch by batch only.
        if mode != .predict {
            if let bad = Reduce.firstNonFinite(x.floats, x.samples * x.sampleSize) {
                throw Session.nonFinite(what, "Input x contains", sample: bad / max(x.sampleSize, 1))
            }
            try checkAllTargets()
        }
    }

    deinit { labelBuffer?.deallocate() }

    /// Samples per engine step: the batch size when training; for inference several batches at
    /// once (outputs do not depend on it), up to about 16 MB of activations.
    lazy var rowsPerStep: Int = {
        guard mode != .train else { return batchSize }
        let floatsPerSample = max(model.nodes.reduce(0) { $0 + $1.outputShape.reduce(1, *) }, 1)
        let batches = max(1, min(4096, (1 << 22) / floatsPerSample) / batchSize)
        return batchSize * batches
    }()

    /// The shape predict writes: samples, then the model's output shape.
    public var outputShape: [Int] { [x.samples] + model.outputShape }

    /// Sets the buffer predict writes into, which must hold exactly `outputShape`'s element count.
    public func setOutput(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
        let needed = outputShape.reduce(1, *)
        guard mode == .predict else { throw SwiftNetError.value("Only predict sessions write outputs.") }
        guard count == needed else {
            throw SwiftNetError.value("Expected an output buffer of \(needed) floats for shape \(describeShape(outputShape, batch: false)). Received: \(count).")
        }
        output = buffer
    }

    public var stepsPerEpoch: Int { (x.samples + batchSize - 1) / batchSize }
    public var stepsDone: Int { (position + batchSize - 1) / batchSize }
    public var isFinished: Bool { position >= x.samples }

    /// Starts a pass: resets the running metrics and, when shuffling, draws the order of `epoch`.
    public func beginEpoch(_ epoch: Int) {
        position = 0
        lossSum = 0
        rowsSeen = 0
        samplesSeen = 0
        metricSums = Array(repeating: 0, count: metrics.count)
        if shuffle {
            var indices = order ?? Array(0..<x.samples)
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
        if mode == .predict && output == nil { throw SwiftNetError.state("[predict] Set the output buffer before running.") }
        let start = Session.now()
        var steps = 0
        while position < x.samples && steps < maxSteps {
            let n = min(rowsPerStep, x.samples - position)
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
        defer { tape.finishStep() }
        let samples = order.map { Array($0[position..<(position + n)]) }
        let xb: Tensor
        let size = x.sampleSize
        if let samples {
            xb = try tape.input(shape: [n] + x.sampleShape)
            for (i, s) in samples.enumerated() { (xb.data + i * size).update(from: x.floats + s * size, count: size) }
        } else {
            // In order: the batch is a run of the caller's array, read in place.
            xb = tape.input(viewing: x.floats + position * size, shape: [n] + x.sampleShape)
        }
        if let bad = Reduce.firstNonFinite(xb.data, xb.count) {
            throw Session.nonFinite(mode.method, "Input x contains", sample: samples?[bad / max(size, 1)] ?? position + bad / max(size, 1))
        }
        let prediction = try model.forward(xb, training: training)
        if mode == .predict {
            (output! + position * prediction.count / n).update(from: prediction.data, count: prediction.count)
            samplesSeen += n
            return
        }
        let target = try readTargets(samples ?? Array(position..<(position + n)), tape: tape)
        let lossValue = try model.loss!(prediction, target: target)
        if training {
            let weights = model.trainableWeights
            for w in weights { w.clearGradient() }
            try tape.backward(from: lossValue)
            try model.optimizer!.apply(to: weights)
        }
        lossSum += Double(lossValue.data[0]) * Double(n)
        samplesSeen += n
        let rows = prediction.rows, cols = prediction.lastDim
        for (i, metric) in metrics.enumerated() {
            metricSums[i] += metric.sum(prediction: prediction.data, target: target, rows: rows, cols: cols)
        }
        rowsSeen += rows
    }

    /// Reads the targets of `samples` in the forms the loss and metrics need, checking each value:
    /// finite values, and integer labels inside the output's classes.
    private func readTargets(_ samples: [Int], tape: Tape) throws -> Targets {
        guard let y else { return Targets(values: nil, labels: nil) }
        let size = y.sampleSize, count = samples.count * size
        var values: UnsafeMutablePointer<Float>?
        if needsValues {
            let inOrder = samples.last! - samples[0] == samples.count - 1
            if y.dtype == .float32 && inOrder {
                values = UnsafeMutablePointer(mutating: y.floats + samples[0] * size)
            } else {
                let buffer = try tape.scratch(count)
                for (i, s) in samples.enumerated() {
                    if y.dtype == .float32 {
                        (buffer + i * size).update(from: y.floats + s * size, count: size)
                    } else {
                        for j in 0..<size { buffer[i * size + j] = Float(y.value(at: s * size + j)) }
                    }
                }
                values = buffer
            }
            if let bad = Reduce.firstNonFinite(values!, count) {
                throw Session.nonFinite(mode.method, "Targets y contain", sample: samples[bad / max(size, 1)])
            }
        }
        if needsLabels {
            if labelCapacity < count {
                labelBuffer?.deallocate()
                labelBuffer = .allocate(capacity: count)
                labelCapacity = count
            }
            for (i, s) in samples.enumerated() {
                for j in 0..<size { labelBuffer![i * size + j] = try label(at: s * size + j, sample: s) }
            }
        }
        return Targets(values: values.map { UnsafePointer($0) }, labels: needsLabels ? UnsafePointer(labelBuffer) : nil)
    }

    /// Checks every target before the first step (train and evaluate).
    private func checkAllTargets() throws {
        guard let y else { return }
        let size = y.sampleSize
        if needsValues, y.dtype == .float32, let bad = Reduce.firstNonFinite(y.floats, y.samples * size) {
            throw Session.nonFinite(mode.method, "Targets y contain", sample: bad / max(size, 1))
        }
        if needsLabels {
            for i in 0..<(y.samples * size) { _ = try label(at: i, sample: i / max(size, 1)) }
        }
    }

    /// Element `i` of y as a class label, or the Keras error for a label outside the classes.
    @inline(__always)
    private func label(at i: Int, sample: Int) throws -> Int32 {
        let v = y!.value(at: i)
        let classes = model.outputShape.last ?? 1
        guard v >= 0, v < Double(classes), v == v.rounded() else {
            throw SwiftNetError.value("[\(mode.method)] Received a label value of \(Session.format(v)) at sample \(sample), which is outside the valid range of [0, \(classes - 1)] (labels must be integers).")
        }
        return Int32(v)
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

    static func nonFinite(_ what: String, _ subject: String, sample: Int) -> SwiftNetError {
        .value("[\(what)] \(subject) NaN or infinite values (first at sample \(sample)).")
    }

    /// Integers without a decimal point, as NumPy prints integer labels.
    static func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e18 ? String(Int64(v)) : "\(v)"
    }

    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}
