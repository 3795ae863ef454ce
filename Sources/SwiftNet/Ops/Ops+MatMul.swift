/// Matrix product of a [rows, k] tensor (any leading axes) with a [k, n] weight: the Dense core.
/// Gradients: dA = dC·Bᵀ, dB = Aᵀ·dC, skipped for inputs that need none (e.g. raw data).
public func matmul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    let k = a.lastDim, rows = a.rows, n = b.shape[1]
    let out = try Tensor.result(shape: Array(a.shape.dropLast()) + [n], of: a, b)
    // Raw data (no gradient) is often mostly zeros, e.g. images: then only non-zeros are multiplied.
    let useSparse = !a.requiresGrad && SparseGemm.worthIt(n: n) && SparseGemm.isSparse(a.data, rows: rows, cols: k)
    if useSparse {
        SparseGemm.multiply(a.data, b.data, into: out.data, m: rows, n: n, k: k)
    } else {
        Gemm.multiply(a.data, b.data, into: out.data, m: rows, n: n, k: k)
    }
    out.onBackward { [a, b, out] in
        let g = out.grad!
        if a.requiresGrad {
            try a.accumulateGradient { ga, accumulate in
                Gemm.multiply(g, b.data, transposeB: true, into: ga, m: rows, n: k, k: n, accumulate: accumulate)
            }
        }
        if b.requiresGrad {
            try b.accumulateGradient { gb, accumulate in
                if useSparse {
                    SparseGemm.multiplyTransposed(a.data, g, into: gb, m: rows, n: n, k: k, accumulate: accumulate,
                                                  scratch: try out.tape!.scratch(a.count))
                } else {
                    Gemm.multiply(a.data, transposeA: true, g, into: gb, m: k, n: n, k: rows, accumulate: accumulate)
                }
            }
        }
    }
    return out
}

/// The dtype a product of `a` and `b` computes in: integers stay integers (exactly), anything
/// else is float32.
func productType(_ a: DType, _ b: DType) -> DType {
    a.isInteger && b.isInteger ? DType.promoted(a, b) : .float32
}

/// NumPy's `matmul`: 1-D operands are promoted to matrices and their axis dropped again; leading
/// (batch) axes broadcast. Two integer operands give an exact integer product.
func matmulGeneral(_ x: Tensor, _ y: Tensor, _ context: OpContext) throws -> Tensor {
    let type = productType(x.dtype, y.dtype)
    let a0 = try cast(x, to: type, context), b0 = try cast(y, to: type, context)
    let spec = try MatMulOp().infer([TensorSpec(a0), TensorSpec(b0)])[0]
    let a = a0.shape.count == 1 ? try reshape(a0, [1, a0.shape[0]]) : a0
    let b = b0.shape.count == 1 ? try reshape(b0, [b0.shape[0], 1]) : b0
    let result: Tensor
    if type.isInteger {
        result = try integerMatmul(a, b, context)
    } else if b.shape.count == 2 {
        result = try matmul(a, b)  // the Dense product: leading axes of a are rows
    } else {
        result = try batchedMatmul(a, b, context)
    }
    return try reshape(result, spec.shape.map { $0! })
}

/// The batch shape of a [..., m, k] · b [..., k, n] and the (a, b) element offsets of the matrices
/// every output matrix multiplies, in order.
private func batchPairs(_ a: Tensor, _ b: Tensor) throws -> (batch: [Int], pairs: [(Int, Int)]) {
    let m = a.shape[a.shape.count - 2], k = a.shape.last!, n = b.shape.last!
    let aBatch = Array(a.shape.dropLast(2)), bBatch = Array(b.shape.dropLast(2))
    guard let batch = broadcastShape(aBatch, bBatch) else {
        throw SwiftNetError.value("[matmul] Batch axes \(aBatch) and \(bBatch) do not broadcast.")
    }
    if batch.isEmpty { return (batch, [(0, 0)]) }
    let aStrides = broadcastStrides(aBatch, to: batch), bStrides = broadcastStrides(bBatch, to: batch)
    var pairs: [(Int, Int)] = []
    forEachRow(batch, aStrides, bStrides) { _, ao, bo in
        for j in 0..<batch.last! { pairs.append(((ao + j * aStrides.last!) * m * k, (bo + j * bStrides.last!) * k * n)) }
    }
    return (batch, pairs)
}

