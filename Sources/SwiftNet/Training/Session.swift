#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One pass of `fit`, `evaluate` or `predict` over a dataset, run in chunks of steps so that the
/// caller can show progress and stop between chunks. Every step completes before `run` returns,
/// so the model is consistent whenever the caller regains control.
///
/// Data: arrays "x0", "x1", … (one per model input), and for train and evaluate "y0", … (targets)
/// and optionally "sw0", … (sample weights), as the objective's graph reads them. Arrays are read
/// in place; each batch is checked as it is read (NaN/inf inputs, labels out of range), so data
/// changed by the caller during the pass gives an error, not NaN weights.
public final class Session {
    public enum Mode: String {
        case train, evaluate, predict

        /// The Keras method this mode runs, for messages.
        var method: String { self == .train ? "fit" : rawValue }
    }

    public let model: Model
    public let mode: Mode
    private(set) var inputs: [ArrayView]
    private(set) var targets: [ArrayView]
    private(set) var sampleWeights: [ArrayView]
    let objective: Objective?
    public private(set) var batchSize: Int
    private(set) var samples: Int
    let shuffle: Bool
    let seed: UInt64
    /// Data-parallel training and evaluation over the processes of an MPI job: each process runs
    /// its share of every batch, gradients are averaged before each update (see `Distributed`).
    let communicator: MPICommunicator?
    /// Predict's output shapes (samples first) and the buffers it writes (set by `setOutput`).
    public let outputShapes: [[Int]]
    /// The dtype of each output: predictions are written in it (bool as float32 0/1).
    public let outputDTypes: [DType]
    private var outputs: [UnsafeMutableRawPointer?]
    private var trainableWeights: [Tensor] = []
    /// Scratch for reading metric results between steps.
    private let resultTape = Tape()

    private var order: [Int]?
    private var position = 0
    private var lossSums: [Double] = []
    private var samplesSeen = 0
    /// Steps run by this session over all epochs: seeds the random ops of each step.
    private var stepCount: UInt64 = 0

