import SwiftNet

@_cdecl("sn_session_create")
public func sn_session_create(_ model: OpaquePointer?, _ mode: Int32,
                              _ x: UnsafePointer<Float>?, _ xShape: UnsafePointer<Int64>?, _ xRank: Int32,
                              _ y: UnsafePointer<Float>?, _ yShape: UnsafePointer<Int64>?, _ yRank: Int32,
                              _ output: UnsafeMutablePointer<Float>?, _ outputCount: Int64,
                              _ batchSize: Int64, _ shuffle: Int32, _ seed: UInt64,
                              _ outSession: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded {
        let out = try required(outSession, "out_session")
        let handle = try ModelHandle.from(model)
        guard let mode = Session.Mode(rawValue: mode) else {
            throw SwiftNetError.value("Unknown session mode \(mode): expected 0 (train), 1 (evaluate) or 2 (predict).")
        }
        let inputShape = try readShape(xShape, rank: xRank, name: "x_shape")
        let xData = try required(x, "x")
        var targetShape: [Int] = []
        if mode != .predict {
            targetShape = try readShape(yShape, rank: yRank, name: "y_shape")
            guard targetShape[0] == inputShape[0] else {
                throw SwiftNetError.value("Data cardinality is ambiguous: x has \(inputShape[0]) samples, y has \(targetShape[0]). Make sure all arrays contain the same number of samples.")
            }
            _ = try required(y, "y")
        }
        let session: Session = try handle.lock.withLock {
            let model = handle.model
            if mode == .predict {
                let needed = try checkedCount([inputShape[0]] + model.outputShape, what: "predict")
                guard Int(outputCount) == needed, output != nil else {
                    throw SwiftNetError.value("[predict] Expected an output buffer of \(needed) floats. Received: \(outputCount).")
                }
            }
            // Batches beyond the sample count are the same pass, with less memory.
            let batch = Int(clamping: min(batchSize, max(Int64(inputShape[0]), 1)))
            if batchSize > 0 {
                for node in model.nodes { _ = try checkedCount([batch] + node.outputShape, what: "batch") }
            }
            let data = Dataset(x: xData, shape: inputShape, y: mode == .predict ? nil : y, targetShape: targetShape)
            return try Session(model: model, mode: mode, data: data, batchSize: batchSize > 0 ? batch : 0,
                               shuffle: shuffle != 0, seed: seed, output: output)
        }
        out.pointee = OpaquePointer(Unmanaged.passRetained(SessionHandle(session, owner: handle)).toOpaque())
    }
}

@_cdecl("sn_session_free")
public func sn_session_free(_ session: OpaquePointer?) {
    guard let session else { return }
    Unmanaged<SessionHandle>.fromOpaque(UnsafeRawPointer(session)).release()
}

@_cdecl("sn_session_begin_epoch")
public func sn_session_begin_epoch(_ session: OpaquePointer?, _ epoch: Int64) -> Int32 {
    guarded {
        let handle = try SessionHandle.from(session)
        guard epoch >= 0 else { throw SwiftNetError.value("Expected epoch >= 0. Received: \(epoch)") }
        handle.owner.lock.withLock { handle.session.beginEpoch(Int(epoch)) }
    }
}

@_cdecl("sn_session_run")
public func sn_session_run(_ session: OpaquePointer?, _ maxSteps: Int64, _ maxSeconds: Double,
                           _ finished: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded {
        let handle = try SessionHandle.from(session)
        let done = try required(finished, "finished")
        guard maxSteps > 0 else { throw SwiftNetError.value("Expected max_steps > 0. Received: \(maxSteps)") }
        let limit = maxSeconds.isNaN || maxSeconds <= 0 ? Double.infinity : maxSeconds
        let isFinished = try handle.owner.lock.withLock {
            try handle.session.run(maxSteps: Int(maxSteps), maxSeconds: limit)
        }
        done.pointee = isFinished ? 1 : 0
    }
}

@_cdecl("sn_session_progress")
public func sn_session_progress(_ session: OpaquePointer?, _ stepsDone: UnsafeMutablePointer<Int64>?,
                                _ stepsPerEpoch: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded {
        let handle = try SessionHandle.from(session)
        let (done, total) = handle.owner.lock.withLock { (handle.session.stepsDone, handle.session.stepsPerEpoch) }
        try required(stepsDone, "steps_done").pointee = Int64(done)
        try required(stepsPerEpoch, "steps_per_epoch").pointee = Int64(total)
    }
}

@_cdecl("sn_session_log_names")
public func sn_session_log_names(_ session: OpaquePointer?, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int64,
                                 _ length: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded {
        let handle = try SessionHandle.from(session)
        let names = handle.owner.lock.withLock { handle.session.logNames }
        try writeText(JSON.array(names.map(JSON.string)).serialized, buffer, capacity, length)
    }
}

@_cdecl("sn_session_log_values")
public func sn_session_log_values(_ session: OpaquePointer?, _ values: UnsafeMutablePointer<Double>?, _ capacity: Int32,
                                  _ count: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded {
        let handle = try SessionHandle.from(session)
        let logs = handle.owner.lock.withLock { handle.session.logs }
        try required(count, "count").pointee = Int32(logs.count)
        guard logs.count <= Int(capacity) else { throw SwiftNetError.value("Expected room for \(logs.count) values. Received capacity \(capacity).") }
        let out = try required(values, "values")
        for (i, entry) in logs.enumerated() { out[i] = entry.value }
    }
}
