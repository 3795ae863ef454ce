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
/// are laid out [time, batch, ...] by time index: a step's rows are contiguous, and the weight
/// gradients are single products.
private final class RecurrentPass {
    let op: RecurrentOp
    let x: Tensor, kernel: Tensor, recurrent: Tensor, bias: Tensor?, mask: Tensor?, h0: Tensor?, c0: Tensor?
    let recurrentMask: Tensor?
    let context: OpContext
    let batch: Int, time: Int, features: Int, units: Int, width: Int

    /// x time-major [time, batch, features], and x·kernel + input bias [time, batch, width].
    var timeMajorInputs: UnsafeMutablePointer<Float>!
    var projected: UnsafeMutablePointer<Float>!
    /// The state entering each step (after recurrent dropout), [time, batch, units].
    var enteringState: UnsafeMutablePointer<Float>!
    /// Without dropout the same as `enteringState`; with it, the undropped state (GRU's update).
    var previousState: UnsafeMutablePointer<Float>!
    /// Pre-activations and activations of the gates, [time, batch, width].
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
    /// Row `b` at time `t` of a per-step buffer: time-major, so that a step's rows are contiguous.
    @inline(__always) func row(_ buffer: UnsafeMutablePointer<Float>, _ b: Int, _ t: Int, _ size: Int) -> UnsafeMutablePointer<Float> {
        buffer + (t * batch + b) * size
    }

