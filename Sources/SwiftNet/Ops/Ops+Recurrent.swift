/// Recurrent layers as single ops over a whole sequence (SimpleRNN, LSTM, GRU), with
/// backpropagation through time. The input projection of all steps is one product; each step adds
/// its recurrent product and runs its gates in one fused pass. Backward, only the product with
/// the recurrent kernel stays step by step: the weight and input gradients are whole-sequence
/// products.
///
/// Inputs, in order: x [batch, time, features], kernel [features, gates·units], recurrent_kernel
/// [units, gates·units], then as the attributes say: bias ([gates·units], or [2, 3·units] for a GRU
/// with `reset_after`), mask [batch, time] (false steps keep the state), the initial state(s)
/// [batch, units] (h, then c for an LSTM), and a recurrent dropout mask [batch, units] that
/// multiplies the state entering the recurrent product. Outputs: the sequence [batch, time, units]
/// (in processing order: reversed with `go_backwards`, as Keras) or the last output [batch, units],
/// then the final state(s).
///
/// Gates follow Keras's layouts: LSTM i, f, c, o; GRU z, r, h.

enum RecurrentCell: String {
    case simpleRNN = "simple_rnn", lstm, gru

    var gates: Int {
        switch self {
        case .simpleRNN: return 1
        case .lstm: return 4
        case .gru: return 3
        }
    }
    var states: Int { self == .lstm ? 2 : 1 }
}

struct RecurrentOp: Op {
    let cell: RecurrentCell
    let units: Int
    let activation: Activation
    let recurrentActivation: Activation
    let useBias: Bool
    let resetAfter: Bool
    let goBackwards: Bool
    let returnSequences: Bool
    let hasMask: Bool
    let hasInitialState: Bool
    let hasRecurrentMask: Bool
    /// Masked steps output zeros (else the state they carry over, as Keras's `rnn`).
    let zeroMaskedOutputs: Bool

    init(_ cell: RecurrentCell, _ attributes: ConfigReader) throws {
        self.cell = cell
        units = try attributes.int("units")
        guard units > 0 else { throw attributes.fail("Received an invalid value for argument `units`, expected a positive integer, got \(units).") }
        activation = try Activation.named(try attributes.optionalString("activation") ?? "tanh", owner: cell.rawValue)
        recurrentActivation = try Activation.named(try attributes.optionalString("recurrent_activation") ?? "sigmoid", owner: cell.rawValue)
        guard activation != .softmax, recurrentActivation != .softmax else {
            throw attributes.fail("Recurrent activations apply element by element; softmax is not one.")
        }
        useBias = try attributes.bool("use_bias", default: true)
        resetAfter = try cell == .gru && attributes.bool("reset_after", default: true)
        goBackwards = try attributes.bool("go_backwards", default: false)
        returnSequences = try attributes.bool("return_sequences", default: false)
        hasMask = try attributes.bool("has_mask", default: false)
        hasInitialState = try attributes.bool("has_initial_state", default: false)
        hasRecurrentMask = try attributes.bool("has_recurrent_mask", default: false)
        zeroMaskedOutputs = try attributes.bool("zero_output_for_mask", default: false)
    }

