import SwiftNet

/// Builds the engine layer described by `layerJSON` (validating its config).
private func makeLayer(_ layerJSON: UnsafePointer<CChar>?) throws -> Layer {
    let spec = try JSON.parse(String(cString: try required(layerJSON, "layer_json")))
    let entry = try ConfigReader(owner: "Layer", spec)
    return try LayerRegistry.make(className: try entry.string("class_name"), name: try entry.string("name", default: "layer"),
                                  config: entry.json("config"))
}

@_cdecl("sn_layer_validate")
public func sn_layer_validate(_ layerJSON: UnsafePointer<CChar>?) -> Int32 {
    guarded { _ = try makeLayer(layerJSON) }
}

@_cdecl("sn_layer_output_shape")
public func sn_layer_output_shape(_ layerJSON: UnsafePointer<CChar>?, _ inputShape: UnsafePointer<Int64>?,
                                  _ inputRank: Int32, _ outputShape: UnsafeMutablePointer<Int64>?,
                                  _ capacity: Int32, _ outputRank: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded {
        let layer = try makeLayer(layerJSON)
        let input = inputRank == 0 ? [] : try readShape(inputShape, rank: inputRank, name: "input_shape")
        let shape = try layer.outputShape(for: layer.inputCount == 0 ? [] : [input])
        _ = try checkedCount(shape, what: layer.className)
        try required(outputRank, "output_rank").pointee = Int32(shape.count)
        guard shape.count <= Int(capacity) else { throw SwiftNetError.value("Output shape needs \(shape.count) dimensions; capacity is \(capacity).") }
        let out = try required(outputShape, "output_shape")
        for (i, d) in shape.enumerated() { out[i] = Int64(d) }
    }
}

@_cdecl("sn_model_create")
public func sn_model_create(_ specJSON: UnsafePointer<CChar>?, _ outModel: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded {
        let out = try required(outModel, "out_model")
        let model = try Model(spec: JSON.parse(String(cString: try required(specJSON, "spec_json"))))
        out.pointee = OpaquePointer(Unmanaged.passRetained(ModelHandle(model)).toOpaque())
    }
}

@_cdecl("sn_model_free")
public func sn_model_free(_ model: OpaquePointer?) {
    guard let model else { return }
    Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer(model)).release()
}

@_cdecl("sn_model_describe")
public func sn_model_describe(_ model: OpaquePointer?, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int64,
                              _ length: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded {
        let handle = try ModelHandle.from(model)
        let text = handle.lock.withLock { describe(handle.model).serialized }
        try writeText(text, buffer, capacity, length)
    }
}

func describe(_ model: Model) -> JSON {
    func shape(_ dims: [Int]) -> JSON { .array(dims.map { .number(Double($0)) }) }
    let layers: [JSON] = model.nodes.map { node in
        .object([
            "name": .string(node.layer.name),
            "class_name": .string(node.layer.className),
            "output_shape": shape(node.outputShape),
            "inbound": .array(node.inbound.map { .number(Double($0)) }),
            "weights": .array(node.layer.weights.map { w in
                .object(["name": .string(w.name), "shape": shape(w.tensor.shape), "trainable": .bool(w.trainable && node.layer.trainable)])
            }),
        ])
    }
    var result: [String: JSON] = [
        "name": .string(model.name),
        "input_shape": shape(model.inputShape),
        "output_shape": shape(model.outputShape),
        "layers": .array(layers),
        "compiled": .bool(model.optimizer != nil),
    ]
    if let optimizer = model.optimizer {
        result["optimizer"] = .object([
            "class_name": .string(type(of: optimizer).className),
            "learning_rate": .number(Double(optimizer.learningRate)),
            "iterations": .number(Double(optimizer.iterations)),
            "state_count": .number(Double(optimizer.iterations > 0 ? optimizer.stateCount(for: model.trainableWeights) : 0)),
        ])
    }
    return .object(result)
}