    func run() throws -> [Tensor] {
        let tape = context.tape
        let steps = batch * time
        // The inputs time-major, then every step's projection in one product.
        timeMajorInputs = try tape.scratch(steps * features)
        permute(x.data, shape: [batch, time, features], perm: [1, 0, 2], into: timeMajorInputs)
        projected = try tape.scratch(steps * width)
        Gemm.multiply(timeMajorInputs, kernel.data, into: projected, m: steps, n: width, k: features)
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

        // Running state and cell, and per-row scratch for the recurrent product.
        let h = try tape.scratch(batch * units), c = try tape.scratch(batch * units)
        if let h0 { h.update(from: h0.data, count: batch * units) } else { h.update(repeating: 0, count: batch * units) }
        if let c0 { c.update(from: c0.data, count: batch * units) } else { c.update(repeating: 0, count: batch * units) }
        let product = try tape.scratch(batch * width)
        let reset = op.cell == .gru && !op.resetAfter ? try tape.scratch(batch * units) : nil
        // The recurrent kernel packed once for the per-step products (without `reset_after`, a GRU
        // multiplies its z, r columns and its h columns separately).
        let split = op.cell == .gru && !op.resetAfter
        let columns = split ? 2 * units : width
        let stepKernel = PackedMatrix(recurrent.data, ldb: width, k: units, n: columns,
                                      into: try tape.scratch(PackedMatrix.floats(k: units, n: columns)))
        let resetKernel = split ? PackedMatrix(recurrent.data + 2 * units, ldb: width, k: units, n: units,
                                               into: try tape.scratch(PackedMatrix.floats(k: units, n: units))) : nil
        // Rows never interact: each thread takes whole rows through every step (one parallel
        // section per pass, not one per step).
        parallelWorkers(batch, workers: rowWorkers) { _, rows in
            for s in 0..<self.time { self.forwardStep(s, rows, h, c, product, reset, outputs, stepKernel, resetKernel) }
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

    /// Threads for the row-parallel passes: rows of at least 8, so that each step's product stays
    /// worth a call.
    var rowWorkers: Int { workerCount(for: max(1, batch / 8)) }

    /// Processing step `s` for `rows`: the recurrent product, the gates, the output.
    private func forwardStep(_ s: Int, _ rows: Range<Int>, _ h: UnsafeMutablePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                             _ product: UnsafeMutablePointer<Float>, _ reset: UnsafeMutablePointer<Float>?, _ outputs: Tensor,
                             _ stepKernel: PackedMatrix, _ resetKernel: PackedMatrix?) {
        guard !rows.isEmpty else { return }
        let t = timeIndex(s), u = units, first = rows.lowerBound
        // The state entering this step, by time index (with recurrent dropout applied).
        for b in rows {
            let entering = row(enteringState, b, t, u), hb = h + b * u
            if let recurrentMask {
                vectorMap2(u, hb, recurrentMask.data + b * u, entering) { $0 * $1 }
                if op.cell == .gru { row(previousState, b, t, u).update(from: hb, count: u) }
            } else {
                entering.update(from: hb, count: u)
            }
        }
        stepKernel.multiply(row(enteringState, first, t, u), lda: u, rows: rows.count, into: product + first * width, ldc: width)
        if let reset, let resetKernel {
            // GRU without `reset_after`: the h columns multiply r ⊙ state, so r comes first.
            for b in rows {
                let pre = row(projected, b, t, width), p = product + b * width, r = reset + b * u
                vectorMap2(u, pre + u, p + u, r) { self.op.recurrentActivation.apply($0 + $1) }
                vectorMap2(u, r, row(enteringState, b, t, u), row(recurrentPart, b, t, u)) { $0 * $1 }
            }
            resetKernel.multiply(row(recurrentPart, first, t, u), lda: u, rows: rows.count, into: product + first * width + 2 * u,
                                 ldc: width)
        }
        if op.recurrentActivation == .sigmoid && op.activation == .tanh {
            for b in rows { step(StandardGates(), b, t, product + b * width, h + b * u, c + b * u) }
        } else {
            let gates = AnyGates(act: op.activation, rec: op.recurrentActivation)
            for b in rows { step(gates, b, t, product + b * width, h + b * u, c + b * u) }
        }
        // The output: the state (carried over by a masked step), or zeros for a masked step with
        // `zero_output_for_mask`.
        if op.returnSequences || s == time - 1 {
            for b in rows {
                let out = op.returnSequences ? outputs.data + (b * time + s) * u : outputs.data + b * u
                if op.zeroMaskedOutputs && isMasked(b, t) { out.update(repeating: 0, count: u) }
                else { out.update(from: h + b * u, count: u) }
            }
        }
    }

    /// One step of row `b` at time `t`: updates the state `h` (and cell `c`) in place unless the
    /// step is masked. `product` is the row's recurrent product.
    private func step<G: GateFunctions>(_ f: G, _ b: Int, _ t: Int, _ product: UnsafeMutablePointer<Float>,
                                        _ h: UnsafeMutablePointer<Float>, _ c: UnsafeMutablePointer<Float>) {
        let u = units
        let pre = row(preactivation, b, t, width), gate = row(gates, b, t, width), proj = row(projected, b, t, width)
        let keep = !isMasked(b, t)
        // One pass over the units: every gate's lanes at once.
        switch op.cell {
        case .simpleRNN:
            forEachLanes(u) { j, n in
                let z = loadLanes(proj + j, n) + loadLanes(product + j, n)
                let y = f.act(z)
                if G.derivativesNeedInputs { storeLanes(z, pre + j, n) }
                storeLanes(y, gate + j, n)
                if keep { storeLanes(y, h + j, n) }
            }
        case .lstm:
            let cPrev = row(previousCell, b, t, u), cNew = row(cellState, b, t, u), cAct = row(cellActivation, b, t, u)
            // One small pass per gate, then the state: small loop bodies compile to full-width
            // vector code, where one body with all five activations was partly scalarised.
            for k in 0..<4 {
                // Gates i, f, c̃, o: the candidate (k = 2) takes `activation`, the others the recurrent one.
                let offset = k * u, recurrent = k != 2
                forEachLanes(u) { j, n in
                    let z = loadLanes(proj + offset + j, n) + loadLanes(product + offset + j, n)
                    if G.derivativesNeedInputs { storeLanes(z, pre + offset + j, n) }
                    storeLanes(recurrent ? f.rec(z) : f.act(z), gate + offset + j, n)
                }
            }
            forEachLanes(u) { j, n in
                // c = f ⊙ c_prev + i ⊙ candidate; h = o ⊙ act(c)
                let i = loadLanes(gate + j, n), fg = loadLanes(gate + u + j, n)
                let g = loadLanes(gate + 2 * u + j, n), o = loadLanes(gate + 3 * u + j, n)
                let cp = loadLanes(c + j, n)
                let cn = fg * cp + i * g
                let ac = f.act(cn)
                storeLanes(cp, cPrev + j, n); storeLanes(cn, cNew + j, n); storeLanes(ac, cAct + j, n)
                if keep {
                    storeLanes(cn, c + j, n)
                    storeLanes(o * ac, h + j, n)
                }
            }
        case .gru:
            let recurrentBias = bias.map { $0.data + width }  // the second bias row (reset_after)
            let hPrev = row(previousState, b, t, u)
            let part = op.resetAfter ? row(recurrentPart, b, t, width) : product
            forEachLanes(u) { j, n in
                var pz = loadLanes(product + j, n), pr = loadLanes(product + u + j, n), ph = loadLanes(product + 2 * u + j, n)
                if op.resetAfter, let recurrentBias {
                    pz += loadLanes(recurrentBias + j, n); pr += loadLanes(recurrentBias + u + j, n)
                    ph += loadLanes(recurrentBias + 2 * u + j, n)
                }
                if op.resetAfter {
                    storeLanes(pz, part + j, n); storeLanes(pr, part + u + j, n); storeLanes(ph, part + 2 * u + j, n)
                }
                let zz = loadLanes(proj + j, n) + pz, zr = loadLanes(proj + u + j, n) + pr
                let z = f.rec(zz), r = f.rec(zr)
                // h̃ = act(x_h + r ⊙ (state·R_h + b_h)) with reset_after, else act(x_h + (r ⊙ state)·R_h).
                let zh = loadLanes(proj + 2 * u + j, n) + (op.resetAfter ? r * ph : ph)
                let hh = f.act(zh)
                if G.derivativesNeedInputs {
                    storeLanes(zz, pre + j, n); storeLanes(zr, pre + u + j, n); storeLanes(zh, pre + 2 * u + j, n)
                }
                storeLanes(z, gate + j, n); storeLanes(r, gate + u + j, n); storeLanes(hh, gate + 2 * u + j, n)
                if keep { storeLanes(z * loadLanes(hPrev + j, n) + (1 - z) * hh, h + j, n) }
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
        // recurrent product sees them (they differ only for a GRU), [time, batch, width].
        let dInput = try tape.scratch(steps * width)
        let dRecurrent = op.cell == .gru ? try tape.scratch(steps * width) : dInput
        let dEntering = try tape.scratch(batch * u)
        let split = op.cell == .gru && !op.resetAfter
        let dResetState = split ? try tape.scratch(batch * u) : nil
        // The transposed recurrent kernel, packed once for the per-step products.
        let rows = split ? 2 * u : width
        let stepKernel = PackedMatrix(recurrent.data, ldb: width, k: rows, n: u, transposed: true,
                                      into: try tape.scratch(PackedMatrix.floats(k: rows, n: u)))
        let resetKernel = split ? PackedMatrix(recurrent.data + 2 * u, ldb: width, k: u, n: u, transposed: true,
                                               into: try tape.scratch(PackedMatrix.floats(k: u, n: u))) : nil
        parallelWorkers(batch, workers: rowWorkers) { _, rows in
            for s in stride(from: self.time - 1, through: 0, by: -1) {
                self.backwardStep(s, rows, gOut, dh, dc, dInput, dRecurrent, dEntering, dResetState, stepKernel, resetKernel)
            }
        }
        try accumulateInitialStates(dh, dc)
        try accumulateWeights(dInput, dRecurrent)
    }

    /// Gradients of row `b`'s step at time `t`: reads dh (the state's gradient after the step) and
    /// dc, writes the pre-activation gradients, and leaves in dh and dc the parts that reach the
    /// previous state other than through the recurrent product.
    private func stepBackward<G: GateFunctions>(_ f: G, _ b: Int, _ t: Int, _ dh: UnsafeMutablePointer<Float>,
                                                _ dc: UnsafeMutablePointer<Float>, _ dInput: UnsafeMutablePointer<Float>,
                                                _ dRecurrent: UnsafeMutablePointer<Float>) {
        let u = units
        let pre = row(preactivation, b, t, width), gate = row(gates, b, t, width)
        let zero = Vec()
        switch op.cell {
        case .simpleRNN:
            forEachLanes(u) { j, n in
                let d = loadLanes(dh + j, n) * f.dAct(input: loadLanes(pre + j, n), output: loadLanes(gate + j, n))
                storeLanes(d, dInput + j, n)
                storeLanes(zero, dh + j, n)
            }
        case .lstm:
            let cPrev = row(previousCell, b, t, u), cNew = row(cellState, b, t, u), cAct = row(cellActivation, b, t, u)
            forEachLanes(u) { j, n in
                let i = loadLanes(gate + j, n), fg = loadLanes(gate + u + j, n)
                let g = loadLanes(gate + 2 * u + j, n), o = loadLanes(gate + 3 * u + j, n)
                let ac = loadLanes(cAct + j, n), dhv = loadLanes(dh + j, n)
                // dc += dh ⊙ o ⊙ act'(c); each gate's gradient through its activation.
                let dcT = loadLanes(dc + j, n) + dhv * o * f.dAct(input: loadLanes(cNew + j, n), output: ac)
                let di = dcT * g * f.dRec(input: loadLanes(pre + j, n), output: i)
                let df = dcT * loadLanes(cPrev + j, n) * f.dRec(input: loadLanes(pre + u + j, n), output: fg)
                let dg = dcT * i * f.dAct(input: loadLanes(pre + 2 * u + j, n), output: g)
                let dO = dhv * ac * f.dRec(input: loadLanes(pre + 3 * u + j, n), output: o)
                storeLanes(di, dInput + j, n); storeLanes(df, dInput + u + j, n)
                storeLanes(dg, dInput + 2 * u + j, n); storeLanes(dO, dInput + 3 * u + j, n)
                storeLanes(dcT * fg, dc + j, n)  // to the previous cell
                storeLanes(zero, dh + j, n)      // the previous state is reached through the product only
            }
        case .gru:
            let hPrev = row(previousState, b, t, u)
            let part = op.resetAfter ? row(recurrentPart, b, t, width) : nil
            forEachLanes(u) { j, n in
                let z = loadLanes(gate + j, n), r = loadLanes(gate + u + j, n), hh = loadLanes(gate + 2 * u + j, n)
                let dhv = loadLanes(dh + j, n)
                // h = z ⊙ h_prev + (1 − z) ⊙ h̃
                let dCandidate = dhv * (1 - z) * f.dAct(input: loadLanes(pre + 2 * u + j, n), output: hh)
                let dz = dhv * (loadLanes(hPrev + j, n) - hh) * f.dRec(input: loadLanes(pre + j, n), output: z)
                storeLanes(dz, dInput + j, n)
                storeLanes(dCandidate, dInput + 2 * u + j, n)
                storeLanes(dz, dRecurrent + j, n)
                if let part {
                    // pre_h = x_h + r ⊙ part_h: d r = d pre_h ⊙ part_h; d part_h = d pre_h ⊙ r.
                    let dr = dCandidate * loadLanes(part + 2 * u + j, n) * f.dRec(input: loadLanes(pre + u + j, n), output: r)
                    storeLanes(dr, dInput + u + j, n)
                    storeLanes(dr, dRecurrent + u + j, n)
                    storeLanes(dCandidate * r, dRecurrent + 2 * u + j, n)
                } else {
                    // d r needs d(r ⊙ state) = d pre_h · R_hᵀ: filled in by `recurrentProductBackward`.
                    storeLanes(dCandidate, dRecurrent + 2 * u + j, n)
                }
                storeLanes(dhv * z, dh + j, n)   // z ⊙ dh reaches h_prev directly
            }
        }
    }

    /// Undoes processing step `s` for `rows`: the gate gradients, then the state's gradient
    /// through the recurrent product.
    private func backwardStep(_ s: Int, _ rows: Range<Int>, _ gOut: UnsafeMutablePointer<Float>?,
                              _ dh: UnsafeMutablePointer<Float>, _ dc: UnsafeMutablePointer<Float>,
                              _ dInput: UnsafeMutablePointer<Float>, _ dRecurrent: UnsafeMutablePointer<Float>,
                              _ dEntering: UnsafeMutablePointer<Float>, _ dResetState: UnsafeMutablePointer<Float>?,
                              _ stepKernel: PackedMatrix, _ resetKernel: PackedMatrix?) {
        guard !rows.isEmpty else { return }
        let t = timeIndex(s), u = units
        for b in rows {
            let dhb = dh + b * u, masked = isMasked(b, t)
            // The step's output is its state (unless zeroed): its gradient joins the state's.
            if let gOut, op.returnSequences || s == time - 1, !(masked && op.zeroMaskedOutputs) {
                let g = op.returnSequences ? gOut + (b * time + s) * u : gOut + b * u
                vectorMap2(u, dhb, g, dhb) { $0 + $1 }
            }
            if masked {
                // The state and cell pass through unchanged.
                row(dInput, b, t, width).update(repeating: 0, count: width)
                if op.cell == .gru { row(dRecurrent, b, t, width).update(repeating: 0, count: width) }
                continue
            }
            if op.recurrentActivation == .sigmoid && op.activation == .tanh {
                stepBackward(StandardGates(), b, t, dhb, dc + b * u, row(dInput, b, t, width), row(dRecurrent, b, t, width))
            } else {
                stepBackward(AnyGates(act: op.activation, rec: op.recurrentActivation), b, t, dhb, dc + b * u,
                             row(dInput, b, t, width), row(dRecurrent, b, t, width))
            }
        }
        // d(entering state) = dRecurrent_t · Rᵀ, then through the dropout mask into dh.
        recurrentProductBackward(t, rows, dInput, dRecurrent, dEntering, dResetState, stepKernel, resetKernel)
        for b in rows where !isMasked(b, t) {
            let dhb = dh + b * u, de = dEntering + b * u
            if let recurrentMask { vectorMap3(u, dhb, de, recurrentMask.data + b * u, dhb) { $0 + $1 * $2 } }
            else { vectorMap2(u, dhb, de, dhb) { $0 + $1 } }
        }
    }

    /// dEntering = dRecurrent_t · Rᵀ for `rows` at time `t` (masked rows are zero). Without
    /// `reset_after`, a GRU first completes d r, which needs d(r ⊙ state).
    private func recurrentProductBackward(_ t: Int, _ rows: Range<Int>, _ dInput: UnsafeMutablePointer<Float>,
                                          _ dRecurrent: UnsafeMutablePointer<Float>, _ dEntering: UnsafeMutablePointer<Float>,
                                          _ dResetState: UnsafeMutablePointer<Float>?, _ stepKernel: PackedMatrix,
                                          _ resetKernel: PackedMatrix?) {
        let u = units, first = rows.lowerBound
        if let dResetState, let resetKernel {
            // d(r ⊙ state) = d pre_h · R_hᵀ
            resetKernel.multiply(row(dRecurrent, first, t, width) + 2 * u, lda: width, rows: rows.count,
                                 into: dResetState + first * u, ldc: u)
            let rec = op.recurrentActivation
            for b in rows where !isMasked(b, t) {
                let d = row(dRecurrent, b, t, width), drs = dResetState + b * u
                let entering = row(enteringState, b, t, u), gate = row(gates, b, t, width), pre = row(preactivation, b, t, width)
                // d r = d(r ⊙ state) ⊙ state, through σ'; the input projection sees the same.
                vectorMap2(u, drs, entering, d + u) { $0 * $1 }
                vectorMap3(u, d + u, pre + u, gate + u, d + u) { g, z, y in g * rec.derivative(input: z, output: y) }
                (row(dInput, b, t, width) + u).update(from: d + u, count: u)
                vectorMap2(u, drs, gate + u, drs) { $0 * $1 }  // d state through r ⊙ state
            }
            // dEntering = [dz, dr]·R_zrᵀ + d(r ⊙ state) ⊙ r
            stepKernel.multiply(row(dRecurrent, first, t, width), lda: width, rows: rows.count, into: dEntering + first * u, ldc: u)
            vectorMap2(rows.count * u, dEntering + first * u, dResetState + first * u, dEntering + first * u) { $0 + $1 }
            return
        }
        stepKernel.multiply(row(dRecurrent, first, t, width), lda: width, rows: rows.count, into: dEntering + first * u, ldc: u)
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
                Gemm.multiply(timeMajorInputs, transposeA: true, dInput, into: g, m: features, n: width, k: steps, accumulate: accumulate)
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
            // dx = dInput · kernelᵀ with kernelᵀ made contiguous first: BLAS runs the product with a
            // transposed operand of so few columns several times slower.
            let kernelT = try context.tape.scratch(features * width)
            permute(kernel.data, shape: [features, width], perm: [1, 0], into: kernelT)
            let timeMajor = try context.tape.scratch(steps * features), batchMajor = try context.tape.scratch(steps * features)
            Gemm.multiply(dInput, kernelT, into: timeMajor, m: steps, n: features, k: width)
            permute(timeMajor, shape: [time, batch, features], perm: [1, 0, 2], into: batchMajor)
            try x.accumulateGradient { g, accumulate in
                if accumulate { vectorMap2(steps * features, g, batchMajor, g) { $0 + $1 } } else { g.update(from: batchMajor, count: steps * features) }
            }
        }
    }
}

let recurrentOps: [String: OpRegistry.Factory] = [
    "simple_rnn": { try RecurrentOp(.simpleRNN, $0) },
    "lstm": { try RecurrentOp(.lstm, $0) },
    "gru": { try RecurrentOp(.gru, $0) },
]

/// The gate functions of a recurrent cell and their derivatives: the default pair (tanh, with
/// sigmoid gates) inlined, any other pair through `Activation`.
protocol GateFunctions {
    /// Whether the derivatives read the pre-activations (else only the activations are kept).
    static var derivativesNeedInputs: Bool { get }
    func act(_ x: Vec) -> Vec
    func rec(_ x: Vec) -> Vec
    func dAct(input x: Vec, output y: Vec) -> Vec
    func dRec(input x: Vec, output y: Vec) -> Vec
}

struct StandardGates: GateFunctions {
    static var derivativesNeedInputs: Bool { false }
    // Transparent: a call would pass each vector in four 128-bit registers (see VectorMath.exp).
    @_transparent func act(_ x: Vec) -> Vec { VectorMath.tanh(x) }
    @_transparent func rec(_ x: Vec) -> Vec { VectorMath.sigmoid(x) }
    @_transparent func dAct(input x: Vec, output y: Vec) -> Vec { 1 - y * y }
    @_transparent func dRec(input x: Vec, output y: Vec) -> Vec { y * (1 - y) }
}

struct AnyGates: GateFunctions {
    static var derivativesNeedInputs: Bool { true }
    let act: Activation, rec: Activation
    func act(_ x: Vec) -> Vec { act.apply(x) }
    func rec(_ x: Vec) -> Vec { rec.apply(x) }
    func dAct(input x: Vec, output y: Vec) -> Vec { act.derivative(input: x, output: y) }
    func dRec(input x: Vec, output y: Vec) -> Vec { rec.derivative(input: x, output: y) }
}
