#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SwiftNet

/// What an `sn_model*` points to: the model and the lock that serialises calls on it.
final class ModelHandle {
    let model: Model
    let lock = PthreadMutex()

    init(_ model: Model) { self.model = model }

    static func from(_ pointer: OpaquePointer?) throws -> ModelHandle {
        Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer(try required(pointer, "model"))).takeUnretainedValue()
    }
}

/// What an `sn_session*` points to; it keeps its model alive.
final class SessionHandle {
    let session: Session
    let owner: ModelHandle

    init(_ session: Session, owner: ModelHandle) {
        self.session = session
        self.owner = owner
    }

    static func from(_ pointer: OpaquePointer?) throws -> SessionHandle {
        Unmanaged<SessionHandle>.fromOpaque(UnsafeRawPointer(try required(pointer, "session"))).takeUnretainedValue()
    }
}
