/// A tensor's shape and element type as graphs know them before data arrives: `nil` dimensions
/// (the batch, a sequence length) are fixed by each batch.
public struct TensorSpec: Equatable, Sendable {
    public var shape: [Int?]
    public var dtype: DType

    public init(shape: [Int?], dtype: DType = .float32) {
        self.shape = shape
        self.dtype = dtype
    }

    /// The spec of a concrete tensor.
    public init(_ tensor: Tensor) {
        self.init(shape: tensor.shape, dtype: tensor.dtype)
    }

    public var rank: Int { shape.count }
    /// The element count when every dimension is known.
    public var count: Int? { shape.reduce(Int?(1)) { total, d in total.flatMap { t in d.map { t * $0 } } } }
    public var isFullyKnown: Bool { !shape.contains(nil) }

    /// `{"shape": [null, 784], "dtype": "float32"}`.
    public var json: JSON {
        .object(["shape": .array(shape.map { $0.map { .number(Double($0)) } ?? .null }), "dtype": .string(dtype.name)])
    }

    /// Reads `{"shape": [...], "dtype": ...}` (dtype defaults to float32).
    /// - Throws: `SwiftNetError` for malformed specs or negative dimensions.
    public init(json: JSON, owner: String) throws {
        let config = try ConfigReader(owner: owner, json)
        guard case .some(.array(let dims)) = config.json("shape") else {
            throw SwiftNetError.value("[\(owner)] Expected a spec with a `shape` list. Received: \(json.serialized)")
        }
        shape = try dims.map { dim -> Int? in
            switch dim {
            case .null: return nil
            case .number(let d) where d == d.rounded() && d >= 0 && d <= Double(maxTensorElements): return Int(d)
            default: throw SwiftNetError.value("[\(owner)] Expected dimensions that are None or non-negative integers. Received: \(json.serialized)")
            }
        }
        dtype = try DType.named(config.string("dtype", default: "float32"), owner: owner)
    }
}

/// Keras's printed form of a full shape: "(None, 28, 28, 1)".
public func describe(_ shape: [Int?]) -> String {
    let dims = shape.map { $0.map(String.init) ?? "None" }
    return dims.count == 1 ? "(\(dims[0]),)" : "(" + dims.joined(separator: ", ") + ")"
}
