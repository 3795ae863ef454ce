/// The element types of tensors and data arrays, with Keras's names.
///
/// `bool` is stored as float32 0/1, so that masks and conditions run through the float kernels;
/// integers are stored as themselves and never carry gradients.
public enum DType: Int32, CaseIterable, Sendable {
    case float32 = 0, int32 = 1, int64 = 2, bool = 3

    /// Keras's dtype name ("float32", "int32", "int64", "bool").
    public var name: String {
        switch self {
        case .float32: return "float32"
        case .int32: return "int32"
        case .int64: return "int64"
        case .bool: return "bool"
        }
    }

    /// Resolves a Keras dtype name; float16/bfloat16/float64 compute as float32, uint8/int8/int16
    /// as int32 (as Keras's JAX backend does without x64).
    /// - Throws: `SwiftNetError` for names that are not dtypes.
    public static func named(_ name: String, owner: String) throws -> DType {
        switch name {
        case "float32", "float", "float16", "bfloat16", "float64": return .float32
        case "int32", "int", "int8", "int16", "uint8", "uint16": return .int32
        case "int64", "uint32", "uint64": return .int64
        case "bool": return .bool
        default:
            throw SwiftNetError.type("[\(owner)] Unknown dtype: '\(name)'. Expected one of: float32, int32, int64, bool.")
        }
    }

    /// Bytes per element in memory.
    public var byteSize: Int { self == .int64 ? 8 : 4 }
    public var isFloat: Bool { self == .float32 }
    public var isInteger: Bool { self == .int32 || self == .int64 }

    /// The type two operands are computed in, as NumPy/JAX promote: float wins, then the wider
    /// integer, and bool with anything is that thing.
    public static func promoted(_ a: DType, _ b: DType) -> DType {
        if a == b { return a }
        if a == .float32 || b == .float32 { return .float32 }
        if a == .bool { return b }
        if b == .bool { return a }
        return .int64
    }
}
