/// A caller-owned array read in place (e.g. a NumPy array): element type, shape with the sample
/// axis first, and its C-contiguous memory.
public struct ArrayView {
    public let dtype: DType
    public let shape: [Int]
    public let data: UnsafeRawPointer

    public init(dtype: DType, shape: [Int], data: UnsafeRawPointer) {
        self.dtype = dtype
        self.shape = shape
        self.data = data
    }

    /// Number of samples (the first axis).
    public var samples: Int { shape.first ?? 0 }
    public var sampleShape: [Int] { Array(shape.dropFirst()) }
    public var sampleSize: Int { sampleShape.reduce(1, *) }

    /// Value `i` (in elements from the start) as a Double, whatever the element type.
    @inline(__always)
    func value(at i: Int) -> Double {
        switch dtype {
        case .float32, .bool: return Double(data.assumingMemoryBound(to: Float.self)[i])
        case .int32: return Double(data.assumingMemoryBound(to: Int32.self)[i])
        case .int64: return Double(data.assumingMemoryBound(to: Int64.self)[i])
        }
    }

    var floats: UnsafePointer<Float> { data.assumingMemoryBound(to: Float.self) }
}

/// Named arrays read in place: a session's inputs "x0", …, targets "y0", … and sample weights
/// "sw0", …; an eager op's operands "0", "1", ….
public final class Dataset {
    public private(set) var arrays: [String: ArrayView] = [:]

    public init() {}

    /// Adds (or replaces) array `name`.
    public func add(_ name: String, _ array: ArrayView) throws {
        guard !name.isEmpty else { throw SwiftNetError.value("Expected a non-empty array name.") }
        arrays[name] = array
    }

    public subscript(name: String) -> ArrayView? { arrays[name] }

    /// Checks that every array has a sample axis and the same number of samples; returns it.
    /// - Throws: the Keras error for ambiguous cardinality.
    public func sampleCount(_ what: String) throws -> Int {
        let sorted = arrays.sorted { $0.key < $1.key }
        for (name, array) in sorted where array.shape.isEmpty {
            throw SwiftNetError.value("[\(what)] Array '\(name)' needs a sample axis. Received a scalar.")
        }
        guard let first = sorted.first else { return 0 }
        if let other = sorted.first(where: { $0.value.samples != first.value.samples }) {
            throw SwiftNetError.value(
                "[\(what)] Data cardinality is ambiguous. Make sure all arrays contain the same number of samples. "
                + "'\(first.key)' sizes: \(first.value.samples), '\(other.key)' sizes: \(other.value.samples)")
        }
        return first.value.samples
    }
}

extension ArrayView {
    /// The rows of this array for one step: a view of rows `first..<first+n` in order, a gathered
    /// copy of rows `picked` when shuffled; float32 read `as` bool becomes bool.
    func batch(on tape: Tape, as dtype: DType, _ picked: ArraySlice<Int>?, first: Int, _ n: Int) throws -> Tensor {
        let size = sampleSize, bytes = self.dtype.byteSize
        let shape = [n] + sampleShape
        let toBool = self.dtype == .float32 && dtype == .bool
        guard let picked else {
            let view = tape.input(viewing: data + first * size * bytes, shape: shape, dtype: self.dtype)
            return toBool ? try cast(view, to: .bool, OpContext(tape: tape, training: false, seed: 0)) : view
        }
        let tensor = try tape.input(shape: shape, dtype: toBool ? .bool : self.dtype)
        let rowBytes = size * bytes
        if rowBytes <= 64 && rowBytes % 4 == 0 {
            // Short rows (labels, a few features): a word loop beats a memcpy call per row.
            let target = tensor.raw.assumingMemoryBound(to: UInt32.self), words = rowBytes / 4
            for (i, s) in picked.enumerated() {
                for w in 0..<words {
                    target[i * words + w] = data.loadUnaligned(fromByteOffset: s * rowBytes + w * 4, as: UInt32.self)
                }
            }
            return tensor
        }
        for (i, s) in picked.enumerated() {
            copyElements(data + s * rowBytes, tensor.raw + i * rowBytes, count: size, bytes: bytes)
        }
        return tensor
    }
}