    /// Validates the data against the model and, for `train` and `evaluate`, the objective.
    /// - Throws: `SwiftNetError` for shape or dtype mismatches, empty data, non-finite values,
    ///   labels out of range, a model not compiled, or a non-positive batch size.
    public init(model: Model, mode: Mode, data: Dataset, objective objectiveSpec: JSON? = nil, batchSize: Int,
                shuffle: Bool = true, seed: UInt64 = 0, communicator: MPICommunicator? = nil) throws {
        let what = mode.method
        guard batchSize > 0 else { throw SwiftNetError.value("[\(what)] Expected a positive batch_size. Received: batch_size=\(batchSize)") }
        _ = try data.sampleCount(what)
        var inputs: [ArrayView] = []
        var inputSpecs: [TensorSpec] = []
        for (i, spec) in model.inputSpecs.enumerated() {
            let name = model.inputNames[i]
            guard let array = data["x\(i)"] else {
                throw SwiftNetError.value("[\(what)] Missing data for input '\(name)' (array 'x\(i)').")
            }
            let declared = Array(spec.shape.dropFirst())
            guard array.sampleShape.count == declared.count,
                  zip(array.sampleShape, declared).allSatisfy({ $1 == nil || $0 == $1 }) else {
                throw SwiftNetError.value("[\(what)] Input \(i) of model '\(model.name)' is incompatible: expected shape=\(describe(spec.shape)), found shape=\(describeShape(array.shape, batch: false))")
            }
            let fits = array.dtype == spec.dtype || (spec.dtype == .bool && array.dtype == .float32)
                || (spec.dtype.isInteger && array.dtype.isInteger)
            guard fits else {
                throw SwiftNetError.type("[\(what)] Input '\(name)' expects \(spec.dtype.name) values. Received: dtype=\(array.dtype.name)")
            }
            inputs.append(array)
            inputSpecs.append(TensorSpec(shape: [nil] + array.sampleShape.map { $0 }, dtype: spec.dtype))
        }
        let samples = inputs[0].samples
        guard samples > 0 else {
            throw SwiftNetError.value("[\(what)] Expected at least one sample. Received: an empty array of shape \(describeShape(inputs[0].shape, batch: false)).")
        }
        let outputSpecs = try model.outputSpecs(for: inputSpecs)
        var outputShapes: [[Int]] = []
        for (name, spec) in zip(model.outputNames, outputSpecs) {
            let rest = spec.shape.dropFirst()
            guard !rest.contains(nil) else {
                throw SwiftNetError.value("[\(what)] The shape of output '\(name)' is not fixed by the data: \(describe(spec.shape)).")
            }
            outputShapes.append([samples] + rest.map { $0! })
        }
        var targets: [ArrayView] = [], sampleWeights: [ArrayView] = []
        var objective: Objective?
        if mode != .predict {
            guard model.optimizer != nil, let objectiveSpec else {
                throw SwiftNetError.state("You must call `compile()` before using the model for \(mode == .train ? "training" : "evaluation").")
            }
            while let y = data["y\(targets.count)"] { targets.append(y) }
            while let w = data["sw\(sampleWeights.count)"] { sampleWeights.append(w) }
            func spec(_ a: ArrayView) -> TensorSpec { TensorSpec(shape: [nil] + a.sampleShape.map { $0 }, dtype: a.dtype) }
            objective = try Objective(json: objectiveSpec, model: model, targets: targets.map(spec),
                                      sampleWeights: sampleWeights.map(spec), modelOutputs: outputSpecs)
        }
        self.model = model
        self.mode = mode
        self.inputs = inputs
        self.targets = targets
        self.sampleWeights = sampleWeights
        self.objective = objective
        self.batchSize = batchSize
        self.samples = samples
        self.shuffle = shuffle && mode == .train
        self.communicator = mode == .predict ? nil : communicator
        var sharedSeed = seed
        if let communicator = self.communicator, mode == .train {
            // Every process starts from rank 0's weights and shuffles with its seed.
            try withUnsafeMutableBytes(of: &sharedSeed) { try communicator.broadcast($0.baseAddress!, bytes: 8) }
            try Distributed.broadcastWeights(of: model, from: communicator)
        }
        self.seed = sharedSeed
        self.outputShapes = outputShapes
        outputDTypes = outputSpecs.map(\.dtype)
        outputs = Array(repeating: nil, count: outputShapes.count)
        try checkAll()
    }

    /// Training and evaluation check all data before the first step, so that bad data fails
    /// before any update; predictions change nothing and are checked batch by batch only.
    private func checkAll() throws {
        let what = mode.method
        if mode != .predict {
            for (i, x) in inputs.enumerated() where x.dtype == .float32 {
                if let bad = Reduce.firstNonFinite(x.floats, x.samples * x.sampleSize) {
                    throw Session.nonFinite(what, "Input \(inputName(i)) contains", sample: bad / max(x.sampleSize, 1))
                }
            }
            for (name, arrays) in [("Targets y", targets), ("Sample weights", sampleWeights)] {
                for a in arrays where a.dtype == .float32 {
                    if let bad = Reduce.firstNonFinite(a.floats, a.samples * a.sampleSize) {
                        throw Session.nonFinite(what, "\(name) contain", sample: bad / max(a.sampleSize, 1))
                    }
                }
            }
            for check in objective!.labelChecks {
                let y = targets[check.target]
                for i in 0..<(y.samples * y.sampleSize) {
                    try checkLabel(y.value(at: i), classes: check.classes, sample: i / max(y.sampleSize, 1))
                }
            }
        }
    }

