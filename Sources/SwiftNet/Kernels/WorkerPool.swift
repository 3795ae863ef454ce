#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Threads that run the parts of a parallel section. A step issues short parallel sections every
/// few hundred microseconds, so idle workers spin briefly (answering in well under a microsecond)
/// before they park; a parked worker costs nothing.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(workers: Parallelism.threads - 1)

    let workers: Int
    /// Bumped to publish a job; workers compare it with the last one they saw.
    private let generation = Atomic<Int>(0)
    /// Parts of the current job not finished yet.
    private let remaining = Atomic<Int>(0)
    /// One job at a time: a caller that finds the pool busy (another model's thread, or a nested
    /// section) runs its parts itself.
    private let busy = Atomic<Bool>(false)
    private var job: ((Int) -> Void)?
    private var parts = 0
    private let parkLock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let parkSignal = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// How long an idle worker spins before parking.
    static let spinSeconds = 200e-6

    init(workers: Int) {
        self.workers = max(0, workers)
        pthread_mutex_init(parkLock, nil)
        pthread_cond_init(parkSignal, nil)
        for index in 0..<self.workers {
            let box = Unmanaged.passRetained(WorkerStart(pool: self, index: index)).toOpaque()
            var thread = pthread_t()
            if pthread_create(&thread, nil, { raw in
                let start = Unmanaged<WorkerStart>.fromOpaque(raw!).takeRetainedValue()
                start.pool.workerLoop(start.index)
                return nil
            }, box) == 0 {
                pthread_detach(thread)
            }
        }
    }

    /// Runs `body(part)` for part in 0..<parts (at most workers + 1), the caller taking part 0;
    /// returns when all parts are done.
    func run(parts: Int, _ body: (Int) -> Void) {
        guard parts > 1, workers > 0, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for part in 0..<parts { body(part) }
            return
        }
        let count = min(parts, workers + 1)
        withoutActuallyEscaping(body) { escaping in
            job = escaping
            self.parts = count
            remaining.store(count - 1, ordering: .relaxed)
            pthread_mutex_lock(parkLock)
            generation.wrappingAdd(1, ordering: .releasing)
            pthread_cond_broadcast(parkSignal)
            pthread_mutex_unlock(parkLock)
            body(0)
            while remaining.load(ordering: .acquiring) > 0 {}
            job = nil
        }
        // Parts beyond the workers (never with parts ≤ workers + 1) run here.
        for part in count..<parts { body(part) }
        busy.store(false, ordering: .releasing)
    }

    private func workerLoop(_ index: Int) {
        var seen = 0
        while true {
            // Spin for new work, then park until it comes.
            var current = generation.load(ordering: .acquiring)
            if current == seen {
                let start = WorkerPool.now()
                var spins = 0
                while current == seen {
                    spins += 1
                    if spins & 1023 == 0 && WorkerPool.now() - start > WorkerPool.spinSeconds { break }
                    current = generation.load(ordering: .acquiring)
                }
                if current == seen {
                    pthread_mutex_lock(parkLock)
                    while generation.load(ordering: .acquiring) == seen { pthread_cond_wait(parkSignal, parkLock) }
                    pthread_mutex_unlock(parkLock)
                    current = generation.load(ordering: .acquiring)
                }
            }
            seen = current
            if index + 1 < parts {
                runPart(index + 1)
                remaining.subtract(1, ordering: .releasing)
            }
        }
    }

    /// Runs one part; the worker's reference to the job ends here, before the part is reported
    /// done, so the caller's non-escaping closure never outlives its call.
    @inline(never)
    private func runPart(_ part: Int) {
        job?(part)
    }

    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}

private final class WorkerStart {
    let pool: WorkerPool
    let index: Int
    init(pool: WorkerPool, index: Int) {
        self.pool = pool
        self.index = index
    }
}
