import SwiftNet

/// What an `sn_step_session*` points to: the session and the handles of the models and
/// optimizers it uses (kept alive, and locked while it runs).
final class StepSessionHandle {
    let session: StepSession
    let models: [ModelHandle]
    let optimizers: [OptimizerHandle]
    let lock = PthreadMutex()

    init(_ session: StepSession, models: [ModelHandle], optimizers: [OptimizerHandle]) {
        self.session = session
        self.models = models
        self.optimizers = optimizers
    }

    static func from(_ pointer: OpaquePointer?) throws -> StepSessionHandle {
        Unmanaged<StepSessionHandle>.fromOpaque(UnsafeRawPointer(try required(pointer, "step_session"))).takeUnretainedValue()
    }

    /// Runs `body` holding this session's lock, then every model's and optimizer's (each once).
    func withLocks<T>(_ body: () throws -> T) throws -> T {
        var locks: [PthreadMutex] = [lock]
        for handle in models where !locks.contains(where: { $0 === handle.lock }) { locks.append(handle.lock) }
        for handle in optimizers where !locks.contains(where: { $0 === handle.lock }) { locks.append(handle.lock) }
        func run(_ index: Int) throws -> T {
            guard index < locks.count else { return try body() }
            return try locks[index].withLock { try run(index + 1) }
        }
        return try run(0)
    }
}

@_cdecl("sn_step_session_create")
public func sn_step_session_create(_ specJSON: UnsafePointer<CChar>?, _ dataset: OpaquePointer?,
                                   _ models: UnsafePointer<OpaquePointer?>?, _ modelCount: Int32,
                                   _ optimizers: UnsafePointer<OpaquePointer?>?, _ optimizerCount: Int32,
                                   _ optionsJSON: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded {
        let target = try required(out, "out_session")
        let spec = try JSON.parse(String(cString: try required(specJSON, "spec_json")))
        let options = try ConfigReader(owner: "step session", JSON.parse(String(cString: try required(optionsJSON, "options_json"))))
        let data = try DatasetHandle.from(dataset).dataset
        let modelHandles = try (0..<Int(max(modelCount, 0))).map { try ModelHandle.from(try required(models, "models")[$0]) }
        let optimizerHandles = try (0..<Int(max(optimizerCount, 0))).map {
            try OptimizerHandle.from(try required(optimizers, "optimizers")[$0])
        }
        let method = try options.string("method", default: "fit")
        guard ["fit", "evaluate", "predict"].contains(method) else { throw SwiftNetError.value("Unknown step session method '\(method)'.") }
        let session = try StepSession(spec: spec, data: data, models: modelHandles.map(\.model),
                                      optimizers: optimizerHandles.map(\.eager),
                                      batchSize: try options.int("batch_size", default: 32),
                                      shuffle: try options.bool("shuffle", default: false),
                                      seed: UInt64(truncatingIfNeeded: try options.int("seed", default: 0)), method: method)
        target.pointee = OpaquePointer(Unmanaged.passRetained(
            StepSessionHandle(session, models: modelHandles, optimizers: optimizerHandles)).toOpaque())
    }
}

@_cdecl("sn_step_session_free")
public func sn_step_session_free(_ session: OpaquePointer?) {
    guard let session else { return }
    Unmanaged<StepSessionHandle>.fromOpaque(UnsafeRawPointer(session)).release()
}

@_cdecl("sn_step_session_begin_epoch")
public func sn_step_session_begin_epoch(_ session: OpaquePointer?, _ epoch: Int64) -> Int32 {
    guarded {
        let handle = try StepSessionHandle.from(session)
        guard epoch >= 0 else { throw SwiftNetError.value("Expected epoch >= 0. Received: \(epoch)") }
        try handle.withLocks { handle.session.beginEpoch(Int(epoch)) }
    }
}

@_cdecl("sn_step_session_run")
public func sn_step_session_run(_ session: OpaquePointer?, _ maxSteps: Int64, _ maxSeconds: Double,
                                _ finished: UnsafeMutablePointer<Int32>?, _ stepsDone: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded {
        let handle = try StepSessionHandle.from(session)
        let done = try required(finished, "finished"), position = try required(stepsDone, "steps_done")
        guard maxSteps > 0 else { throw SwiftNetError.value("Expected max_steps > 0. Received: \(maxSteps)") }
        let limit = maxSeconds.isNaN || maxSeconds <= 0 ? Double.infinity : maxSeconds
        let isFinished = try handle.withLocks { try handle.session.run(maxSteps: Int(maxSteps), maxSeconds: limit) }
        done.pointee = isFinished ? 1 : 0
        let s = handle.session
        position.pointee = Int64((s.position + s.batchSize - 1) / s.batchSize)
    }
}

@_cdecl("sn_step_session_logs")
public func sn_step_session_logs(_ session: OpaquePointer?, _ values: UnsafeMutablePointer<Double>?, _ capacity: Int32,
                                 _ count: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded {
        let handle = try StepSessionHandle.from(session)
        let logs = try handle.withLocks { handle.session.logs }
        try required(count, "count").pointee = Int32(logs.count)
        guard logs.count <= Int(capacity) else { throw SwiftNetError.value("Expected room for \(logs.count) values. Received capacity \(capacity).") }
        let out = try required(values, "values")
        for (i, value) in logs.enumerated() { out[i] = value }
    }
}

@_cdecl("sn_step_session_states")
public func sn_step_session_states(_ session: OpaquePointer?, _ dataset: OpaquePointer?, _ write: Int32) -> Int32 {
    guarded {
        let handle = try StepSessionHandle.from(session)
        let data = try DatasetHandle.from(dataset).dataset
        try handle.withLocks {
            for (i, state) in handle.session.states.enumerated() {
                let tensor = state.tensor
                guard let array = data["s\(i)"], array.dtype == tensor.dtype, array.shape.reduce(1, *) == tensor.count else {
                    throw SwiftNetError.value("Expected array 's\(i)' of \(tensor.count) \(tensor.dtype.name) values for state '\(state.name)'.")
                }
                let bytes = tensor.count * tensor.dtype.byteSize
                if write != 0 {
                    tensor.raw.copyMemory(from: array.data, byteCount: bytes)
                } else {
                    UnsafeMutableRawPointer(mutating: array.data).copyMemory(from: tensor.raw, byteCount: bytes)
                }
            }
        }
    }
}

@_cdecl("sn_step_session_set_output")
public func sn_step_session_set_output(_ session: OpaquePointer?, _ index: Int32, _ output: UnsafeMutableRawPointer?,
                                       _ count: Int64, _ dtype: Int32) -> Int32 {
    guarded {
        let handle = try StepSessionHandle.from(session)
        guard let type = DType(rawValue: dtype), type != .bool else {
            throw SwiftNetError.value("Expected an output dtype code of float32, int32 or int64. Received: \(dtype)")
        }
        try handle.withLocks { try handle.session.setOutput(Int(index), try required(output, "output"), count: Int(count), dtype: type) }
    }
}
