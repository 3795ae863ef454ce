/// One pass of `fit` (or `evaluate`) for a model whose class has its own `train_step` (or
/// `test_step`): the step traced into `StepProgram`s (one per batch size: full batches and the
/// last, shorter one), run batch after batch in chunks, as `Session` runs the built-in step.
///
/// Spec: `{"programs": [program, ...], "log_names": [...], "states": [{"name", "shape", "dtype"}]}`.
/// Data: arrays "d0", "d1", … (the leaves of the step's `data`), read in place. The step's
/// states (metric variables) live here between steps; the caller reads and writes them.
public final class StepSession {
    public let logNames: [String]
    public let states: [Variable]
    public let batchSize: Int
    public let samples: Int
    let models: [Model]
    /// "fit" or "evaluate", for messages.
    let method: String
    let optimizers: [EagerOptimizer]
    private let programs: [Int: StepProgram]
    private let data: [ArrayView]
    private let shuffle: Bool
    private let seed: UInt64
    private let tape = Tape()
    private var order: [Int]?
    public private(set) var position = 0
    private var stepCount: UInt64 = 0
    /// The logs the last step returned (Keras reports a custom step's last logs).
    public private(set) var logs: [Double] = []
    /// Predict: where each output's rows go (samples × per-sample count, in the output's dtype).
    private var outputs: [(buffer: UnsafeMutableRawPointer, count: Int, dtype: DType)?]

    /// - Throws: `SwiftNetError` for malformed specs, data of differing lengths, or a batch size
    ///   without a program.
    public init(spec: JSON, data: Dataset, models: [Model], optimizers: [EagerOptimizer], batchSize: Int,
                shuffle: Bool, seed: UInt64, method: String = "fit") throws {
        let owner = method == "fit" ? "train_step" : method == "evaluate" ? "test_step" : "predict_step"
        let config = try ConfigReader(owner: owner, spec)
        self.method = method
        samples = try data.sampleCount(method)
        var arrays: [ArrayView] = []
        while let array = data["d\(arrays.count)"] { arrays.append(array) }
        guard !arrays.isEmpty, samples > 0 else { throw SwiftNetError.value("[\(method)] Expected at least one sample.") }
        guard batchSize > 0 else { throw SwiftNetError.value("[\(method)] Expected a positive batch_size. Received: batch_size=\(batchSize)") }
        var states: [Variable] = []
        if case .some(.array(let items)) = config.json("states") {
            for item in items {
                let entry = try ConfigReader(owner: owner, item)
                states.append(try Variable(name: try entry.string("name", default: "state"),
                                           spec: TensorSpec(json: item, owner: owner), trainable: false))
            }
        }
        guard case .some(.array(let items)) = config.json("programs"), !items.isEmpty else {
            throw SwiftNetError.value("[\(owner)] Expected `programs`.")
        }
        var programs: [Int: StepProgram] = [:]
        for item in items {
            let program = try StepProgram(json: item, models: models, optimizers: optimizers.count, states: states.count,
                                          dataArrays: arrays.count)
            programs[program.rows] = program
        }
        self.batchSize = min(batchSize, samples)
        for rows in Set([self.batchSize, samples % self.batchSize]) where rows > 0 && programs[rows] == nil {
            throw SwiftNetError.value("[\(owner)] No traced step for batches of \(rows) samples.")
        }
        guard case .some(.array(let names)) = config.json("log_names") else { throw SwiftNetError.value("[\(owner)] Expected `log_names`.") }
        logNames = try names.map { name in
            guard case .string(let text) = name else { throw SwiftNetError.value("[\(owner)] Log names are strings.") }
            return text
        }
        let outputCount = programs.values.first!.outputs.count
        for program in programs.values where program.outputs.count != (method == "predict" ? outputCount : logNames.count) {
            throw SwiftNetError.value("[\(owner)] A program has \(program.outputs.count) outputs; expected \(method == "predict" ? outputCount : logNames.count).")
        }
        outputs = Array(repeating: nil, count: method == "predict" ? outputCount : 0)
        self.states = states
        self.models = models
        self.optimizers = optimizers
        self.programs = programs
        self.data = arrays
        self.shuffle = shuffle
        self.seed = seed
    }