/// The exact product of two integer tensors (a [..., m, k], b [..., k, n], same dtype), wrapping on
/// overflow as NumPy does; integers carry no gradient.
private func integerMatmul(_ a: Tensor, _ b: Tensor, _ context: OpContext) throws -> Tensor {
    let m = a.shape[a.shape.count - 2], k = a.shape.last!, n = b.shape.last!
    let (batch, pairs) = try batchPairs(a, b)
    let out = try Tensor.output(batch + [m, n], a.dtype, of: [], context)
    func multiply<T: FixedWidthInteger>(_ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ z: UnsafeMutablePointer<T>) {
        for (p, (ao, bo)) in pairs.enumerated() {
            for i in 0..<m {
                let row = z + p * m * n + i * n
                row.update(repeating: 0, count: n)
                for e in 0..<k {
                    let v = x[ao + i * k + e], brow = y + bo + e * n
                    for j in 0..<n { row[j] = row[j] &+ v &* brow[j] }
                }
            }
        }
    }
    if a.dtype == .int32 { multiply(a.int32s, b.int32s, out.int32s) } else { multiply(a.int64s, b.int64s, out.int64s) }
    return out
}

/// a [..., m, k] · b [..., k, n] with broadcast batch axes, one BLAS product per batch.
private func batchedMatmul(_ a: Tensor, _ b: Tensor, _ context: OpContext) throws -> Tensor {
    let m = a.shape[a.shape.count - 2], k = a.shape.last!, n = b.shape.last!
    let (batch, pairs) = try batchPairs(a, b)
    let out = try Tensor.output(batch + [m, n], .float32, of: [a, b], context)
    for (i, (ao, bo)) in pairs.enumerated() {
        Gemm.multiply(a.data + ao, b.data + bo, into: out.data + i * m * n, m: m, n: n, k: k)
    }
    out.onBackward { [a, b, out] in
        let g = out.grad!
        let ga = a.requiresGrad ? try a.gradientForAccumulation() : nil
        let gb = b.requiresGrad ? try b.gradientForAccumulation() : nil
        for (i, (ao, bo)) in pairs.enumerated() {
            let go = g + i * m * n
            if let ga { Gemm.multiply(go, b.data + bo, transposeB: true, into: ga + ao, m: m, n: k, k: n, accumulate: true) }
            if let gb { Gemm.multiply(a.data + ao, transposeA: true, go, into: gb + bo, m: k, n: n, k: m, accumulate: true) }
        }
    }
    return out
}

struct MatMulOp: Op {
    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        try expectInputs(inputs, 2, "matmul")
        var a = inputs[0].shape, b = inputs[1].shape
        guard !a.isEmpty, !b.isEmpty else { throw SwiftNetError.value("[matmul] Scalars cannot be multiplied as matrices.") }
        let dropRow = a.count == 1, dropColumn = b.count == 1
        if dropRow { a = [1] + a }
        if dropColumn { b = b + [1] }
        if let ka = a.last!, let kb = b[b.count - 2], ka != kb {
            throw SwiftNetError.value("[matmul] Inner dimensions differ: shapes \(describe(inputs[0].shape)) and \(describe(inputs[1].shape)).")
        }
        guard let batch = broadcastShape(Array(a.dropLast(2)), Array(b.dropLast(2))) else {
            throw SwiftNetError.value("[matmul] Batch axes of \(describe(inputs[0].shape)) and \(describe(inputs[1].shape)) do not broadcast.")
        }
        var shape = batch + [a[a.count - 2], b.last!]
        if dropColumn { shape.removeLast() }
        if dropRow { shape.remove(at: shape.count - (dropColumn ? 1 : 2)) }
        return [TensorSpec(shape: shape, dtype: productType(inputs[0].dtype, inputs[1].dtype))]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        [try matmulGeneral(inputs[0], inputs[1], context)]
    }
}

// MARK: - einsum

/// `einsum(subscripts, *operands)` as transposes, sums and batched products of its primitives:
/// any number of operands, ellipses, implicit outputs; no repeated index within one operand.
struct EinsumOp: Op {
    let inputsLabels: [[Character]]
    let outputLabels: [Character]?
    let ellipsis: Bool

