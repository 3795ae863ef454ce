import SwiftNet

private let versionText: ContiguousArray<CChar> = ContiguousArray("0.1.0".utf8CString)

@_cdecl("sn_version")
public func sn_version() -> UnsafePointer<CChar> {
    versionText.withUnsafeBufferPointer { UnsafePointer($0.baseAddress!) }
}

@_cdecl("sn_set_num_threads")
public func sn_set_num_threads(_ count: Int32) -> Int32 {
    guarded { try Parallelism.setThreads(Int(count)) }
}

@_cdecl("sn_get_num_threads")
public func sn_get_num_threads() -> Int32 {
    Int32(Parallelism.threads)
}
