/// The element types a dataset array may have.
public enum DType: Int32, CaseIterable {
    case float32 = 0, int32 = 1, int64 = 2

    public var name: String {
        switch self {
        case .float32: return "float32"
        case .int32: return "int32"
        case .int64: return "int64"
        }
    }

    public var byteSize: Int { self == .int64 ? 8 : 4 }
}

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
        case .float32: return Double(data.assumingMemoryBound(to: Float.self)[i])
        case .int32: return Double(data.assumingMemoryBound(to: Int32.self)[i])
        case .int64: return Double(data.assumingMemoryBound(to: Int64.self)[i])
        }
    }

    var floats: UnsafePointer<Float> { data.assumingMemoryBound(to: Float.self) }
}

/// Named arrays a session reads, all with the same number of samples: "x" the inputs, "y" the
/// targets.
public final class Dataset {
    public private(set) var arrays: [String: ArrayView] = [:]

    public init() {}

    /// Adds (or replaces) array `name`.
    /// - Throws: `SwiftNetError` when its sample count differs from the arrays already added.
    public func add(_ name: String, _ array: ArrayView) throws {
        guard !name.isEmpty else { throw SwiftNetError.value("Expected a non-empty array name.") }
        guard !array.shape.isEmpty else {
            throw SwiftNetError.value("Array '\(name)' needs a sample axis. Received a scalar.")
        }
        if let other = arrays.first(where: { $0.key != name }), other.value.samples != array.samples {
            throw SwiftNetError.value(
                "Data cardinality is ambiguous. Make sure all arrays contain the same number of samples. "
                + "'\(other.key)' sizes: \(other.value.samples), '\(name)' sizes: \(array.samples)")
        }
        arrays[name] = array
    }

    public subscript(name: String) -> ArrayView? { arrays[name] }

    /// Number of samples (0 when empty).
    public var samples: Int { arrays.values.first?.samples ?? 0 }
}