    init(_ attributes: ConfigReader) throws {
        let text = try attributes.string("subscripts").filter { !$0.isWhitespace }
        // "->" becomes '>' and "..." one '.', so that every label is one character.
        var compact: [Character] = []
        var chars = Array(text)[...]
        while let c = chars.first {
            if chars.starts(with: ["-", ">"]) { compact.append(">"); chars = chars.dropFirst(2) }
            else if chars.starts(with: [".", ".", "."]) { compact.append("."); chars = chars.dropFirst(3) }
            else { compact.append(c); chars = chars.dropFirst() }
        }
        let sides = compact.split(separator: ">", omittingEmptySubsequences: false).map(Array.init)
        guard sides.count <= 2, !sides[0].isEmpty else { throw attributes.fail("Malformed subscripts '\(text)'.") }
        ellipsis = compact.contains(".")
        func labels(_ s: [Character]) throws -> [Character] {
            guard s.allSatisfy({ $0 == "." || ($0.isASCII && $0.isLetter) }), s.filter({ $0 == "." }).count <= 1 else {
                throw attributes.fail("Malformed subscripts '\(text)'.")
            }
            return s
        }
        inputsLabels = try sides[0].split(separator: ",", omittingEmptySubsequences: false).map { try labels(Array($0)) }
        outputLabels = sides.count == 2 ? try labels(sides[1]) : nil
    }

    /// How an index is named in messages (the ellipsis's axes have digits for names).
    private func describeIndex(_ c: Character) -> String {
        c.isNumber ? "Broadcast axis (under '...')" : "Index '\(c)'"
    }

    /// Labels with the ellipsis expanded into `rank`-specific names (digits never clash with letters).
    private func expanded(_ labels: [Character], rank: Int) throws -> [Character] {
        guard let dot = labels.firstIndex(of: ".") else {
            guard labels.count == rank else { throw SwiftNetError.value("[einsum] Operand of rank \(rank) has \(labels.count) indices.") }
            return labels
        }
        let extra = rank - (labels.count - 1)
        guard extra >= 0, extra <= 9 else { throw SwiftNetError.value("[einsum] Operand of rank \(rank) does not fit its indices.") }
        let names = (0..<extra).map { Character(String(9 - extra + $0)) }
        return Array(labels[..<dot]) + names + Array(labels[(dot + 1)...])
    }

    private func plan(_ ranks: [Int]) throws -> ([[Character]], [Character]) {
        guard ranks.count == inputsLabels.count else {
            throw SwiftNetError.value("[einsum] The subscripts name \(inputsLabels.count) operands. Received: \(ranks.count).")
        }
        let labels = try zip(inputsLabels, ranks).map { try expanded($0, rank: $1) }
        let all = labels.flatMap { $0 }
        let output: [Character]
        if let outputLabels {
            let maxEllipsis = labels.map { $0.filter(\.isNumber).count }.max() ?? 0
            let names = (0..<maxEllipsis).map { Character(String(9 - maxEllipsis + $0)) }
            output = outputLabels.flatMap { $0 == "." ? names : [$0] }
        } else {
            let counts = Dictionary(all.map { ($0, 1) }, uniquingKeysWith: +)
            output = all.filter(\.isNumber).uniqued() + counts.keys.filter { counts[$0] == 1 && $0.isLetter }.sorted()
        }
        for l in output where !all.contains(l) {
            throw SwiftNetError.value("[einsum] Output index '\(l)' appears in no operand.")
        }
        return (labels, output)
    }

    func infer(_ inputs: [TensorSpec]) throws -> [TensorSpec] {
        let (labels, output) = try plan(inputs.map(\.rank))
        var sizes: [Character: Int?] = [:]
        for (spec, l) in zip(inputs, labels) {
            for (d, c) in zip(spec.shape, l) {
                if let known = sizes[c] ?? nil, let d, known != d, known != 1, d != 1 {
                    throw SwiftNetError.value("[einsum] \(describeIndex(c)) has sizes \(known) and \(d).")
                }
                if sizes[c] == nil || (sizes[c]! == 1 && d != nil) { sizes[c] = d }
            }
        }
        let type = inputs.allSatisfy { $0.dtype.isInteger } ? inputs.map(\.dtype).reduce(inputs[0].dtype, DType.promoted) : .float32
        return [TensorSpec(shape: output.map { sizes[$0] ?? nil }, dtype: type)]
    }

    func run(_ inputs: [Tensor], _ context: OpContext) throws -> [Tensor] {
        let (labels, output) = try plan(inputs.map { $0.shape.count })
        let type = try infer(inputs.map(TensorSpec.init))[0].dtype
        var operands = try zip(inputs, labels).map { try diagonal(try cast($0, to: type, context), $1, context) }
        while operands.count > 1 {
            let (a, la) = operands.removeFirst(), (b, lb) = operands.removeFirst()
            let later = Set(operands.flatMap { $0.1 } + output)
            operands.insert(try contract(a, la, b, lb, keep: later, context), at: 0)
        }
        let (x, lx) = operands[0]
        let summed = lx.enumerated().filter { !output.contains($0.element) }.map(\.offset)
        var result = summed.isEmpty ? x : try reduce(.sum, x, axes: summed, keepdims: false, context)
        let remaining = lx.filter { output.contains($0) }
        result = try transpose(result, output.map { remaining.firstIndex(of: $0)! }, context)
        return [result]
    }