    public var isFinished: Bool { position >= samples }

    /// Predict: the buffer of output `index`, `count` values of `dtype` (samples first).
    public func setOutput(_ index: Int, _ buffer: UnsafeMutableRawPointer, count: Int, dtype: DType) throws {
        guard outputs.indices.contains(index) else {
            throw SwiftNetError.value("[predict] Output index \(index) is out of range: the step has \(outputs.count) outputs.")
        }
        guard count % samples == 0 else { throw SwiftNetError.value("[predict] Output \(index) needs a multiple of \(samples) values.") }
        outputs[index] = (buffer, count, dtype)
    }

    /// Starts a pass; when shuffling, draws the order of `epoch`.
    public func beginEpoch(_ epoch: Int) {
        position = 0
        logs = []
        guard shuffle else { order = nil; return }
        var indices = order ?? Array(0..<samples)
        indices.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = i }
            var rng = RandomGenerator(seed: seed, stream: UInt64(epoch))
            rng.shuffle(buffer)
        }
        order = indices
    }

    /// Runs up to `maxSteps` batches, stopping early after `maxSeconds` or at the end of the pass.
    /// - Returns: whether the pass is finished.
    @discardableResult
    public func run(maxSteps: Int = .max, maxSeconds: Double = .infinity) throws -> Bool {
        let start = Session.now()
        var steps = 0
        while position < samples && steps < maxSteps {
            let n = min(batchSize, samples - position)
            try step(rows: n)
            position += n
            steps += 1
            if Session.now() - start >= maxSeconds { break }
        }
        return isFinished
    }

    private func step(rows n: Int) throws {
        guard let program = programs[n] else { throw SwiftNetError.value("[\(method)] No traced step for batches of \(n) samples.") }
        tape.reset(recording: true, training: true)
        defer { tape.finishStep() }
        let picked = order.map { $0[position..<(position + n)] }
        var batch: [Tensor] = []
        for array in data {
            let tensor = try array.batch(on: tape, as: array.dtype, picked, first: position, n)
            if array.dtype == .float32, let bad = Reduce.firstNonFinite(tensor.data, tensor.count) {
                let row = bad / max(array.sampleSize, 1)
                throw Session.nonFinite(method, "The data contains", sample: picked.map { $0[$0.startIndex + row] } ?? position + row)
            }
            batch.append(tensor)
        }
        stepCount &+= 1
        let results = try program.run(batch: batch, tape: tape, models: models, optimizers: optimizers, states: states,
                                      stepSeed: seed ^ (stepCount &* 0xD6E8_FEB8_6659_FD93))
        guard method == "predict" else {
            logs = try results.map { log in
                guard log.count == 1 else {
                    throw SwiftNetError.value("[\(method)] A log has shape \(describe(log.shape.map { $0 })); logs are scalars.")
                }
                return log.scalar(at: 0)
            }
            return
        }
        for (i, result) in results.enumerated() {
            guard let output = outputs[i] else { throw SwiftNetError.state("[predict] Set the buffer of output \(i) before running.") }
            let perSample = output.count / samples
            guard result.shape.first == n, result.count == n * perSample else {
                throw SwiftNetError.value("[predict] Output \(i) of `predict_step` has shape \(describe(result.shape.map { $0 })); expected \(n) rows of \(perSample) values.")
            }
            let value = try cast(result, to: output.dtype, OpContext(tape: tape, training: false, seed: 0))
            let bytes = output.dtype.byteSize
            copyElements(value.raw, output.buffer + position * perSample * bytes, count: value.count, bytes: bytes)
        }
    }
}
