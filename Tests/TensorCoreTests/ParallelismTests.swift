@testable import TensorCore
import XCTest

/// The default thread count: the environment's choice, else Slurm's, else the cores the
/// process may use.
final class ParallelismTests: XCTestCase {
    func test_defaultThreads_followTheEnvironment_thenSlurm_thenTheCores() {
        XCTAssertEqual(Parallelism.defaultThreads(["ANOMSYNTH_THREADS": "3", "SLURM_CPUS_PER_TASK": "8"]), 3)
        XCTAssertEqual(Parallelism.defaultThreads(["SLURM_CPUS_PER_TASK": "8"]), 8)
        XCTAssertEqual(Parallelism.defaultThreads(["ANOMSYNTH_THREADS": "0", "SLURM_CPUS_PER_TASK": "x"]), Parallelism.availableCores)
        XCTAssertEqual(Parallelism.defaultThreads([:]), Parallelism.availableCores)
        XCTAssertGreaterThanOrEqual(Parallelism.availableCores, 1)
        XCTAssertLessThanOrEqual(Parallelism.availableCores, ProcessInfo.processInfo.activeProcessorCount)
    }

    func test_cpuLists_countTheirCPUs() {
        XCTAssertEqual(Parallelism.cpuCount(list: "0-1"), 2)
        XCTAssertEqual(Parallelism.cpuCount(list: "\t0-3,8,10-11\n"), 7)
        XCTAssertEqual(Parallelism.cpuCount(list: "5"), 1)
        XCTAssertNil(Parallelism.cpuCount(list: "3-1"))
        XCTAssertNil(Parallelism.cpuCount(list: ""))
    }
}
