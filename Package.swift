// swift-tools-version:5.10
import PackageDescription
import class Foundation.ProcessInfo

// Kernels are compiled for the CPU that builds them (pip builds from source), so
// SIMD code gets AVX2/AVX-512 and FMA. Set SWIFTNET_TARGET_CPU (e.g. "x86-64-v3")
// to build for another machine.
let targetCPU = ProcessInfo.processInfo.environment["SWIFTNET_TARGET_CPU"] ?? "native"
// sqrt without errno handling, so that SIMD square roots compile to vector instructions.
let mathFlags = ["-Xcc", "-fno-math-errno"]
let cpuFlags: [SwiftSetting] = [.unsafeFlags((targetCPU.isEmpty ? [] : ["-target-cpu", targetCPU]) + mathFlags)]

let package = Package(
    name: "swiftnet",
    products: [
        // The C ABI as a shared library: libswiftnet.so, described by swiftnet.h.
        .library(name: "swiftnet", type: .dynamic, targets: ["SwiftNetC"]),
        .library(name: "SwiftNet", targets: ["SwiftNet"]),
    ],
    targets: [
        // Debian's OpenBLAS (libopenblas-dev) through its cblas.h.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        // What Swift cannot say directly: CPU pause, the affinity mask, fork handlers.
        .target(name: "CSupport"),
        // The engine: tensors, kernels, autodiff, layers, losses, optimizers, training.
        .target(name: "SwiftNet", dependencies: ["CBLAS", "CSupport"], swiftSettings: cpuFlags),
        // The C ABI over the engine: every function catches, stores the message, returns a status.
        .target(name: "SwiftNetC", dependencies: ["SwiftNet"], exclude: ["include"], swiftSettings: cpuFlags),
        .testTarget(name: "SwiftNetTests", dependencies: ["SwiftNet"], swiftSettings: cpuFlags),
    ]
)