    private var name: String { cell.rawValue }
    private var width: Int { cell.gates * units }
    private var biasShape: [Int] { resetAfter ? [2, width] : [width] }
    private var inputCount: Int {
        3 + (useBias ? 1 : 0) + (hasMask ? 1 : 0) + (hasInitialState ? cell.states : 0) + (hasRecurrentMask ? 1 : 0)
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, inputCount, name)
        let x = inputs[0]
        guard x.rank == 3 else {
            throw SwiftNetError.value("[\(name)] Expected inputs of shape (batch, timesteps, features). Received a tensor of shape \(describe(x.shape)).")
        }
        let batch = x.shape[0], time = x.shape[1]
        func expect(_ spec: TensorSpec, _ shape: [Int?], _ what: String) throws {
            let fits = spec.rank == shape.count && zip(spec.shape, shape).allSatisfy { $0 == nil || $1 == nil || $0 == $1 }
            guard fits else {
                throw SwiftNetError.value("[\(name)] Expected \(what) of shape \(describe(shape)). Received: \(describe(spec.shape)).")
            }
        }
        try expect(inputs[1], [x.shape[2], width], "a kernel")
        try expect(inputs[2], [units, width], "a recurrent kernel")
        var index = 3
        if useBias { try expect(inputs[index], biasShape.map { $0 }, "a bias"); index += 1 }
        if hasMask { try expect(inputs[index], [batch, time], "a mask"); index += 1 }
        if hasInitialState {
            for _ in 0..<cell.states { try expect(inputs[index], [batch, units], "an initial state"); index += 1 }
        }
        if hasRecurrentMask { try expect(inputs[index], [batch, units], "a recurrent dropout mask") }
        let output = returnSequences ? [batch, time, units] : [batch, units]
        return [TensorSpec(shape: output, dtype: .float32)]
            + Array(repeating: TensorSpec(shape: [batch, units], dtype: .float32), count: cell.states)
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        _ = try infer(inputs.map(TensorSpec.init))
        var index = 0
        func next() -> Tensor { defer { index += 1 }; return inputs[index] }
        let x = try cast(next(), to: .float32, context), kernel = next(), recurrent = next()
        let bias = useBias ? next() : nil
        let mask = hasMask ? try cast(next(), to: .bool, context) : nil
        let h0 = hasInitialState ? try cast(next(), to: .float32, context) : nil
        let c0 = hasInitialState && cell == .lstm ? try cast(next(), to: .float32, context) : nil
        let recurrentMask = hasRecurrentMask ? try cast(next(), to: .float32, context) : nil
        return try RecurrentPass(op: self, x: x, kernel: kernel, recurrent: recurrent, bias: bias, mask: mask, h0: h0,
                                 c0: c0, recurrentMask: recurrentMask, context: context).run()
    }
}

/// One forward pass of a `RecurrentOp` and the memory its backward pass reads. Per-step buffers
/// are laid out [batch, time, ...] by time index, so the weight gradients are single products.
private final class RecurrentPass {
    let op: RecurrentOp
    let x: Tensor, kernel: Tensor, recurrent: Tensor, bias: Tensor?, mask: Tensor?, h0: Tensor?, c0: Tensor?
    let recurrentMask: Tensor?
    let context: OpContext
    let batch: Int, time: Int, features: Int, units: Int, width: Int

    /// x·kernel + input bias, [batch, time, width].
    var projected: UnsafeMutablePointer<Float>!
    /// The state entering each step (after recurrent dropout), [batch, time, units].
    var enteringState: UnsafeMutablePointer<Float>!
    /// Without dropout the same as `enteringState`; with it, the undropped state (GRU's update).
    var previousState: UnsafeMutablePointer<Float>!
    /// Pre-activations and activations of the gates, [batch, time, width].
    var preactivation: UnsafeMutablePointer<Float>!
    var gates: UnsafeMutablePointer<Float>!
    /// LSTM: cell state before and after each step, and the activation of the latter.
    var previousCell: UnsafeMutablePointer<Float>!
    var cellState: UnsafeMutablePointer<Float>!
    var cellActivation: UnsafeMutablePointer<Float>!
    /// GRU: the recurrent product (+ recurrent bias) with `reset_after`, else r ⊙ state.
    var recurrentPart: UnsafeMutablePointer<Float>!

    init(op: RecurrentOp, x: Tensor, kernel: Tensor, recurrent: Tensor, bias: Tensor?, mask: Tensor?, h0: Tensor?,
         c0: Tensor?, recurrentMask: Tensor?, context: OpContext) throws {
        self.op = op
        self.x = x; self.kernel = kernel; self.recurrent = recurrent; self.bias = bias; self.mask = mask
        self.h0 = h0; self.c0 = c0; self.recurrentMask = recurrentMask; self.context = context
        batch = x.shape[0]; time = x.shape[1]; features = x.shape[2]
        units = op.units; width = op.cell.gates * op.units
    }