    /// Streams the next part of a pass: `data` replaces the arrays (same names, sample shapes and
    /// dtypes as the session was created with; any number of samples), read from its start in
    /// order, `batchSize` rows per step. Losses, metric states and the sample count carry on, so
    /// the logs stay the running values of the whole pass.
    /// - Throws: `SwiftNetError` when an array is missing, extra or of another shape or dtype, or
    ///   holds bad values; the session then keeps its previous data.
    public func feed(_ data: Dataset, batchSize: Int) throws {
        let what = mode.method
        guard mode != .predict else { throw SwiftNetError.state("[predict] Predict sessions write their outputs for the data they were created with: create one per batch of data.") }
        guard batchSize > 0 else { throw SwiftNetError.value("[\(what)] Expected a positive batch size. Received: \(batchSize)") }
        let count = try data.sampleCount(what)
        guard count > 0 else { throw SwiftNetError.value("[\(what)] Expected a batch with at least one sample.") }
        func matched(_ prefix: String, _ current: [ArrayView], _ role: String) throws -> [ArrayView] {
            try current.enumerated().map { i, old in
                guard let new = data["\(prefix)\(i)"] else {
                    throw SwiftNetError.value("[\(what)] The batch has no \(role) \(i): every batch must hold the same arrays as the first.")
                }
                guard new.sampleShape == old.sampleShape, new.dtype == old.dtype else {
                    throw SwiftNetError.value("[\(what)] A batch's \(role) \(i) has shape \(describeShape(new.shape, batch: false)) and dtype \(new.dtype.name); the first batch had shape \(describe([nil] + old.sampleShape.map { $0 })) and dtype \(old.dtype.name).")
                }
                return new
            }
        }
        let expected = inputs.count + targets.count + sampleWeights.count
        guard data.arrays.count == expected else {
            throw SwiftNetError.value("[\(what)] Every batch must hold the same arrays as the first: expected \(expected) arrays, received \(data.arrays.count).")
        }
        let previous = (inputs, targets, sampleWeights, samples, batchSize)
        inputs = try matched("x", inputs, "input")
        targets = try matched("y", targets, "target")
        sampleWeights = try matched("sw", sampleWeights, "sample weight")
        samples = count
        self.batchSize = batchSize
        do {
            try checkAll()
        } catch {
            (inputs, targets, sampleWeights, samples, self.batchSize) = previous
            throw error
        }
        rowsPerStep = mode == .train ? batchSize : batchSize * max(1, rowsPerStep / max(previous.4, 1))
        position = 0
        order = nil
    }

    private func inputName(_ i: Int) -> String { inputs.count == 1 ? "x" : "'\(model.inputNames[i])'" }

    /// Samples per engine step: the batch size when training; for inference several batches at
    /// once (outputs do not depend on it), up to about 16 MB of activations.
    private lazy var rowsPerStep: Int = {
        guard mode != .train else { return batchSize }
        let specs = (try? model.inference.propagate(scope: {
            var scope = model.scope
            scope.inputs = inputs.enumerated().map { TensorSpec(shape: [1] + $1.sampleShape.map { $0 }, dtype: model.inputSpecs[$0].dtype) }
            return scope
        }())) ?? []
        let floatsPerSample = max(specs.joined().reduce(0) { $0 + ($1.count ?? 0) }, 1)
        let batches = max(1, min(4096, (1 << 22) / floatsPerSample) / batchSize)
        return batchSize * batches
    }()

    /// Sets the buffer predict writes output `index` into; it holds exactly that output's elements.
    /// Where a predict session writes output `index`: `count` elements of its dtype (`outputDTypes`).
    public func setOutput(_ index: Int, _ buffer: UnsafeMutableRawPointer, count: Int) throws {
        guard mode == .predict else { throw SwiftNetError.value("Only predict sessions write outputs.") }
        guard outputShapes.indices.contains(index) else {
            throw SwiftNetError.value("Output index \(index) is out of range: the model has \(outputShapes.count) outputs.")
        }
        let needed = outputShapes[index].reduce(1, *)
        guard count == needed else {
            throw SwiftNetError.value("Expected an output buffer of \(needed) elements for shape \(describeShape(outputShapes[index], batch: false)). Received: \(count).")
        }
        outputs[index] = buffer
    }

    public var stepsPerEpoch: Int { (samples + batchSize - 1) / batchSize }
    public var stepsDone: Int { (position + batchSize - 1) / batchSize }
    public var isFinished: Bool { position >= samples }