/// The weight `weight` of layer `layer`, checked to hold `count` floats, or an error naming the
/// valid range or size.
private func weightTensor(_ model: Model, _ layer: Int32, _ weight: Int32, count: Int64) throws -> Tensor {
    guard model.nodes.indices.contains(Int(layer)) else {
        throw SwiftNetError.value("Layer index \(layer) is out of range: the model has \(model.nodes.count) layers.")
    }
    let weights = model.nodes[Int(layer)].layer.weights
    guard weights.indices.contains(Int(weight)) else {
        throw SwiftNetError.value("Weight index \(weight) is out of range: layer '\(model.nodes[Int(layer)].layer.name)' has \(weights.count) weights.")
    }
    let tensor = weights[Int(weight)].tensor
    guard Int(count) == tensor.count else {
        throw SwiftNetError.value("Expected \(tensor.count) floats for weight of shape \(tensor.shape). Received: \(count).")
    }
    return tensor
}

@_cdecl("sn_model_get_weight")
public func sn_model_get_weight(_ model: OpaquePointer?, _ layer: Int32, _ weight: Int32,
                                _ out: UnsafeMutablePointer<Float>?, _ count: Int64) -> Int32 {
    guarded {
        let handle = try ModelHandle.from(model)
        try handle.lock.withLock {
            let tensor = try weightTensor(handle.model, layer, weight, count: count)
            try required(out, "out").update(from: tensor.data, count: tensor.count)
        }
    }
}

@_cdecl("sn_model_set_weight")
public func sn_model_set_weight(_ model: OpaquePointer?, _ layer: Int32, _ weight: Int32,
                                _ values: UnsafePointer<Float>?, _ count: Int64) -> Int32 {
    guarded {
        let handle = try ModelHandle.from(model)
        try handle.lock.withLock {
            let tensor = try weightTensor(handle.model, layer, weight, count: count)
            let source = try required(values, "values")
            if let bad = firstNonFinite(source, tensor.count) {
                throw SwiftNetError.value("Weight values contain NaN or infinite values (first at index \(bad)).")
            }
            tensor.data.update(from: source, count: tensor.count)
        }
    }
}

@_cdecl("sn_model_compile")
public func sn_model_compile(_ model: OpaquePointer?, _ settingsJSON: UnsafePointer<CChar>?) -> Int32 {
    guarded {
        let handle = try ModelHandle.from(model)
        let settings = try JSON.parse(String(cString: try required(settingsJSON, "settings_json")))
        try handle.lock.withLock { try handle.model.compile(settings) }
    }
}

/// The compiled model's optimizer, or the Keras error for using it before `compile()`.
private func compiledOptimizer(_ model: Model) throws -> Optimizer {
    guard let optimizer = model.optimizer else {
        throw SwiftNetError.state("You must call `compile()` before accessing the optimizer.")
    }
    return optimizer
}

@_cdecl("sn_model_get_learning_rate")
public func sn_model_get_learning_rate(_ model: OpaquePointer?, _ out: UnsafeMutablePointer<Double>?) -> Int32 {
    guarded {
        let handle = try ModelHandle.from(model)
        let value = try handle.lock.withLock { try compiledOptimizer(handle.model).learningRate }
        try required(out, "out_value").pointee = Double(value)
    }
}

@_cdecl("sn_model_set_learning_rate")
public func sn_model_set_learning_rate(_ model: OpaquePointer?, _ value: Double) -> Int32 {
    guarded {
        let handle = try ModelHandle.from(model)
        guard value.isFinite, value >= 0, value <= Double(Float.greatestFiniteMagnitude) else {
            throw SwiftNetError.value("[sn_model_set_learning_rate] Expected a finite, non-negative learning rate within the float32 range. Received: learning_rate=\(value)")
        }
        try handle.lock.withLock { try compiledOptimizer(handle.model).learningRate = Float(value) }
    }
}