    /// The time index of processing step `s`.
    @inline(__always) func timeIndex(_ s: Int) -> Int { op.goBackwards ? time - 1 - s : s }
    @inline(__always) func isMasked(_ b: Int, _ t: Int) -> Bool { mask.map { $0.data[b * time + t] == 0 } ?? false }
    @inline(__always) func row(_ buffer: UnsafeMutablePointer<Float>, _ b: Int, _ t: Int, _ size: Int) -> UnsafeMutablePointer<Float> {
        buffer + (b * time + t) * size
    }

    func run() throws -> [Tensor] {
        let tape = context.tape
        let steps = batch * time
        projected = try tape.scratch(steps * width)
        Gemm.multiply(x.data, kernel.data, into: projected, m: steps, n: width, k: features)
        if let bias {
            parallelRows(steps, width) { range in
                for r in range { vectorMap2(self.width, self.projected + r * self.width, bias.data, self.projected + r * self.width) { $0 + $1 } }
            }
        }
        enteringState = try tape.scratch(steps * units)
        previousState = recurrentMask != nil && op.cell == .gru ? try tape.scratch(steps * units) : enteringState
        preactivation = try tape.scratch(steps * width)
        gates = try tape.scratch(steps * width)
        if op.cell == .lstm {
            previousCell = try tape.scratch(steps * units)
            cellState = try tape.scratch(steps * units)
            cellActivation = try tape.scratch(steps * units)
        }
        if op.cell == .gru { recurrentPart = try tape.scratch(steps * (op.resetAfter ? width : units)) }

        let outputs = try Tensor.output(op.returnSequences ? [batch, time, units] : [batch, units], .float32,
                                        of: [x, kernel, recurrent, bias, h0, c0].compactMap { $0 }, context)
        let finalH = try Tensor.output([batch, units], .float32, of: [x, kernel, recurrent, bias, h0, c0].compactMap { $0 }, context)
        let finalC = op.cell == .lstm ? try Tensor.output([batch, units], .float32, of: [x, kernel, recurrent, bias, h0, c0].compactMap { $0 }, context) : nil

        // Running state and cell.
        let h = try tape.scratch(batch * units), c = try tape.scratch(batch * units)
        if let h0 { h.update(from: h0.data, count: batch * units) } else { h.update(repeating: 0, count: batch * units) }
        if let c0 { c.update(from: c0.data, count: batch * units) } else { c.update(repeating: 0, count: batch * units) }
        let product = try tape.scratch(batch * width)
        for s in 0..<time {
            let t = timeIndex(s)
            // The state entering this step, by time index (with recurrent dropout applied).
            for b in 0..<batch {
                let entering = row(enteringState, b, t, units), hb = h + b * units
                if let recurrentMask {
                    vectorMap2(units, hb, recurrentMask.data + b * units, entering) { $0 * $1 }
                    if op.cell == .gru { row(previousState, b, t, units).update(from: hb, count: units) }
                } else {
                    entering.update(from: hb, count: units)
                }
            }
            let columns = op.cell == .gru && !op.resetAfter ? 2 * units : width
            Gemm.multiply(enteringState + t * units, lda: time * units, recurrent.data, ldb: width, into: product, ldc: width,
                          m: batch, n: columns, k: units)
            if op.cell == .gru && !op.resetAfter {
                try resetBeforeProduct(t, product)
            }
            parallelFor(batch, minChunk: max(1, 4096 / width)) { range in
                for b in range { self.step(b, t, product + b * self.width, h + b * self.units, c + b * self.units) }
            }
            // This step's output: the state (carried over by a masked step), or zeros for a masked
            // step with `zero_output_for_mask`.
            if op.returnSequences || s == time - 1 {
                for b in 0..<batch {
                    let out = op.returnSequences ? outputs.data + (b * time + s) * units : outputs.data + b * units
                    if op.zeroMaskedOutputs && isMasked(b, t) { out.update(repeating: 0, count: units) }
                    else { out.update(from: h + b * units, count: units) }
                }
            }
        }
        if time == 0 && !op.returnSequences { outputs.data.update(repeating: 0, count: batch * units) }
        finalH.data.update(from: h, count: batch * units)
        finalC?.data.update(from: c, count: batch * units)
        let results = [outputs, finalH] + (finalC.map { [$0] } ?? [])
        if outputs.requiresGrad {
            context.tape.record(outputs, also: Array(results.dropFirst())) { [self, results] in
                try self.backward(results)
            }
        }
        return results
    }

