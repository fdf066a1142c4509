import ArchiveIO
import Foundation
import TensorCore
import TestSupport
import XCTest

/// The reproducibility contract, pinned: a reduced default pipeline gives the bytes in
/// `Tests/Fixtures/golden/golden.sha256` on whatever machine runs the suite, whichever
/// product kernel (AVX-512, AVX2, portable C) its CPU runs.
final class GoldenBytesTests: XCTestCase {
    private let pipeline = fixture("golden/pipeline.json")

    /// `hash  path` lines, paths relative to the run's `runs/golden/` folder.
    private func golden() throws -> [(hash: String, file: String)] {
        try String(contentsOfFile: fixture("golden/golden.sha256"), encoding: .utf8).split(separator: "\n").map { line in
            let parts = line.split(separator: " ", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            return (parts[0], parts[1])
        }
    }

    private func run(_ environment: [String: String?]) throws -> URL {
        let folder = try temporaryDirectory()
        let result = try runProcess(try anomsynthExecutable(), ["run", pipeline, "--out", folder.appendingPathComponent("runs").path,
                                                                "--cache-dir", folder.appendingPathComponent("cache").path, "--quiet"],
                                    environment: environment)
        XCTAssertEqual(result.status, 0, result.output)
        return folder.appendingPathComponent("runs/golden")
    }

    private func sha256(_ file: URL) throws -> String { DatasetArchive.sha256Hex([UInt8](try Data(contentsOf: file))) }

    func test_goldenPipeline_givesThePinnedBytes_onEveryProductKernel() throws {
        #if !arch(x86_64)
        throw XCTSkip("the golden bytes are x86-64's (its libm's exp and log); other architectures differ")
        #endif
        let expected = try golden()
        let kernels = ProductKernel.InstructionSet.allCases.filter(\.isSupported)
        XCTAssertTrue(kernels.count >= 2, "an x86-64 CPU with AVX2 runs at least the AVX2 and the portable kernels")
        for kernel in kernels {
            let runs = try run([ProductKernel.selectionVariable: kernel.rawValue])
            let actual = try expected.map { "\(try sha256(runs.appendingPathComponent($0.file)))  \($0.file)" }
            XCTAssertEqual(actual, expected.map { "\($0.hash)  \($0.file)" },
                           "with \(ProductKernel.selectionVariable)=\(kernel.rawValue). If a model or format changed on purpose, "
                           + "put these lines in Tests/Fixtures/golden/golden.sha256:\n" + actual.joined(separator: "\n"))
        }
    }

    func test_goldenPipeline_givesTheSameBytes_atOneTwoAndThreeThreads() throws {
        #if !arch(x86_64)
        throw XCTSkip("the golden bytes are x86-64's")
        #endif
        let expected = try golden()
        var outputs: [[String: Data]] = []
        for threads in ["1", "2", "3"] {
            let runs = try run([Parallelism.threadsVariable: threads])
            let actual = try expected.map { "\(try sha256(runs.appendingPathComponent($0.file)))  \($0.file)" }
            XCTAssertEqual(actual, expected.map { "\($0.hash)  \($0.file)" }, "at \(threads) threads")
            // Every model, archive and metrics file, not only the pinned ones (reports hold the run's seconds).
            outputs.append(try regularFiles(under: runs).filter { !$0.key.hasSuffix("report.md") && !$0.key.hasSuffix("report.html") })
        }
        XCTAssertGreaterThan(outputs[0].count, 30)
        XCTAssertEqual(outputs[1], outputs[0], "2 threads")
        XCTAssertEqual(outputs[2], outputs[0], "3 threads")
    }

    func test_productKernel_isRecordedAndChosenByTheEnvironment() throws {
        let runs = try run([ProductKernel.selectionVariable: nil])
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: runs.appendingPathComponent("eval/metrics.json"))) as? [String: Any]
        let blas = try XCTUnwrap((metrics?["provenance"] as? [String: Any])?["blas"] as? [String: Any])
        XCTAssertEqual(blas["library"] as? String, "AnomSynth GEMM")
        XCTAssertEqual(blas["kernel"] as? String, "fixed-order FMA")
        XCTAssertEqual(blas["pinned"] as? Bool, true)
        let portable = try runProcess(try anomsynthExecutable(), ["--version"], environment: [ProductKernel.selectionVariable: "portable"])
        XCTAssertTrue(portable.output.contains("running the portable kernel"), portable.output)
        let unknown = try runProcess(try anomsynthExecutable(), ["--version"], environment: [ProductKernel.selectionVariable: "sse9"])
        XCTAssertEqual(unknown.status, 0)
        XCTAssertTrue(unknown.output.contains("ANOMSYNTH_GEMM=sse9 names no kernel (expected one of avx512, avx2, portable)"), unknown.output)
    }
}
