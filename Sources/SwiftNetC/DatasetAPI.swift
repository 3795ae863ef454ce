import SwiftNet

/// What an `sn_dataset*` points to: named arrays owned by the caller.
final class DatasetHandle {
    let dataset = Dataset()

    static func from(_ pointer: OpaquePointer?) throws -> DatasetHandle {
        Unmanaged<DatasetHandle>.fromOpaque(UnsafeRawPointer(try required(pointer, "dataset"))).takeUnretainedValue()
    }
}

@_cdecl("sn_dataset_create")
public func sn_dataset_create(_ outDataset: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded {
        let out = try required(outDataset, "out_dataset")
        out.pointee = OpaquePointer(Unmanaged.passRetained(DatasetHandle()).toOpaque())
    }
}

@_cdecl("sn_dataset_free")
public func sn_dataset_free(_ dataset: OpaquePointer?) {
    guard let dataset else { return }
    Unmanaged<DatasetHandle>.fromOpaque(UnsafeRawPointer(dataset)).release()
}

@_cdecl("sn_dataset_add_array")
public func sn_dataset_add_array(_ dataset: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ dtype: Int32,
                                 _ data: UnsafeRawPointer?, _ shape: UnsafePointer<Int64>?, _ rank: Int32) -> Int32 {
    guarded {
        let handle = try DatasetHandle.from(dataset)
        let arrayName = String(cString: try required(name, "name"))
        guard let type = DType(rawValue: dtype) else {
            throw SwiftNetError.type("Unknown dtype code \(dtype) for array '\(arrayName)': expected 0 (float32), 1 (int32) or 2 (int64).")
        }
        let dims = try readShape(shape, rank: rank, name: "shape")
        let bytes = try checkedCount(dims, what: arrayName).multipliedReportingOverflow(by: type.byteSize)
        guard !bytes.overflow else { throw SwiftNetError.value("Array '\(arrayName)' is too large.") }
        let pointer = try required(data, "data")
        guard Int(bitPattern: pointer) % type.byteSize == 0 else {
            throw SwiftNetError.value("Array '\(arrayName)' is not aligned to its \(type.byteSize)-byte elements.")
        }
        try handle.dataset.add(arrayName, ArrayView(dtype: type, shape: dims, data: pointer))
    }
}