    /// GRU without `reset_after`: the h columns of the recurrent product use r ⊙ state, so r is
    /// computed first (columns 0..<2·units of `product` hold the z, r products).
    private func resetBeforeProduct(_ t: Int, _ product: UnsafeMutablePointer<Float>) throws {
        let u = units
        for b in 0..<batch {
            let pre = row(projected, b, t, width), p = product + b * width
            let r = try context.tape.scratch(u)
            vectorMap2(u, pre + u, p + u, r) { self.op.recurrentActivation.apply($0 + $1) }
            vectorMap2(u, r, row(enteringState, b, t, u), row(recurrentPart, b, t, u)) { $0 * $1 }
        }
        Gemm.multiply(recurrentPart + t * u, lda: time * u, recurrent.data + 2 * u, ldb: width, into: product + 2 * u, ldc: width,
                      m: batch, n: u, k: u)
    }

    /// One step of row `b` at time `t`: updates the state `h` (and cell `c`) in place unless the
    /// step is masked. `product` is the row's recurrent product.
    private func step(_ b: Int, _ t: Int, _ product: UnsafeMutablePointer<Float>, _ h: UnsafeMutablePointer<Float>,
                      _ c: UnsafeMutablePointer<Float>) {
        let u = units, act = op.activation, rec = op.recurrentActivation
        let pre = row(preactivation, b, t, width), gate = row(gates, b, t, width), proj = row(projected, b, t, width)
        let masked = isMasked(b, t)
        switch op.cell {
        case .simpleRNN:
            vectorMap2(u, proj, product, pre) { $0 + $1 }
            vectorMap(u, pre, gate) { act.apply($0) }
            if !masked { h.update(from: gate, count: u) }
        case .lstm:
            vectorMap2(width, proj, product, pre) { $0 + $1 }
            vectorMap(u, pre, gate) { rec.apply($0) }                       // i
            vectorMap(u, pre + u, gate + u) { rec.apply($0) }               // f
            vectorMap(u, pre + 2 * u, gate + 2 * u) { act.apply($0) }       // candidate
            vectorMap(u, pre + 3 * u, gate + 3 * u) { rec.apply($0) }       // o
            let cPrev = row(previousCell, b, t, u), cNew = row(cellState, b, t, u), cAct = row(cellActivation, b, t, u)
            cPrev.update(from: c, count: u)
            // c = f ⊙ c_prev + i ⊙ candidate
            vectorMap2(u, gate + u, cPrev, cNew) { $0 * $1 }
            vectorMap3(u, cNew, gate, gate + 2 * u, cNew) { $0 + $1 * $2 }
            vectorMap(u, cNew, cAct) { act.apply($0) }
            if !masked {
                c.update(from: cNew, count: u)
                vectorMap2(u, gate + 3 * u, cAct, h) { $0 * $1 }
            }
        case .gru:
            let bias = self.bias.map { $0.data + width }  // the recurrent bias row (reset_after)
            let hPrev = row(previousState, b, t, u)
            if op.resetAfter {
                let part = row(recurrentPart, b, t, width)
                if let bias { vectorMap2(width, product, bias, part) { $0 + $1 } } else { part.update(from: product, count: width) }
                vectorMap2(2 * u, proj, part, pre) { $0 + $1 }
                vectorMap(2 * u, pre, gate) { rec.apply($0) }
                // h̃ = act(x_h + r ⊙ (state·R_h + b_h))
                vectorMap3(u, proj + 2 * u, gate + u, part + 2 * u, pre + 2 * u) { $0 + $1 * $2 }
            } else {
                vectorMap2(2 * u, proj, product, pre) { $0 + $1 }
                vectorMap(2 * u, pre, gate) { rec.apply($0) }
                vectorMap2(u, proj + 2 * u, product + 2 * u, pre + 2 * u) { $0 + $1 }
            }
            vectorMap(u, pre + 2 * u, gate + 2 * u) { act.apply($0) }
            if !masked {
                // h = z ⊙ h_prev + (1 − z) ⊙ h̃
                vectorMap3(u, gate, hPrev, gate + 2 * u, h) { z, hp, hh in z * hp + (1 - z) * hh }
            }
        }
    }

