#if canImport(Glibc)
import Glibc
#endif
import CSupport
import Synchronization

/// Runs `body` over row ranges of a rows × cols array, in parallel once there is enough work
/// (large inference batches); small training batches stay on one thread.
func parallelRows(_ rows: Int, _ cols: Int, _ body: (Range<Int>) -> Void) {
    parallelFor(rows, minChunk: max(1, (1 << 16) / max(cols, 1)), body)
}

/// Runs `body` over ranges of 0..<count that start at multiples of 16 (whole vectors), in
/// parallel for large element-wise passes (at least `minChunk` values per thread).
func parallelChunks(_ count: Int, minChunk: Int = 1 << 16, _ body: (Range<Int>) -> Void) {
    let vectors = (count + vecWidth - 1) / vecWidth
    parallelFor(vectors, minChunk: max(1, minChunk / vecWidth)) { range in
        body((range.lowerBound * vecWidth)..<min(count, range.upperBound * vecWidth))
    }
}

/// Splits 0..<count into at most `Parallelism.threads` contiguous chunks of at least `minChunk`
/// items and runs them concurrently; partitions depend only on the counts, not on timing.
func parallelFor(_ count: Int, minChunk: Int, _ body: (Range<Int>) -> Void) {
    let parts = min(Parallelism.threads, max(1, count / max(minChunk, 1)))
    parallelWorkers(count, workers: parts) { _, range in body(range) }
}

/// The number of ranges `parallelWorkers` may split `count` items into; callers size per-worker
/// scratch memory with it and pass the same value on, so a concurrent change of the thread count
/// cannot make a worker index exceed the scratch.
func workerCount(for count: Int) -> Int {
    min(Parallelism.threads, max(count, 1))
}

/// Splits 0..<count into `workers` contiguous, balanced ranges (none empty unless count < workers)
/// and runs `body(worker, range)` for each concurrently; `worker` numbers the ranges from 0, so
/// callers can give each its own scratch memory.
func parallelWorkers(_ count: Int, workers: Int, _ body: (Int, Range<Int>) -> Void) {
    let parts = max(1, min(workers, count))
    if parts == 1 {
        body(0, 0..<count)
        return
    }
    WorkerPool.current.run(parts: parts) { w in
        body(w, partition(count, parts: parts, index: w))
    }
}

/// Part `index` of 0..<count split into `parts` contiguous ranges whose sizes differ by at most
/// one; every range lies inside 0..<count.
@inline(__always)
func partition(_ count: Int, parts: Int, index: Int) -> Range<Int> {
    let base = count / parts, extra = count % parts
    let start = index * base + min(index, extra)
    return start..<(start + base + (index < extra ? 1 : 0))
}

/// The number of threads engine kernels use: `SWIFTNET_NUM_THREADS` when set, else the CPUs the
/// process may run on (at most 64); changed at run time by `setThreads`.
public enum Parallelism {
    /// The largest thread count accepted.
    public static let maxThreads = 256

    private static let configured = Atomic<Int>(0)

    public static var threads: Int {
        let value = configured.load(ordering: .relaxed)
        if value > 0 { return value }
        let initial = defaultThreads()
        configured.store(initial, ordering: .relaxed)
        return initial
    }

    /// Sets the thread count for later parallel sections (1...maxThreads).
    /// - Throws: `SwiftNetError` for counts outside that range.
    public static func setThreads(_ count: Int) throws {
        guard count >= 1, count <= maxThreads else {
            throw SwiftNetError.value("Expected a number of threads between 1 and \(maxThreads). Received: \(count)")
        }
        configured.store(count, ordering: .relaxed)
    }

    /// The CPUs this process may run on (its affinity mask).
    public static var availableCPUs: Int { Int(sn_available_cpus()) }

    static func defaultThreads() -> Int {
        if let text = getenv("SWIFTNET_NUM_THREADS").map({ String(cString: $0) }),
           let value = Int(String(text.filter { !$0.isWhitespace })), value >= 1 {
            return min(value, maxThreads)
        }
        return max(1, min(availableCPUs, 64))
    }
}
