import Dispatch
import XCTest
@testable import SwiftNet

/// The worker pool and the partitions of parallel sections, with thread counts above this
/// machine's core count (users have 4 to 64 cores).
final class ParallelTests: XCTestCase {
    private var savedThreads = 1

    override func setUp() { savedThreads = Parallelism.threads }
    override func tearDown() { try? Parallelism.setThreads(savedThreads) }

    func testPartitionsCoverTheRangeExactlyForEveryCountAndPartCount() {
        for count in 0...130 {
            for parts in 1...70 {
                var next = 0
                for index in 0..<parts {
                    let range = partition(count, parts: parts, index: index)
                    XCTAssertEqual(range.lowerBound, next, "count \(count), parts \(parts), index \(index)")
                    XCTAssertLessThanOrEqual(range.upperBound, count)
                    XCTAssertLessThanOrEqual(range.count, count / parts + 1)
                    next = range.upperBound
                }
                XCTAssertEqual(next, count, "count \(count), parts \(parts)")
            }
        }
    }

    func testParallelWorkersGiveEveryItemToExactlyOneWorkerAtAnyThreadCount() throws {
        for threads in [1, 3, 4, 8, 16, 64] {
            try Parallelism.setThreads(threads)
            for count in [1, 2, 5, 9, 13, 17, 33, 41, 65, 100] {
                let workers = workerCount(for: count)
                var owner = [Int](repeating: -1, count: count)
                owner.withUnsafeMutableBufferPointer { owner in
                    parallelWorkers(count, workers: workers) { worker, range in
                        XCTAssertLessThan(worker, workers)
                        for i in range {
                            XCTAssertEqual(owner[i], -1)
                            owner[i] = worker
                        }
                    }
                }
                XCTAssertFalse(owner.contains(-1), "threads \(threads), count \(count)")
            }
        }
    }

    func testPoolRunsEveryPartOnceWithAlternatingSectionSizes() throws {
        // Workers that sit out a 2-part section must not pick up parts of the next 8-part one.
        try Parallelism.setThreads(8)
        for section in 0..<20_000 {
            let parts = section % 2 == 0 ? 2 : 8
            var hits = [Int](repeating: 0, count: parts)
            hits.withUnsafeMutableBufferPointer { hits in
                WorkerPool.current.run(parts: parts) { part in hits[part] += 1 }
            }
            if hits != [Int](repeating: 1, count: parts) {
                XCTFail("section \(section): parts ran \(hits) times")
                return
            }
        }
    }

    func testWorkerPoolRunsEveryPartOnceUnderConcurrentCallers() throws {
        // Thousands of short sections from two threads at once: one gets the pool, the other runs
        // its parts itself; every part must run exactly once either way.
        try Parallelism.setThreads(4)
        let callers = 2, sections = 3000
        var totals = [Int](repeating: 0, count: callers)
        totals.withUnsafeMutableBufferPointer { totals in
            DispatchQueue.concurrentPerform(iterations: callers) { caller in
                for section in 0..<sections {
                    var hits = [Int](repeating: 0, count: 64)
                    hits.withUnsafeMutableBufferPointer { hits in
                        parallelFor(64, minChunk: 1) { range in for i in range { hits[i] += 1 } }
                    }
                    XCTAssertEqual(hits, [Int](repeating: 1, count: 64), "section \(section)")
                    totals[caller] += hits.reduce(0, +)
                }
            }
        }
        XCTAssertEqual(totals, [Int](repeating: 64 * sections, count: callers))
    }

    func testThreadCountIsValidated() {
        XCTAssertThrowsError(try Parallelism.setThreads(0))
        XCTAssertThrowsError(try Parallelism.setThreads(Parallelism.maxThreads + 1))
    }
}
