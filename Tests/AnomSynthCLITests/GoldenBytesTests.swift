import ArchiveIO
import Foundation
import TestSupport
import XCTest

/// The reproducibility contract, pinned: a reduced default pipeline gives the bytes in
/// `Tests/Fixtures/golden/golden.sha256` on whatever machine runs the suite, whichever
/// kernel OpenBLAS would pick for the CPU (the executable pins Haswell's).
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

    func test_goldenPipeline_givesThePinnedBytes_whicheverKernelTheProcessStartsWith() throws {
        #if !arch(x86_64)
        throw XCTSkip("the golden bytes are x86-64's (the pinned Haswell kernel); other architectures differ")
        #endif
        let expected = try golden()
        for kernel in ["Haswell", "Zen", "Sandybridge"] {
            let runs = try run(["OPENBLAS_CORETYPE": kernel, "ANOMSYNTH_BLAS": nil])
            let actual = try expected.map { "\(try sha256(runs.appendingPathComponent($0.file)))  \($0.file)" }
            XCTAssertEqual(actual, expected.map { "\($0.hash)  \($0.file)" },
                           "started with OPENBLAS_CORETYPE=\(kernel). If a model or format changed on purpose, "
                           + "put these lines in Tests/Fixtures/golden/golden.sha256:\n" + actual.joined(separator: "\n"))
        }
    }

    func test_nativeKernel_isAnOptOut_recordedInTheProvenance() throws {
        #if !arch(x86_64)
        throw XCTSkip("OPENBLAS_CORETYPE names x86-64 kernels here")
        #endif
        let runs = try run(["OPENBLAS_CORETYPE": "Sandybridge", "ANOMSYNTH_BLAS": "native"])
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: runs.appendingPathComponent("eval/metrics.json"))) as? [String: Any]
        let blas = try XCTUnwrap((metrics?["provenance"] as? [String: Any])?["blas"] as? [String: Any])
        XCTAssertEqual(blas["kernel"] as? String, "Sandybridge")
        XCTAssertEqual(blas["pinned"] as? Bool, false)
        XCTAssertEqual(blas["library"] as? String, "OpenBLAS")
        let version = try runProcess(try anomsynthExecutable(), ["--version"], environment: ["OPENBLAS_CORETYPE": "Sandybridge", "ANOMSYNTH_BLAS": nil])
        XCTAssertTrue(version.output.contains("kernel Haswell (pinned)"), version.output)
    }
}