    /// Backpropagation through time from the gradients of the outputs that have one.
    private func backward(_ results: [Tensor]) throws {
        let tape = context.tape
        let u = units, steps = batch * time
        let outputs = results[0]
        let gOut: UnsafeMutablePointer<Float>? = outputs.hasGradient ? outputs.grad : nil
        // Running gradients of the state and cell after the step being undone.
        let dh = try tape.scratch(batch * u), dc = try tape.scratch(batch * u)
        if results[1].hasGradient { dh.update(from: results[1].grad!, count: batch * u) } else { dh.update(repeating: 0, count: batch * u) }
        if op.cell == .lstm, results[2].hasGradient { dc.update(from: results[2].grad!, count: batch * u) } else { dc.update(repeating: 0, count: batch * u) }
        // Gradients of the gate pre-activations as the input projection sees them, and as the
        // recurrent product sees them (they differ only for a GRU), [batch, time, width].
        let dInput = try tape.scratch(steps * width)
        let dRecurrent = op.cell == .gru ? try tape.scratch(steps * width) : dInput
        let dEntering = try tape.scratch(batch * u)
        for s in stride(from: time - 1, through: 0, by: -1) {
            let t = timeIndex(s)
            parallelFor(batch, minChunk: max(1, 4096 / width)) { range in
                for b in range {
                    let dhb = dh + b * u, masked = self.isMasked(b, t)
                    // The step's output is its state (unless zeroed): its gradient joins the state's.
                    if let gOut, self.op.returnSequences || s == self.time - 1, !(masked && self.op.zeroMaskedOutputs) {
                        let g = self.op.returnSequences ? gOut + (b * self.time + s) * u : gOut + b * u
                        vectorMap2(u, dhb, g, dhb) { $0 + $1 }
                    }
                    if masked {
                        // The state and cell pass through unchanged.
                        self.row(dInput, b, t, self.width).update(repeating: 0, count: self.width)
                        if self.op.cell == .gru { self.row(dRecurrent, b, t, self.width).update(repeating: 0, count: self.width) }
                        continue
                    }
                    self.stepBackward(b, t, dhb, dc + b * u, self.row(dInput, b, t, self.width),
                                      self.row(dRecurrent, b, t, self.width))
                }
            }
            // d(entering state) = dRecurrent_t · Rᵀ, then through the dropout mask into dh.
            try recurrentProductBackward(t, dInput, dRecurrent, into: dEntering)
            for b in 0..<batch where !isMasked(b, t) {
                let dhb = dh + b * u, de = dEntering + b * u
                if let recurrentMask { vectorMap3(u, dhb, de, recurrentMask.data + b * u, dhb) { $0 + $1 * $2 } }
                else { vectorMap2(u, dhb, de, dhb) { $0 + $1 } }
            }
        }
        try accumulateInitialStates(dh, dc)
        try accumulateWeights(dInput, dRecurrent)
    }

