/// Runs one op on caller arrays (`keras.ops` called on NumPy arrays): operands are arrays "0",
/// "1", … of `inputs`, results are written into arrays "0", … of `outputs`, which must have the
/// op's output shapes (ask `infer` first) and dtypes.
/// - Throws: `SwiftNetError` when the operands do not fit the op or the outputs do not fit its results.
public func runEagerly(_ op: Op, inputs: Dataset, outputs: Dataset) throws {
    let tape = Tape()
    tape.reset(recording: false, training: false)
    defer { tape.finishStep() }
    var operands: [Tensor] = []
    while let array = inputs["\(operands.count)"] {
        operands.append(tape.input(viewing: array.data, shape: array.shape, dtype: array.dtype))
    }
    let expected = try op.infer(operands.map(TensorSpec.init))
    let results = try op.run(operands, OpContext(tape: tape, training: false, seed: 0))
    for (i, (result, spec)) in zip(results, expected).enumerated() {
        guard let target = outputs["\(i)"] else { throw SwiftNetError.value("Missing output array \(i).") }
        guard target.shape == result.shape, target.dtype == result.dtype || (spec.dtype == .bool && target.dtype == .bool) else {
            throw SwiftNetError.value("Output \(i) is \(result.dtype.name) \(describe(result.shape.map { $0 })); the buffer is \(target.dtype.name) \(describe(target.shape.map { $0 })).")
        }
        UnsafeMutableRawPointer(mutating: target.data).copyMemory(from: result.raw, byteCount: result.count * result.dtype.byteSize)
    }
}
