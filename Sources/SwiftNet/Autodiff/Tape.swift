/// Records the operations of one step so that `backward` can run their gradients in reverse
/// (a Wengert list: creation order is a topological order).
///
/// It also owns the step's scratch memory: `reset()` recycles every buffer of the last step.
public final class Tape {
    let arena = Arena()
    /// Whether operations record their gradient closures (false for inference).
    public private(set) var isRecording = false
    /// Training mode: dropout and augmentation are active, batch norm uses batch statistics.
    public private(set) var training = false
    /// Each op's gradient closure with the output(s) it starts from: it runs once any of them has
    /// a gradient (ops with several outputs list the others in `also`).
    private var records: [(output: Tensor, also: [Tensor]?, backward: () throws -> Void)] = []

    public init() {}

    /// Starts a new step; every tensor of the previous step becomes invalid.
    public func reset(recording: Bool, training: Bool) {
        records.removeAll(keepingCapacity: true)
        arena.reset()
        isRecording = recording
        self.training = training
    }

    /// Ends a step: drops the gradient records, whose closures hold the step's tensors, which hold
    /// this tape (a cycle that would otherwise keep the model alive). Memory stays for reuse.
    public func finishStep() {
        records.removeAll(keepingCapacity: true)
    }

    /// An input tensor of this step (no gradient), filled by the caller.
    public func input(shape: [Int], dtype: DType = .float32) throws -> Tensor {
        try Tensor(shape: shape, dtype: dtype, tape: self, requiresGrad: false)
    }

    /// An input tensor of this step reading caller memory in place; ops never write to inputs.
    public func input(viewing data: UnsafeRawPointer, shape: [Int], dtype: DType = .float32) -> Tensor {
        Tensor(external: UnsafeMutableRawPointer(mutating: data), shape: shape, dtype: dtype, tape: self)
    }

    /// Uninitialised scratch memory for `count` floats, valid for this step.
    func scratch(_ count: Int) throws -> UnsafeMutablePointer<Float> { try arena.allocate(count) }

    func record(_ output: Tensor, also: [Tensor]? = nil, _ backward: @escaping () throws -> Void) {
        records.append((output, also, backward))
    }

    /// Runs the recorded gradients in reverse, starting from `root`'s gradient, which must be set.
    public func backward() throws {
        for record in records.reversed()
        where record.output.hasGradient || (record.also?.contains { $0.hasGradient } ?? false) {
            try record.backward()
        }
    }

    /// Runs `body` without recording when `recording` is false (a traced step's work outside
    /// every GradientTape: no gradient flows through it).
    func recording<T>(_ recording: Bool, _ body: () throws -> T) rethrows -> T {
        guard !recording, isRecording else { return try body() }
        isRecording = false
        defer { isRecording = true }
        return try body()
    }

    /// Forgets the gradients of every recorded tensor, so that another `backward` (a second
    /// gradient in a traced step) starts from nothing.
    public func clearGradients() {
        for record in records {
            record.output.clearGradient()
            record.also?.forEach { $0.clearGradient() }
        }
    }

    /// Seeds d(root)/d(root) = 1 for a scalar root and runs `backward()`.
    public func backward(from root: Tensor) throws {
        try root.accumulateGradient { g, _ in g.update(repeating: 1, count: root.count) }
        try backward()
    }
}

extension Tape {
    /// The tape of the first input that has one; ops allocate their output there.
    static func of(_ tensors: Tensor?...) -> Tape? {
        for t in tensors { if let tape = t?.tape { return tape } }
        return nil
    }
}

extension Tensor {
    /// The output of an operation on `inputs`: on their tape, tracked when any input is.
    static func result(shape: [Int], of inputs: Tensor?...) throws -> Tensor {
        var tape: Tape?
        var tracked = false
        for input in inputs {
            guard let input else { continue }
            if tape == nil { tape = input.tape }
            tracked = tracked || input.requiresGrad
        }
        return try Tensor(shape: shape, tape: tape, requiresGrad: tracked && (tape?.isRecording ?? false))
    }

    /// Records `backward` on this tensor's tape when it is tracked.
    func onBackward(_ backward: @escaping () throws -> Void) {
        if requiresGrad, let tape { tape.record(self, backward) }
    }
}
