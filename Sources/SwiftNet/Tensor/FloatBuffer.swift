#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A 64-byte aligned, heap-allocated run of Float32 values.
public final class FloatBuffer {
    public let pointer: UnsafeMutablePointer<Float>
    public let capacity: Int

    /// Allocates `capacity` floats, zero-filled when `zeroed` is true.
    public init(capacity: Int, zeroed: Bool = true) {
        self.capacity = capacity
        var raw: UnsafeMutableRawPointer?
        // posix_memalign only fails on exhausted memory, where nothing else can proceed either.
        guard posix_memalign(&raw, 64, max(capacity, 1) * MemoryLayout<Float>.stride) == 0, let raw else {
            fatalError("swiftnet: out of memory allocating \(capacity) floats")
        }
        pointer = raw.bindMemory(to: Float.self, capacity: max(capacity, 1))
        if zeroed { pointer.update(repeating: 0, count: capacity) }
    }

    deinit { free(pointer) }
}

/// Scratch memory for one training or inference step, handed out again in the same order every
/// step: after the first step no allocation happens, and buffers stay warm in cache.
final class Arena {
    private var slots: [FloatBuffer] = []
    private var next = 0

    /// Returns uninitialised memory for `count` floats, valid until the next `reset()`.
    func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        defer { next += 1 }
        if next < slots.count {
            if slots[next].capacity >= count { return slots[next].pointer }
            slots[next] = FloatBuffer(capacity: count, zeroed: false)
            return slots[next].pointer
        }
        slots.append(FloatBuffer(capacity: count, zeroed: false))
        return slots[next].pointer
    }

    /// Makes every buffer available again; tensors of the previous step must not be used after this.
    func reset() { next = 0 }

    var bytesReserved: Int { slots.reduce(0) { $0 + $1.capacity * 4 } }
}
