#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SwiftNet

/// The message of the last failed call, per thread (a pthread key: no global mutable state).
final class ErrorMessage {
    var text: ContiguousArray<CChar> = [0]
}

private let errorKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { slot in
        if let slot { Unmanaged<ErrorMessage>.fromOpaque(slot).release() }
    }
    return key
}()

func currentErrorMessage() -> ErrorMessage {
    if let slot = pthread_getspecific(errorKey) {
        return Unmanaged<ErrorMessage>.fromOpaque(slot).takeUnretainedValue()
    }
    let message = ErrorMessage()
    pthread_setspecific(errorKey, Unmanaged.passRetained(message).toOpaque())
    return message
}

func setLastError(_ message: String) {
    currentErrorMessage().text = ContiguousArray(message.utf8CString)
}

/// Runs an exported function's body: errors become a status and the thread's last error, which
/// starts with the function's name in brackets ("[sn_session_create] …"), so nothing is thrown
/// across the C boundary.
@inline(__always)
func guarded(function: String = #function, _ body: () throws -> Void) -> Int32 {
    do {
        try body()
        return 0
    } catch let error as SwiftNetError {
        setLastError(named(function, error.message))
        return error.kind.rawValue
    } catch {
        setLastError(named(function, "\(error)"))
        return SwiftNetError.Kind.internalError.rawValue
    }
}

private func named(_ function: String, _ message: String) -> String {
    "[\(function.prefix(while: { $0 != "(" }))] " + message
}

/// Rejects NULL pointers with a message naming the argument.
@inline(__always)
func required<T>(_ pointer: T?, _ name: String) throws -> T {
    guard let pointer else { throw SwiftNetError.value("Argument `\(name)` must not be NULL.") }
    return pointer
}

/// Reads a shape array, rejecting negative sizes and products that overflow.
func readShape(_ pointer: UnsafePointer<Int64>?, rank: Int32, name: String) throws -> [Int] {
    guard rank >= 0, rank <= 16 else { throw SwiftNetError.value("Expected `\(name)` to have rank 0 to 16. Received: rank \(rank).") }
    if rank == 0 { return [] }
    let dims = try (0..<Int(rank)).map { Int(try required(pointer, name)[$0]) }
    guard dims.allSatisfy({ $0 >= 0 }) else { throw SwiftNetError.value("Expected non-negative dimensions in `\(name)`. Received: \(dims).") }
    _ = try checkedCount(dims, what: name)
    return dims
}

/// Writes `text` as NUL-terminated UTF-8 if it fits in `capacity` bytes; `length` gets its size.
func writeText(_ text: String, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int64,
               _ length: UnsafeMutablePointer<Int64>?) throws {
    let bytes = Array(text.utf8)
    try required(length, "length").pointee = Int64(bytes.count)
    guard let buffer, capacity > Int64(bytes.count) else { return }
    for (i, b) in bytes.enumerated() { buffer[i] = CChar(bitPattern: b) }
    buffer[bytes.count] = 0
}

@_cdecl("sn_last_error")
public func sn_last_error() -> UnsafePointer<CChar> {
    // The buffer lives in the thread's slot until the next failure on this thread.
    let message = currentErrorMessage()
    return message.text.withUnsafeBufferPointer { UnsafePointer($0.baseAddress!) }
}