    /// Gradients of row `b`'s step at time `t`: reads dh (the state's gradient after the step) and
    /// dc, writes the pre-activation gradients, and leaves in dh and dc the parts that reach the
    /// previous state other than through the recurrent product.
    private func stepBackward(_ b: Int, _ t: Int, _ dh: UnsafeMutablePointer<Float>, _ dc: UnsafeMutablePointer<Float>,
                              _ dInput: UnsafeMutablePointer<Float>, _ dRecurrent: UnsafeMutablePointer<Float>) {
        let u = units, act = op.activation, rec = op.recurrentActivation
        let pre = row(preactivation, b, t, width), gate = row(gates, b, t, width)
        switch op.cell {
        case .simpleRNN:
            vectorMap3(u, dh, pre, gate, dInput) { g, z, y in g * act.derivative(input: z, output: y) }
            dh.update(repeating: 0, count: u)
        case .lstm:
            let cPrev = row(previousCell, b, t, u), cNew = row(cellState, b, t, u), cAct = row(cellActivation, b, t, u)
            // dc += dh ⊙ o ⊙ act'(c), with act'(c) staged where d candidate goes later.
            let staged = dInput + 2 * u
            vectorMap2(u, cNew, cAct, staged) { act.derivative(input: $0, output: $1) }
            vectorMap3(u, dh, gate + 3 * u, staged, staged) { $0 * $1 * $2 }
            vectorMap2(u, dc, staged, dc) { $0 + $1 }
            vectorMap2(u, dh, cAct, dInput + 3 * u) { $0 * $1 }        // d o
            vectorMap2(u, dc, gate + 2 * u, dInput) { $0 * $1 }        // d i
            vectorMap2(u, dc, cPrev, dInput + u) { $0 * $1 }           // d f
            vectorMap2(u, dc, gate, dInput + 2 * u) { $0 * $1 }        // d candidate
            vectorMap2(u, dc, gate + u, dc) { $0 * $1 }                // to the previous cell
            vectorMap3(u, dInput, pre, gate, dInput) { g, z, y in g * rec.derivative(input: z, output: y) }
            vectorMap3(u, dInput + u, pre + u, gate + u, dInput + u) { g, z, y in g * rec.derivative(input: z, output: y) }
            vectorMap3(u, dInput + 2 * u, pre + 2 * u, gate + 2 * u, dInput + 2 * u) { g, z, y in g * act.derivative(input: z, output: y) }
            vectorMap3(u, dInput + 3 * u, pre + 3 * u, gate + 3 * u, dInput + 3 * u) { g, z, y in g * rec.derivative(input: z, output: y) }
            dh.update(repeating: 0, count: u)
        case .gru:
            let hPrev = row(previousState, b, t, u)
            // h = z ⊙ h_prev + (1 − z) ⊙ h̃
            let dCandidate = dInput + 2 * u
            vectorMap3(u, dh, gate, pre + 2 * u, dCandidate) { g, z, _ in g * (1 - z) }
            vectorMap3(u, dCandidate, pre + 2 * u, gate + 2 * u, dCandidate) { g, z, y in g * act.derivative(input: z, output: y) }
            for j in 0..<u { dInput[j] = dh[j] * (hPrev[j] - gate[2 * u + j]) }
            vectorMap3(u, dInput, pre, gate, dInput) { g, z, y in g * rec.derivative(input: z, output: y) }
            if op.resetAfter {
                let part = row(recurrentPart, b, t, width)
                // pre_h = x_h + r ⊙ part_h: d r = d pre_h ⊙ part_h; d part_h = d pre_h ⊙ r.
                vectorMap2(u, dCandidate, part + 2 * u, dInput + u) { $0 * $1 }
                vectorMap3(u, dInput + u, pre + u, gate + u, dInput + u) { g, z, y in g * rec.derivative(input: z, output: y) }
                dRecurrent.update(from: dInput, count: 2 * u)
                vectorMap2(u, dCandidate, gate + u, dRecurrent + 2 * u) { $0 * $1 }
            } else {
                // d r needs d(r ⊙ state) = d pre_h · R_hᵀ: filled in by `recurrentProductBackward`.
                dRecurrent.update(from: dInput, count: width)
            }
            vectorMap2(u, dh, gate, dh) { $0 * $1 }  // z ⊙ dh reaches h_prev directly
        }
    }

