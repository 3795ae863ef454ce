
/// Runs `body` over row ranges of a rows × cols array, in parallel once there is enough work
/// (large inference batches); small training batches stay on one thread.
func parallelRows(_ rows: Int, _ cols: Int, _ body: (Range<Int>) -> Void) {
    parallelFor(rows, minChunk: max(1, (1 << 16) / max(cols, 1)), body)
}

/// Runs `body` over ranges of 0..<count that start at multiples of 16 (whole vectors), in
/// parallel for large element-wise passes.
func parallelChunks(_ count: Int, _ body: (Range<Int>) -> Void) {
    let vectors = (count + vecWidth - 1) / vecWidth
    parallelFor(vectors, minChunk: 4096) { range in
        body((range.lowerBound * vecWidth)..<min(count, range.upperBound * vecWidth))
    }
}

/// Splits 0..<count into at most `Parallelism.threads` contiguous chunks of at least `minChunk`
/// items and runs them concurrently; partitions are fixed, so results do not depend on timing.
func parallelFor(_ count: Int, minChunk: Int, _ body: (Range<Int>) -> Void) {
    let workers = min(Parallelism.threads, max(1, count / max(minChunk, 1)))
    if workers <= 1 {
        body(0..<count)
        return
    }
    let chunk = (count + workers - 1) / workers
    WorkerPool.shared.run(parts: workers) { w in
        let start = w * chunk
        let end = min(count, start + chunk)
        if start < end { body(start..<end) }
    }
}

/// Splits 0..<count into at most `Parallelism.threads` contiguous ranges and runs
/// `body(worker, range)` for each concurrently; `worker` numbers the ranges from 0, so callers can
/// give each its own scratch memory. Returns the number of workers used.
@discardableResult
func parallelWorkers(_ count: Int, _ body: (Int, Range<Int>) -> Void) -> Int {
    let workers = min(Parallelism.threads, max(count, 1))
    let chunk = (count + workers - 1) / workers
    if workers == 1 {
        body(0, 0..<count)
        return 1
    }
    WorkerPool.shared.run(parts: workers) { w in
        let start = w * chunk
        body(w, start..<min(count, start + chunk))
    }
    return workers
}

/// The number of threads engine kernels use.
public enum Parallelism {
    public static let threads: Int = {
        #if canImport(Glibc)
        let n = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #else
        let n = 2
        #endif
        return max(1, min(n, 64))
    }()
}

#if canImport(Glibc)
import Glibc
#endif
