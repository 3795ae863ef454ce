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
    /// - Throws: `SwiftNetError` (out of memory) when the system refuses the memory.
    public init(capacity: Int, zeroed: Bool = true) throws {
        self.capacity = capacity
        var raw: UnsafeMutableRawPointer?
        let (bytes, overflow) = max(capacity, 1).multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        guard !overflow, posix_memalign(&raw, 64, bytes) == 0, let raw else {
            throw SwiftNetError.outOfMemory(floats: capacity)
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
    /// - Throws: `SwiftNetError` (out of memory); the arena stays usable.
    func allocate(_ count: Int) throws -> UnsafeMutablePointer<Float> {
        if next < slots.count {
            if slots[next].capacity < count {
                // Dropped first, so that its memory can serve the larger request.
                slots[next] = try FloatBuffer(capacity: 0, zeroed: false)
                slots[next] = try FloatBuffer(capacity: count, zeroed: false)
            }
        } else {
            slots.append(try FloatBuffer(capacity: count, zeroed: false))
        }
        next += 1
        return slots[next - 1].pointer
    }

    /// Makes every buffer available again; tensors of the previous step must not be used after this.
    func reset() { next = 0 }

    var bytesReserved: Int { slots.reduce(0) { $0 + $1.capacity * 4 } }
}
