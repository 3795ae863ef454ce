import SwiftNet

/// Parses `[{"shape": [...], "dtype": ...}, ...]`.
private func readSpecs(_ text: UnsafePointer<CChar>?, _ name: String) throws -> [TensorSpec] {
    let json = try JSON.parse(String(cString: try required(text, name)))
    guard case .array(let items) = json else { throw SwiftNetError.type("Expected `\(name)` to be a list of specs.") }
    return try items.map { try TensorSpec(json: $0, owner: name) }
}

/// `{"op": name, "attrs": {...}}` as an op, or `{"layer": {"class_name", "config"}}` as a layer.
private enum Node {
    case op(Op)
    case layer(Layer)

    init(_ text: UnsafePointer<CChar>?) throws {
        let config = try ConfigReader(owner: "node", JSON.parse(String(cString: try required(text, "node_json"))))
        if config.has("op") {
            self = .op(try OpRegistry.make(try config.string("op"), attributes: config.json("attrs")))
        } else if let layer = config.json("layer") {
            let entry = try ConfigReader(owner: "Layer", layer)
            self = .layer(try LayerRegistry.make(className: try entry.string("class_name"),
                                                 name: try entry.string("name", default: "layer"), config: entry.json("config")))
        } else {
            throw SwiftNetError.value("Expected {\"op\": …} or {\"layer\": …}.")
        }
    }
}

@_cdecl("sn_layer_validate")
public func sn_layer_validate(_ layerJSON: UnsafePointer<CChar>?) -> Int32 {
    guarded {
        let spec = try JSON.parse(String(cString: try required(layerJSON, "layer_json")))
        let entry = try ConfigReader(owner: "Layer", spec)
        _ = try LayerRegistry.make(className: try entry.string("class_name"), name: try entry.string("name", default: "layer"),
                                   config: entry.json("config"))
    }
}

@_cdecl("sn_infer")
public func sn_infer(_ nodeJSON: UnsafePointer<CChar>?, _ inputSpecsJSON: UnsafePointer<CChar>?,
                     _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int64, _ length: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded {
        let specs = try readSpecs(inputSpecsJSON, "input_specs_json")
        let outputs: [TensorSpec]
        switch try Node(nodeJSON) {
        case .op(let op): outputs = try op.infer(specs)
        case .layer(let layer): outputs = [try layer.infer(specs, build: false, seed: 0)]
        }
        try writeText(JSON.array(outputs.map(\.json)).serialized, buffer, capacity, length)
    }
}

@_cdecl("sn_op_run")
public func sn_op_run(_ nodeJSON: UnsafePointer<CChar>?, _ inputs: OpaquePointer?, _ outputs: OpaquePointer?) -> Int32 {
    guarded {
        guard case .op(let op) = try Node(nodeJSON) else { throw SwiftNetError.value("Only ops run eagerly; layers run in models.") }
        let inputData = try DatasetHandle.from(inputs).dataset, outputData = try DatasetHandle.from(outputs).dataset
        try runEagerly(op, inputs: inputData, outputs: outputData)
    }
}

@_cdecl("sn_initializer_fill")
public func sn_initializer_fill(_ initializerJSON: UnsafePointer<CChar>?, _ shape: UnsafePointer<Int64>?, _ rank: Int32,
                                _ seed: UInt64, _ out: UnsafeMutablePointer<Float>?, _ count: Int64) -> Int32 {
    guarded {
        let initializer = try Initializer.from(JSON.parse(String(cString: try required(initializerJSON, "initializer_json"))),
                                               owner: "initializer")
        let dims = rank == 0 ? [] : try readShape(shape, rank: rank, name: "shape")
        let tensor = try Tensor(zeros: dims)
        guard Int(count) == tensor.count else { throw SwiftNetError.value("Expected \(tensor.count) values. Received: \(count).") }
        try initializer.validate(shape: dims, owner: "initializer")
        initializer.fill(tensor, fallbackSeed: seed)
        try required(out, "out").update(from: tensor.data, count: tensor.count)
    }
}
