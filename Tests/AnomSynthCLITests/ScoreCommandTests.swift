@testable import AnomSynthCLI
import ArchiveIO
import ArgumentParser
import Evaluation
import Foundation
import PipelineEngine
import Reporting
import TestSupport
import XCTest

/// `anomsynth score`: a run's detector on new rows of the original columns gives the scores
/// `evaluate` measured on the same rows.
final class ScoreCommandTests: XCTestCase {
    private let fast = fastBenchmarkOverrides
    private func run(_ arguments: [String]) throws { try runCommand(arguments) }

    /// Rows of a score CSV: the header's fields, then each row's.
    private func table(_ path: String) throws -> (header: [String], rows: [[String]]) {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        return (lines[0], Array(lines.dropFirst()))
    }

    func test_score_matchesEvaluateOnTheTestFile_withIdsPassedThrough() throws {
        let folder = try temporaryDirectory()
        let runs = folder.appendingPathComponent("runs").path
        try run(["run", repositoryRoot.appendingPathComponent("pipelines/benchmark.json").path, "--quiet", "--out", runs,
                 "--cache-dir", folder.appendingPathComponent("cache").path, "--set", "eval.params.threshold=best_f1"] + fast)
        let metrics = try MetricsDocument.read("\(runs)/benchmark/eval/metrics.json")
        let test = repositoryRoot.appendingPathComponent("data/yeast4-test.csv").path
        for (stage, detector) in [("mlp_none", "mlp"), ("xgboost_none", "xgboost"), ("iforest", "iforest")] {
            let out = folder.appendingPathComponent("\(stage).csv").path
            try run(["score", "\(runs)/benchmark", test, "--detector", stage, "--label", "label", "--out", out])
            let (header, rows) = try table(out)
            XCTAssertEqual(header, ["score", "anomaly", "label"])
            let scores = rows.map { Float($0[0])! }, labels = rows.map { UInt8($0[2])! }
            let expected = try XCTUnwrap(metrics.results.first { $0.variant == "none" && $0.detector == detector }).scorecard
            XCTAssertEqual(labels.count, expected.nTest)
            XCTAssertEqual(try XCTUnwrap(rocAUC(scores: scores, labels: labels)), try XCTUnwrap(expected.rocAUC), accuracy: 1e-9, stage)
            XCTAssertEqual(try XCTUnwrap(DetectionMetrics.averagePrecision(scores: scores, labels: labels)), try XCTUnwrap(expected.prAUC), accuracy: 1e-9, stage)
            // The decisions are evaluate's: the same threshold (best F1 on the detector's validation rows).
            let confusion = DetectionMetrics.Confusion(scores: rows.map { $0[1] == "1" ? 1 : 0 }, labels: labels, threshold: 0.5)
            XCTAssertEqual(confusion, expected.confusion, stage)
        }
        // An id column is copied beside each score and left out of the features.
        let lines = try String(contentsOfFile: test, encoding: .utf8).split(separator: "\n")
        let withIds = folder.appendingPathComponent("with-ids.csv").path
        try ((["row_id," + lines[0]] + lines.dropFirst().enumerated().map { "r\($0.offset)," + $0.element }).joined(separator: "\n") + "\n")
            .write(toFile: withIds, atomically: true, encoding: .utf8)
        let identified = folder.appendingPathComponent("identified.csv").path
        try run(["score", "\(runs)/benchmark/mlp_none/detector.safetensors", withIds, "--id", "row_id", "--label", "label", "--out", identified])
        let (header, rows) = try table(identified)
        XCTAssertEqual(header, ["row_id", "score", "anomaly", "label"])
        XCTAssertEqual(rows.map { $0[0] }, (0..<rows.count).map { "r\($0)" })
        XCTAssertEqual(rows.map { $0[1] }, try table(folder.appendingPathComponent("mlp_none.csv").path).rows.map { $0[0] }, "the same scores")
        // Problems are named.
        XCTAssertThrowsError(try run(["score", "\(runs)/benchmark", test, "--out", identified])) { XCTAssertEqual($0 as? ExitCode, ExitCode(1)) }
        XCTAssertThrowsError(try Scoring.detectorFile("\(runs)/benchmark", detector: nil)) {
            XCTAssertTrue("\($0)".hasSuffix("the run has 12 detectors (autoencoder, iforest, mlp@model=flow, mlp@model=gan, mlp@model=smote, mlp@model=vae, mlp_none, xgboost@model=flow, xgboost@model=gan, xgboost@model=smote, xgboost@model=vae, xgboost_none); name one with --detector"), "\($0)")
        }
        XCTAssertThrowsError(try Scoring.detectorFile("\(runs)/benchmark", detector: "mlp")) {
            XCTAssertTrue("\($0)".contains("no detector 'mlp'; the run's detectors are autoencoder, iforest,"), "\($0)")
        }
        XCTAssertThrowsError(try Scoring.score(detectorPath: "\(runs)/benchmark/mlp_none/detector.safetensors",
                                               request: IngestRequest(path: test), idColumns: ["Mcg"], rule: "best_f1")) {
            XCTAssertEqual("\($0)", "\(test): the columns differ from the detector's training rows; missing: Mcg; not in training: label (a label column: give it with --label; others: --id or --ignore)")
        }
    }
}