    /// Starts a pass: resets the running losses and metrics and, when shuffling, draws the order
    /// of `epoch`.
    public func beginEpoch(_ epoch: Int) {
        position = 0
        lossSums = Array(repeating: 0, count: objective?.lossNames.count ?? 0)
        samplesSeen = 0
        objective?.resetStates()
        if shuffle {
            var indices = order ?? Array(0..<samples)
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
        if mode == .predict, let missing = outputs.firstIndex(where: { $0 == nil }) {
            throw SwiftNetError.state("[predict] Set the buffer of output \(missing) before running.")
        }
        if lossSums.count != (objective?.lossNames.count ?? 0) { beginEpoch(0) }
        // Trainability cannot change while the session runs (the model is locked).
        trainableWeights = mode == .train ? model.trainableWeights : []
        let start = Session.now()
        var steps = 0
        while position < samples && steps < maxSteps {
            // Steps count batches, also where one engine step runs several (inference).
            let (budget, overflow) = (maxSteps - steps).multipliedReportingOverflow(by: batchSize)
            let n = min(rowsPerStep, samples - position, overflow ? Int.max : budget)
            try step(count: n)
            position += n
            steps += (n + batchSize - 1) / batchSize
            if Session.now() - start >= maxSeconds { break }
        }
        return isFinished
    }

    private func step(count total: Int) throws {
        guard let communicator else { return try step(rows: 0..<total, of: total) }
        // This process's share of the batch: a contiguous run of its rows, the same cut on every process.
        let (rank, size) = (communicator.rank, communicator.size)
        try step(rows: (rank * total / size)..<((rank + 1) * total / size), of: total)
    }

    /// Runs rows `rows` of the `total` rows of the batch at `position` (all of them unless
    /// distributed).
    private func step(rows: Range<Int>, of total: Int) throws {
        let tape = model.tape
        let training = mode == .train
        tape.reset(recording: training, training: training)
        defer { tape.finishStep() }
        let n = rows.count
        if n == 0 {
            // A tail batch smaller than the number of processes: this one only joins the collectives.
            if training { try Distributed.update(model, trainableWeights, share: 0, communicator: communicator!) }
            return
        }
        let first = position + rows.lowerBound
        let picked = order.map { $0[first..<(first + n)] }
        func sample(_ bad: Int, _ size: Int) -> Int {
            picked.map { $0[$0.startIndex + bad / max(size, 1)] } ?? first + bad / max(size, 1)
        }
        var inputTensors: [Tensor] = []
        for (i, x) in inputs.enumerated() {
            let tensor = try x.batch(on: tape, as: model.inputSpecs[i].dtype, picked, first: first, n)
            if x.dtype == .float32, let bad = Reduce.firstNonFinite(tensor.data, tensor.count) {
                throw Session.nonFinite(mode.method, "Input \(inputName(i)) contains", sample: sample(bad, x.sampleSize))
            }
            inputTensors.append(tensor)
        }
        stepCount &+= 1
        // Each process draws its own dropout masks for its rows.
        let stepSeed = seed ^ (stepCount &* 0xD6E8_FEB8_6659_FD93) ^ (UInt64(communicator?.rank ?? 0) &* 0x9E37_79B9_7F4A_7C15)
        let (predictions, assigns) = try model.forward(inputTensors, training: training, stepSeed: stepSeed)
        if mode == .predict {
            for (i, prediction) in predictions.enumerated() {
                let perSample = prediction.count / max(n, 1)
                guard prediction.shape.first == n else {
                    throw SwiftNetError.value("[predict] Output '\(model.outputNames[i])' has no batch axis (shape \(describeShape(prediction.shape, batch: false))).")
                }
                let start = first * perSample
                let value = try cast(prediction, to: outputDTypes[i], OpContext(tape: tape, training: false, seed: 0))
                copyElements(value.raw, outputs[i]! + start * value.dtype.byteSize, count: value.count, bytes: value.dtype.byteSize)
            }
            samplesSeen += n
            return
        }
        let objective = objective!
        var targetTensors: [Tensor] = []
        for (t, y) in targets.enumerated() {
            let tensor = try y.batch(on: tape, as: y.dtype, picked, first: first, n)
            if y.dtype == .float32, let bad = Reduce.firstNonFinite(tensor.data, tensor.count) {
                throw Session.nonFinite(mode.method, "Targets y contain", sample: sample(bad, y.sampleSize))
            }
            for check in objective.labelChecks where check.target == t {
                for i in 0..<tensor.count { try checkLabel(tensor.scalar(at: i), classes: check.classes, sample: sample(i, y.sampleSize)) }
            }
            targetTensors.append(tensor)
        }
        let weightTensors = try sampleWeights.map { try $0.batch(on: tape, as: .float32, picked, first: first, n) }
        let (losses, updates) = try objective.graph.run({ kind in
            switch kind {
            case .modelOutput(let i): return predictions[i]
            case .target(let i): return targetTensors[i]
            case .sampleWeight(let i): return weightTensors[i]
            case .variable(let i): return Tensor.read(model.variables[i].tensor, tape: tape, trainable: model.variables[i].trainable)
            case .state(let i): return Tensor.read(objective.states[i].tensor, tape: tape, trainable: false)
            default: throw SwiftNetError.value("[compile] The loss graph reads a model input.")
            }
        }, scope: objective.scope, tape: tape, training: training, stepSeed: stepSeed)
        if training {
            let weights = trainableWeights
            for w in weights { w.clearGradient() }
            try tape.backward(from: losses[0])
            if let communicator {
                for (variable, value) in assigns + updates { try variable.write(value) }
                try Distributed.update(model, weights, share: Double(n) / Double(total), communicator: communicator)
            } else {
                try model.optimizer!.apply(to: weights)
                model.applyConstraints()
                for (variable, value) in assigns + updates { try variable.write(value) }
            }
        } else {
            for (variable, value) in assigns + updates { try variable.write(value) }
        }
        for (i, loss) in losses.enumerated() { lossSums[i] += Double(loss.scalar(at: 0)) * Double(n) }
        samplesSeen += n
    }

    private func checkLabel(_ v: Double, classes: Int, sample: Int) throws {
        guard v >= 0, v < Double(classes), v == v.rounded() else {
            throw SwiftNetError.value("[\(mode.method)] Received a label value of \(Session.format(v)) at sample \(sample), which is outside the valid range of [0, \(classes - 1)] (labels must be integers).")
        }
    }

    /// The names of `logs`, known before any step: the losses ("loss" first), then the metrics.
    public var logNames: [String] { (objective?.lossNames ?? []) + (objective?.resultLogNames ?? []) }

    /// Running averages of the losses over the samples seen this pass, then the metric results.
    public func logs() throws -> [(name: String, value: Double)] {
        guard let objective else { return [] }
        var sums = lossSums, seen = Double(samplesSeen)
        var restore: (() -> Void)?
        if let communicator {
            // Every process's sums, and its metric states summed into each (restored afterwards).
            sums.append(seen)
            try communicator.sum(&sums)
            seen = sums.removeLast()
            restore = try Distributed.sumStates(objective.states, communicator: communicator)
        }
        defer { restore?() }
        guard seen > 0 else { return [] }
        var result = zip(objective.lossNames, sums).map { ($0, $1 / seen) }
        if let results = objective.results {
            resultTape.reset(recording: false, training: false)
            defer { resultTape.finishStep() }
            let values = try results.run({ kind in
                guard case .state(let i) = kind else { throw SwiftNetError.value("[compile] Metric results read only metric states.") }
                return Tensor.read(objective.states[i].tensor, tape: resultTape, trainable: false)
            }, scope: objective.scope, tape: resultTape, training: false, stepSeed: 0).outputs
            let names = objective.resultLogNames
            var index = 0
            for value in values {
                for i in 0..<value.count {
                    result.append((names[index], value.scalar(at: i)))
                    index += 1
                }
            }
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
