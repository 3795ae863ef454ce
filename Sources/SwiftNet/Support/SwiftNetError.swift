/// An error reported to the caller; the C ABI maps `kind` to a status and Python to an exception class.
public struct SwiftNetError: Error, CustomStringConvertible {
    public enum Kind: Int32 {
        /// A value has the right type but a wrong value or shape (Python `ValueError`).
        case invalidValue = 1
        /// An argument has the wrong type (Python `TypeError`).
        case invalidType = 2
        /// A call made in the wrong order, e.g. `fit` before `compile` (Python `RuntimeError`).
        case invalidState = 3
        /// A failure inside the engine that no input should cause.
        case internalError = 4
        /// The system refused memory (Python `MemoryError`).
        case outOfMemory = 5
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public static func value(_ message: String) -> SwiftNetError { SwiftNetError(.invalidValue, message) }
    public static func type(_ message: String) -> SwiftNetError { SwiftNetError(.invalidType, message) }
    public static func state(_ message: String) -> SwiftNetError { SwiftNetError(.invalidState, message) }

    /// The error for a refused allocation of `floats` values.
    public static func outOfMemory(floats: Int) -> SwiftNetError {
        let gib = Double(floats) * 4 / Double(1 << 30)
        let size = gib >= 0.1 ? "\((gib * 10).rounded() / 10) GiB" : "\(floats * 4 / 1024) KiB"
        return SwiftNetError(.outOfMemory, "Out of memory: could not allocate \(size) (\(floats) float32 values).")
    }

    public var description: String { message }
}

/// Formats a per-sample shape the way Keras prints shapes, with `None` for the batch.
func describeShape(_ shape: [Int], batch: Bool = true) -> String {
    let dims = (batch ? ["None"] : []) + shape.map { $0 < 0 ? "None" : String($0) }
    return dims.count == 1 ? "(\(dims[0]),)" : "(" + dims.joined(separator: ", ") + ")"
}

/// The largest number of floats one tensor may hold (4 GiB): larger requests are errors, not traps.
public let maxTensorElements = 1 << 30

/// The element count of `shape`, or an error if it overflows or exceeds `maxTensorElements`.
public func checkedCount(_ shape: [Int], what: String) throws -> Int {
    var total = 1
    for d in shape {
        let (product, overflow) = total.multipliedReportingOverflow(by: max(d, 0))
        guard !overflow, product <= maxTensorElements else {
            throw SwiftNetError.value("[\(what)] Shape \(shape) holds more than \(maxTensorElements) values.")
        }
        total = product
    }
    return total
}