    /// `t` with every index repeated in `l` reduced to its diagonal (`ii->i`), with the labels left.
    private func diagonal(_ t: Tensor, _ l: [Character], _ context: OpContext) throws -> (Tensor, [Character]) {
        var t = t, l = l
        while let c = l.first(where: { c in l.filter { $0 == c }.count > 1 }) {
            let first = l.firstIndex(of: c)!, second = l[(first + 1)...].firstIndex(of: c)!
            let n = t.shape[first]
            guard t.shape[second] == n else {
                throw SwiftNetError.value("[einsum] \(describeIndex(c)) has sizes \(n) and \(t.shape[second]).")
            }
            let others = l.indices.filter { $0 != first && $0 != second }
            let moved = try transpose(t, others + [first, second], context)
            let flat = try reshape(moved, others.map { t.shape[$0] } + [n * n])
            let positions = try Tensor.output([n], .int32, of: [], context)
            for i in 0..<n { positions.int32s[i] = Int32(i * (n + 1)) }
            t = try take(flat, positions, axis: others.count, context)
            l = others.map { l[$0] } + [c]
        }
        return (t, l)
    }

    /// a·b over their shared indices not in `keep`: the result's indices are batch (shared, kept),
    /// a's own, then b's own. A shared index of size 1 in one operand broadcasts.
    private func contract(_ a: Tensor, _ la: [Character], _ b: Tensor, _ lb: [Character], keep: Set<Character>,
                          _ context: OpContext) throws -> (Tensor, [Character]) {
        // Indices only one operand has and nothing later needs are summed first.
        func prune(_ t: Tensor, _ l: [Character], _ other: [Character]) throws -> (Tensor, [Character]) {
            let drop = l.enumerated().filter { !other.contains($0.element) && !keep.contains($0.element) }.map(\.offset)
            if drop.isEmpty { return (t, l) }
            return (try reduce(.sum, t, axes: drop, keepdims: false, context), l.enumerated().filter { !drop.contains($0.offset) }.map(\.element))
        }
        var (a1, l1) = try prune(a, la, lb), (b1, l2) = try prune(b, lb, la)
        let batch = l1.filter { l2.contains($0) && keep.contains($0) }
        let summed = l1.filter { l2.contains($0) && !keep.contains($0) }
        let aOwn = l1.filter { !l2.contains($0) }, bOwn = l2.filter { !l1.contains($0) }
        func size(_ t: Tensor, _ l: [Character], _ c: Character) -> Int { t.shape[l.firstIndex(of: c)!] }
        for c in batch + summed where size(a1, l1, c) != size(b1, l2, c) {
            let sa = size(a1, l1, c), sb = size(b1, l2, c)
            guard sa == 1 || sb == 1 else {
                throw SwiftNetError.value("[einsum] \(describeIndex(c)) has sizes \(sa) and \(sb).")
            }
            if sa == 1 {
                a1 = try broadcast(a1, to: l1.map { $0 == c ? sb : size(a1, l1, $0) }, context)
            } else {
                b1 = try broadcast(b1, to: l2.map { $0 == c ? sa : size(b1, l2, $0) }, context)
            }
        }
        let at = try transpose(a1, (batch + aOwn + summed).map { l1.firstIndex(of: $0)! }, context)
        let bt = try transpose(b1, (batch + summed + bOwn).map { l2.firstIndex(of: $0)! }, context)
        let B = batch.map { size(a1, l1, $0) }.reduce(1, *)
        let M = aOwn.map { size(a1, l1, $0) }.reduce(1, *)
        let K = summed.map { size(a1, l1, $0) }.reduce(1, *)
        let N = bOwn.map { size(b1, l2, $0) }.reduce(1, *)
        let product = try matmulGeneral(try reshape(at, [B, M, K]), try reshape(bt, [B, K, N]), context)
        let shape = batch.map { size(a1, l1, $0) } + aOwn.map { size(a1, l1, $0) } + bOwn.map { size(b1, l2, $0) }
        return (try reshape(product, shape), batch + aOwn + bOwn)
    }
}

private extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}

let matmulOps: [String: OpRegistry.Factory] = [
    "matmul": { _ in MatMulOp() },
    "einsum": { try EinsumOp($0) },
]
