#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSupport
import Synchronization

/// Threads that run the parts of a parallel section.
///
/// Each worker has its own slot: the caller writes a part into the slots of the workers it needs
/// and bumps each slot's ticket; a worker reads only its own slot, after seeing its ticket change,
/// and the caller rewrites a slot only after that worker reported its part done. So a worker that
/// sat out earlier sections can never pick up a stale or foreign part.
///
/// A step issues short sections every few hundred microseconds, so idle workers spin briefly
/// before they park, unless the pool has more threads than the process has CPUs (then spinning
/// would steal time from the threads doing work, and workers park at once).
final class WorkerPool: @unchecked Sendable {
    /// The pool of this process; a forked child gets a fresh one (the parent's threads do not
    /// exist there).
    nonisolated(unsafe) static var current = WorkerPool()

    private static let forkHandlerInstalled: Bool = {
        sn_register_fork_child_handler { WorkerPool.current = WorkerPool() } == 0
    }()

    private var slots: [WorkerSlot] = []
    /// Serialises adding workers.
    private let growLock = PthreadMutex()
    /// Parts of the current section not finished yet.
    private let remaining = Atomic<Int>(0)
    /// One section at a time: a caller that finds the pool busy (another model's thread, or a
    /// nested section) runs its parts itself.
    private let busy = Atomic<Bool>(false)
    /// How long an idle worker spins before parking.
    static let spinSeconds = 200e-6

    init() { _ = WorkerPool.forkHandlerInstalled }

    /// Number of worker threads started so far.
    var workerCount: Int { growLock.withLock { slots.count } }

    /// Runs `body(part)` for part in 0..<parts, the caller taking part 0; returns when all parts
    /// are done.
    func run(parts: Int, _ body: (Int) -> Void) {
        guard parts > 1, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for part in 0..<parts { body(part) }
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        let helpers = ensureWorkers(parts - 1)
        let spin = parts <= Parallelism.availableCPUs
        withoutActuallyEscaping(body) { job in
            remaining.store(helpers, ordering: .relaxed)
            for index in 0..<helpers { slots[index].assign(part: index + 1, job: job, spin: spin) }
            job(0)
            // Parts no worker could take (threads failed to start) run here.
            for part in (helpers + 1)..<parts { job(part) }
            var spins = 0
            while remaining.load(ordering: .acquiring) > 0 {
                spins += 1
                if spin && spins < 1 << 16 { sn_cpu_relax() } else { sched_yield() }
            }
        }
    }

    /// Starts workers until there are `count` (or as many as the system allows); returns how many
    /// there are, up to `count`.
    private func ensureWorkers(_ count: Int) -> Int {
        if slots.count >= count { return count }
        return growLock.withLock {
            while slots.count < count {
                let slot = WorkerSlot(pool: self)
                guard slot.start() else { break }
                slots.append(slot)
            }
            return min(count, slots.count)
        }
    }

    fileprivate func partDone() {
        remaining.subtract(1, ordering: .releasing)
    }

    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}

/// One worker thread and its mailbox.
private final class WorkerSlot: @unchecked Sendable {
    unowned let pool: WorkerPool
    /// Bumped by the caller for each part it hands to this worker.
    private let ticket = Atomic<Int>(0)
    /// True while the worker sleeps on `signal`.
    private let parked = Atomic<Bool>(false)
    /// Whether to spin before parking (false when threads outnumber CPUs).
    private let spinning = Atomic<Bool>(true)
    private let mutex = PthreadMutex()
    private let signal = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Written by the caller before it bumps `ticket`, read by the worker after it sees the bump.
    private var part = 0
    private var job: ((Int) -> Void)?

    init(pool: WorkerPool) {
        self.pool = pool
        pthread_cond_init(signal, nil)
    }

    func start() -> Bool {
        let box = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { raw in
            Unmanaged<WorkerSlot>.fromOpaque(raw!).takeRetainedValue().loop()
            return nil
        }, box)
        if status != 0 {
            Unmanaged<WorkerSlot>.fromOpaque(box).release()
            return false
        }
        pthread_detach(thread)
        return true
    }

    func assign(part: Int, job: @escaping (Int) -> Void, spin: Bool) {
        self.part = part
        self.job = job
        spinning.store(spin, ordering: .relaxed)
        ticket.wrappingAdd(1, ordering: .sequentiallyConsistent)
        // Pairs with the worker's store of `parked` and re-check of `ticket` (both sequentially
        // consistent): either the worker sees the new ticket, or this sees it parked and wakes it.
        if parked.load(ordering: .sequentiallyConsistent) {
            mutex.withLock { pthread_cond_signal(signal) }
        }
    }

    private func loop() {
        var seen = 0
        while true {
            var current = ticket.load(ordering: .acquiring)
            if current == seen && spinning.load(ordering: .relaxed) {
                let start = WorkerPool.now()
                var spins = 0
                while current == seen {
                    spins += 1
                    if spins & 1023 == 0 && WorkerPool.now() - start > WorkerPool.spinSeconds { break }
                    sn_cpu_relax()
                    current = ticket.load(ordering: .acquiring)
                }
            }
            if current == seen {
                mutex.withLock {
                    parked.store(true, ordering: .sequentiallyConsistent)
                    while ticket.load(ordering: .sequentiallyConsistent) == seen { pthread_cond_wait(signal, mutex.pointer) }
                    parked.store(false, ordering: .relaxed)
                }
                current = ticket.load(ordering: .acquiring)
            }
            seen = current
            runPart()
            pool.partDone()
        }
    }

    /// Runs the assigned part and drops the reference to the job before the part is reported done,
    /// so the caller's non-escaping closure never outlives its call.
    @inline(never)
    private func runPart() {
        let job = self.job
        self.job = nil
        job?(part)
    }
}

/// A pthread mutex with a scoped lock.
public final class PthreadMutex: @unchecked Sendable {
    let pointer = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    public init() { pthread_mutex_init(pointer, nil) }

    deinit {
        pthread_mutex_destroy(pointer)
        pointer.deallocate()
    }

    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(pointer)
        defer { pthread_mutex_unlock(pointer) }
        return try body()
    }
}
