#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SwiftNet

/// A mutual-exclusion lock over pthread_mutex_t.
final class Lock {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init() { pthread_mutex_init(mutex, nil) }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

/// What an `sn_model*` points to: the model and the lock that serialises calls on it.
final class ModelHandle {
    let model: Model
    let lock = Lock()

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