    /// dEntering = dRecurrent_t · Rᵀ for every row of time `t` (masked rows are zero). Without
    /// `reset_after`, a GRU first completes d r, which needs d(r ⊙ state).
    private func recurrentProductBackward(_ t: Int, _ dInput: UnsafeMutablePointer<Float>, _ dRecurrent: UnsafeMutablePointer<Float>,
                                          into dEntering: UnsafeMutablePointer<Float>) throws {
        let u = units
        if op.cell == .gru && !op.resetAfter {
            // d(r ⊙ state) = d pre_h · R_hᵀ
            let dResetState = try context.tape.scratch(batch * u)
            Gemm.multiply(dRecurrent + t * width + 2 * u, lda: time * width, recurrent.data + 2 * u, transposeB: true, ldb: width,
                          into: dResetState, ldc: u, m: batch, n: u, k: u)
            for b in 0..<batch where !isMasked(b, t) {
                let d = row(dRecurrent, b, t, width), drs = dResetState + b * u
                let entering = row(enteringState, b, t, u), gate = row(gates, b, t, width), pre = row(preactivation, b, t, width)
                let rec = op.recurrentActivation
                // d r = d(r ⊙ state) ⊙ state, through σ'; the input projection sees the same.
                vectorMap2(u, drs, entering, d + u) { $0 * $1 }
                vectorMap3(u, d + u, pre + u, gate + u, d + u) { g, z, y in g * rec.derivative(input: z, output: y) }
                (row(dInput, b, t, width) + u).update(from: d + u, count: u)
                vectorMap2(u, drs, gate + u, drs) { $0 * $1 }  // d state through r ⊙ state
            }
            // dEntering = [dz, dr]·R_zrᵀ + d(r ⊙ state) ⊙ r
            Gemm.multiply(dRecurrent + t * width, lda: time * width, recurrent.data, transposeB: true, ldb: width,
                          into: dEntering, ldc: u, m: batch, n: u, k: 2 * u)
            vectorMap2(batch * u, dEntering, dResetState, dEntering) { $0 + $1 }
            return
        }
        Gemm.multiply(dRecurrent + t * width, lda: time * width, recurrent.data, transposeB: true, ldb: width,
                      into: dEntering, ldc: u, m: batch, n: u, k: width)
    }

    private func accumulateInitialStates(_ dh: UnsafeMutablePointer<Float>, _ dc: UnsafeMutablePointer<Float>) throws {
        if let h0, h0.requiresGrad {
            try h0.accumulateGradient { g, accumulate in
                if accumulate { vectorMap2(self.batch * self.units, g, dh, g) { $0 + $1 } } else { g.update(from: dh, count: self.batch * self.units) }
            }
        }
        if let c0, c0.requiresGrad {
            try c0.accumulateGradient { g, accumulate in
                if accumulate { vectorMap2(self.batch * self.units, g, dc, g) { $0 + $1 } } else { g.update(from: dc, count: self.batch * self.units) }
            }
        }
    }

    /// Kernel, recurrent kernel, bias and input gradients as whole-sequence products.
    private func accumulateWeights(_ dInput: UnsafeMutablePointer<Float>, _ dRecurrent: UnsafeMutablePointer<Float>) throws {
        let steps = batch * time, u = units
        if kernel.requiresGrad {
            try kernel.accumulateGradient { g, accumulate in
                Gemm.multiply(x.data, transposeA: true, dInput, into: g, m: features, n: width, k: steps, accumulate: accumulate)
            }
        }
        if recurrent.requiresGrad {
            try recurrent.accumulateGradient { g, accumulate in
                if op.cell == .gru && !op.resetAfter {
                    Gemm.multiply(enteringState, transposeA: true, lda: u, dRecurrent, ldb: width, into: g, ldc: width,
                                  m: u, n: 2 * u, k: steps, accumulate: accumulate)
                    Gemm.multiply(recurrentPart, transposeA: true, lda: u, dInput + 2 * u, ldb: width, into: g + 2 * u, ldc: width,
                                  m: u, n: u, k: steps, accumulate: accumulate)
                } else {
                    Gemm.multiply(enteringState, transposeA: true, dRecurrent, into: g, m: u, n: width, k: steps, accumulate: accumulate)
                }
            }
        }
        if let bias, bias.requiresGrad {
            try bias.accumulateGradient { g, accumulate in
                Reduce.sumRows(dInput, rows: steps, cols: width, into: g, accumulate: accumulate)
                if op.resetAfter { Reduce.sumRows(dRecurrent, rows: steps, cols: width, into: g + width, accumulate: accumulate) }
            }
        }
        if x.requiresGrad {
            try x.accumulateGradient { g, accumulate in
                Gemm.multiply(dInput, kernel.data, transposeB: true, into: g, m: steps, n: features, k: width, accumulate: accumulate)
            }
        }
    }
}

let recurrentOps: [String: OpRegistry.Factory] = [
    "simple_rnn": { try RecurrentOp(.simpleRNN, $0) },
    "lstm": { try RecurrentOp(.lstm, $0) },
    "gru": { try RecurrentOp(.gru, $0) },
]
